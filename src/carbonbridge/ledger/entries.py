"""What a log entry records, in words, from its public facts alone (the log page's list).

An entry is the RFC 8785 canonical JSON ``{"at", "event", "kind"}`` of a public event, or
``{"commitment", "kind"}`` of a private one (:mod:`~carbonbridge.ledger.service.appends`). A public entry
is described from its own event (e.g. ``registry.issuance`` → "Issuance of 625 t to MG001"); a
private one says only what kind of change it commits to, since its payload stays in the database.
Project codes come from the log too: the ``registry.project_drafted`` entry that opened the
project publishes its code (``facts.code``), so the words never need the registry's tables.

The kinds are the ones the platform's contexts log (their ``*_EVENT`` constants); the ledger
imports none of them. A kind this module does not know is shown by its name. Messages are
English gettext ids with ``{name}`` fields; the page translates the id, then fills the fields.

Figures: credits are whole tonnes (one serial = 1 t CO2e, as the registry issues them); a
monitoring report's net figure is shown to 0.01 t, rounded half-even (the full value stays in
the entry).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: the entry kind that publishes a registry project's code with its id
PROJECT_DRAFTED = "registry.project_drafted"


@dataclass(frozen=True)
class LoggedEntry:
    """One entry as the log holds it: a public event with its time, or a private commitment."""

    index: int
    kind: str
    at: str | None
    event: Mapping[str, object] | None
    commitment: str | None

    @property
    def private(self) -> bool:
        return self.event is None


@dataclass(frozen=True)
class Description:
    """An entry in words: ``message`` is an English gettext id with ``{name}`` fields filled from
    ``values`` after translation."""

    message: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EntryPage:
    """One page of the log, newest entry first: page ``page`` of ``pages`` at ``tree_size``."""

    tree_size: int
    page: int
    pages: int
    per_page: int
    entries: tuple[LoggedEntry, ...]
    project_codes: Mapping[str, str]


def parse_entry(index: int, entry: bytes) -> LoggedEntry:
    """The entry at ``index`` from its logged bytes (RFC 8785 canonical JSON)."""
    body = json.loads(entry)
    kind = str(body.get("kind", ""))
    event = body.get("event")
    if isinstance(event, dict):
        return LoggedEntry(index, kind, str(body.get("at", "")) or None, event, None)
    return LoggedEntry(index, kind, None, None, str(body.get("commitment", "")) or None)


def project_code(entry: LoggedEntry) -> tuple[str, str] | None:
    """``(project id, code)`` published by a ``registry.project_drafted`` entry."""
    if entry.kind != PROJECT_DRAFTED or entry.event is None:
        return None
    facts = entry.event.get("facts")
    project_id = entry.event.get("project_id")
    if isinstance(facts, dict) and isinstance(project_id, str) and facts.get("code"):
        return project_id, str(facts["code"])
    return None


_PRIVATE = " (private: only a salted commitment is logged)"

#: private kinds: what the commitment is about (the payload stays in the database)
PRIVATE_MESSAGES: Mapping[str, str] = {
    "accounting.submission": "Activity data submitted" + _PRIVATE,
    "accounting.submission_replacement": "Activity data replaced" + _PRIVATE,
    "accounting.inventory_finalised": "An inventory finalised" + _PRIVATE,
    "registry.accounts_opened": "Registry accounts opened" + _PRIVATE,
    "registry.transfer": "Credits transferred" + _PRIVATE,
    "registry.cancellation": "Credits cancelled" + _PRIVATE,
    "registry.allowance_allocation": "Allowances allocated" + _PRIVATE,
    "registry.compliance_surrender": "Allowances surrendered for compliance" + _PRIVATE,
    "registry.batch": "A batch of registry operations" + _PRIVATE,
}
PRIVATE_OTHER = "Event {kind}" + _PRIVATE
PUBLIC_OTHER = "Event {kind}"
#: an issuance that set units aside for the buffer pool says how many
ISSUANCE_WITH_BUFFER = (
    "Issuance of {quantity} t to {project} (vintage {vintage}, serials {first}-{last}, "
    "of which {buffer} t to the buffer pool)"
)

#: public kinds: the sentence, filled from the event by :func:`_values`
PUBLIC_MESSAGES: Mapping[str, str] = {
    "accounting.organisation": "Organisation {organisation} recorded: {name}",
    "accounting.region_statistics": (
        "Statistics of {region} for {year}: population {population}, GDP {gdp} (10^4 CNY)"
    ),
    "accounting.inventory_verified": "Inventory of {organisation} for {year} verified, opinion: {opinion}",
    "accounting.inventory_reopened": "Inventory of {organisation} for {year} reopened as revision {revision}",
    "factors.dataset_published": "Factor dataset {dataset} imported ({publisher})",
    "factors.pins": "Factor datasets pinned for the region: {datasets}",
    "ledger.key_rotation": "The log's signing key was rotated",
    "registry.project_drafted": "Project {project} drafted: {name}",
    "registry.project_validated": "Project {project} validated",
    "registry.project_registered": "Project {project} registered",
    "registry.report_submitted": "Monitoring report of {project} submitted: {net} t net, vintage {vintage}",
    "registry.report_verified": "Monitoring report of {project} verified",
    "registry.issuance": "Issuance of {quantity} t to {project} (vintage {vintage}, serials {first}-{last})",
    "registry.retirement": "Retirement of {quantity} t of {project} for {beneficiary}",
    "registry.reversal": "Reversal of {quantity} t lost from {project}, cancelled from buffer units",
    "registry.export_requested": "Export of {quantity} t of {project} to {destination} requested",
    "registry.export_confirmed": "Export of {quantity} t of {project} confirmed",
    "registry.export_rejected": "Export of {quantity} t of {project} rejected, units returned",
    "registry.expiry": "Expiry of {quantity} t of {project}",
    "registry.batch": "A batch of {count} registry operations",
}

#: the state a registry operation's moved units end in (its quantity = those units)
_TARGET_STATE = {
    "registry.retirement": "retired",
    "registry.export_requested": "pending_export",
    "registry.export_confirmed": "exported",
    "registry.export_rejected": "held",
    "registry.expiry": "expired",
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _tonnes(value: object, places: str = "0.01") -> str:
    """A tonnage for a person: ``places`` rounding, half-even, thousands separated."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return _text(value)
    return f"{number.quantize(Decimal(places), rounding=ROUND_HALF_EVEN):,}"


def _moved(event: Mapping[str, object], state: str) -> int:
    """Units an operation produced in ``state``: produced blocks are
    ``[id, project, vintage, account, state, start, end]`` (``registry/events.py``)."""
    produced = event.get("produced")
    total = 0
    for block in produced if isinstance(produced, list) else []:
        if isinstance(block, list) and len(block) == 7 and block[4] == state:
            total += int(block[6]) - int(block[5]) + 1
    return total


def _values(entry: LoggedEntry, lang: str, codes: Mapping[str, str]) -> dict[str, str]:
    event = entry.event or {}
    facts, details = _mapping(event.get("facts")), _mapping(event.get("details"))
    project_id = _text(event.get("project_id"))
    values = {
        "kind": entry.kind,
        "organisation": _text(event.get("organisation_id")),
        "year": _text(event.get("year")),
        "project": _text(facts.get("code")) or codes.get(project_id, project_id),
    }
    names = event if entry.kind == "accounting.organisation" else facts
    values["name"] = _text(names.get(f"name_{lang}") or names.get("name_en"))
    if entry.kind == "accounting.region_statistics":
        values |= {
            "region": _text(event.get("region")),
            "population": f"{int(_text(event.get('population')) or 0):,}",
            "gdp": _tonnes(event.get("gdp_10k_cny"), "1"),
        }
    elif entry.kind == "accounting.inventory_verified":
        values["opinion"] = _text(event.get("opinion"))
    elif entry.kind == "accounting.inventory_reopened":
        values["revision"] = _text(event.get("revision"))
    elif entry.kind == "factors.dataset_published":
        values |= {"dataset": _text(event.get("dataset")), "publisher": _text(event.get("publisher"))}
    elif entry.kind == "factors.pins":
        datasets = event.get("datasets")
        values["datasets"] = ", ".join(map(str, datasets)) if isinstance(datasets, list) else ""
    elif entry.kind == "registry.report_submitted":
        values |= {"net": _tonnes(facts.get("net_t")), "vintage": _text(facts.get("vintage"))}
    elif entry.kind == "registry.issuance":
        values |= {
            "quantity": f"{int(_text(facts.get('quantity')) or 0):,}",
            "vintage": _text(facts.get("vintage")),
            "first": _text(facts.get("serial_start")),
            "last": _text(facts.get("serial_end")),
            "buffer": f"{int(_text(facts.get('buffer')) or 0):,}",
        }
    elif entry.kind == "registry.reversal":
        values["quantity"] = f"{int(_text(details.get('loss_t')) or 0):,}"
    elif entry.kind in _TARGET_STATE:
        quantity = details.get("quantity") if entry.kind == "registry.retirement" else None
        values["quantity"] = f"{int(_text(quantity) or _moved(event, _TARGET_STATE[entry.kind])):,}"
        values["beneficiary"] = _text(details.get("beneficiary"))
        values["destination"] = _text(details.get("destination_registry"))
    elif entry.kind == "registry.batch":
        operations = event.get("operations")
        values["count"] = str(len(operations) if isinstance(operations, list) else 0)
    return values


def describe(entry: LoggedEntry, lang: str, codes: Mapping[str, str]) -> Description:
    """``entry`` in words from its public facts, names in ``lang`` (``zh`` or ``en``), project
    codes from ``codes`` (project id → code, :func:`project_code`)."""
    if entry.private:
        message = PRIVATE_MESSAGES.get(entry.kind, PRIVATE_OTHER)
        return Description(message, {"kind": entry.kind})
    values = _values(entry, lang, codes)
    message = PUBLIC_MESSAGES.get(entry.kind, PUBLIC_OTHER)
    if entry.kind == "registry.issuance" and values["buffer"] != "0":
        message = ISSUANCE_WITH_BUFFER
    return Description(message, values)


def all_messages() -> Sequence[str]:
    """Every message :func:`describe` can return (each needs a zh translation)."""
    return [
        *PRIVATE_MESSAGES.values(),
        PRIVATE_OTHER,
        PUBLIC_OTHER,
        ISSUANCE_WITH_BUFFER,
        *PUBLIC_MESSAGES.values(),
    ]

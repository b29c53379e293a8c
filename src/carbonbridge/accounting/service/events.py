"""What the accounting context writes to the transparency log, and how the ledger's audit
recomputes each entry from the database state it records (``LEDGER_AUDITORS``).

A replacement submission (a correction) is logged as ``accounting.submission_replacement``: its
private payload is a submission event plus ``replaces``, naming the replaced submission, the index
of its log entry and that entry's commitment, so the correction is bound to exactly the entry it
corrects. The audit recomputes both from the stored rows and the opened commitment, and checks
that a replaced submission's records, and only those, are marked superseded by its replacement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from carbonbridge.accounting import store
from carbonbridge.kernel.errors import NotFound
from carbonbridge.ledger import service as ledger

SUBMISSION_EVENT = "accounting.submission"
REPLACEMENT_EVENT = "accounting.submission_replacement"
ORGANISATION_EVENT = "accounting.organisation"
STATISTICS_EVENT = "accounting.region_statistics"


def submission_event(session: Session, submission_id: str) -> dict[str, object] | None:
    """What the log commits to for a submission, recomputable from the stored rows (audit)."""
    found = store.submission(session, submission_id)
    if found is None:
        return None
    head, records = found
    lines = [
        [
            r.id,
            r.facility_id,
            str(r.period_start),
            str(r.period_end),
            r.category.value,
            r.activity,
            format(r.quantity, "f"),
            r.unit,
            r.instrument or "",
        ]
        for r in sorted(records, key=lambda r: r.id)
    ]
    from carbonbridge.kernel.canonical import canonical_json

    event: dict[str, object] = {
        "submission_id": submission_id,
        "organisation_id": head["organisation_id"],
        "file_sha256": head["sha256"],
        "rows": len(records),
        "records_sha256": hashlib.sha256(canonical_json(lines)).hexdigest(),
    }
    row = store.submission_row(session, submission_id)
    if row is not None and row.replaces:
        event["replaces"] = replaced_entry(session, row.replaces)
    return event


def replaced_entry(session: Session, submission_id: str) -> dict[str, object]:
    """How a replacement names the submission it replaces: its id, the index of its log entry and
    that entry's commitment (SHA-256 of the stored salt and payload, as the log holds it).
    ``entry`` and ``commitment`` are null for a submission whose entry is not known (stored
    without a log entry)."""
    row = store.submission_row(session, submission_id)
    index = row.log_index if row is not None else None
    commitment = None
    if index is not None:
        try:
            salt, payload = ledger.commitment_opening(session, index)
        except NotFound:
            index = None
        else:
            opened = json.loads(payload)
            if isinstance(opened, dict) and opened.get("submission_id") == submission_id:
                commitment = hashlib.sha256(salt + payload).hexdigest()
            else:  # the stored index does not point at this submission's entry
                index = None
    return {"submission_id": submission_id, "entry": index, "commitment": commitment}


def _audited_submission(session: Session, event: Mapping[str, object]) -> Mapping[str, object] | None:
    """The submission event from the stored rows; a record whose ``superseded_by`` disagrees with
    the submission's replacement (if any) makes the state differ from the log."""
    submission_id = str(event.get("submission_id"))
    recomputed = submission_event(session, submission_id)
    if recomputed is None:
        return None
    replacement = store.replacement_of(session, submission_id)
    expected = {replacement.id if replacement is not None else None}
    marks = store.superseded_marks(session, submission_id)
    if marks and marks != expected:
        found = ", ".join(sorted(str(m) for m in marks))
        return {**recomputed, "superseded_by": f"records marked {found}, expected {expected.pop()}"}
    return recomputed


def organisation_event(session: Session, organisation_id: str) -> dict[str, object] | None:
    org = store.get_organisation(session, organisation_id)
    if org is None:
        return None
    facilities = store.facilities_of(session, organisation_id)
    return {
        "organisation_id": org.id,
        "name_en": org.name_en,
        "name_zh": org.name_zh,
        "kind": org.kind.value,
        "region": org.region,
        "facilities": [
            [f.id, f.region, f.grid_region] for f in sorted(facilities.values(), key=lambda f: f.id)
        ],
    }


def statistics_event(session: Session, region: str, year: int) -> dict[str, object] | None:
    stats = store.region_statistics(session, region).get(year)
    if stats is None:
        return None
    population, gdp, synthetic, source = stats
    return {
        "region": region,
        "year": year,
        "population": population,
        "gdp_10k_cny": format(gdp, "f"),
        "synthetic": synthetic,
        "source": source,
    }


#: how the ledger's audit recomputes each accounting event from the database state
LEDGER_AUDITORS: Mapping[str, Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]] = {
    SUBMISSION_EVENT: _audited_submission,
    REPLACEMENT_EVENT: _audited_submission,
    ORGANISATION_EVENT: lambda session, event: organisation_event(session, str(event.get("organisation_id"))),
    STATISTICS_EVENT: lambda session, event: statistics_event(
        session, str(event.get("region")), int(str(event.get("year", 0)))
    ),
}

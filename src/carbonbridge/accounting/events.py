"""What the accounting context writes to the transparency log, and how the ledger's audit
recomputes each entry from the database state it records (``LEDGER_AUDITORS``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from carbonbridge.accounting import store

SUBMISSION_EVENT = "accounting.submission"
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

    return {
        "submission_id": submission_id,
        "organisation_id": head["organisation_id"],
        "file_sha256": head["sha256"],
        "rows": len(records),
        "records_sha256": hashlib.sha256(canonical_json(lines)).hexdigest(),
    }


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
    SUBMISSION_EVENT: lambda session, event: submission_event(session, str(event.get("submission_id"))),
    ORGANISATION_EVENT: lambda session, event: organisation_event(session, str(event.get("organisation_id"))),
    STATISTICS_EVENT: lambda session, event: statistics_event(
        session, str(event.get("region")), int(str(event.get("year", 0)))
    ),
}

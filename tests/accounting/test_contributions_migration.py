"""Migration 0016 on a database that older code filled (both backends): every organisation's
contributions are computed from its current records (the backfill), the stored statement is summed
again from them, and downgrading drops the tables and leaves 0015's statement to be rebuilt."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Engine

from carbonbridge.accounting import store
from carbonbridge.accounting.contribution import OrganisationContribution
from carbonbridge.accounting.service import upkeep
from carbonbridge.demo.region import generate_region
from carbonbridge.factors.service import library_in
from carbonbridge.platform.db import session_factory, unit_of_work
from carbonbridge.platform.migrate import alembic_config, upgrade
from tests.accounting.test_corrections_migration import fresh as fresh

AT = datetime(2025, 1, 2, tzinfo=UTC)
DEMO = generate_region(2024)
CHOSEN = list(DEMO.organisations)[:3]


def _fill_as_0015(engine: Engine) -> int:
    """Three demo organisations and their 2024 records, written with the 0015 schema's columns."""
    records = [r for r in DEMO.records if r.year == 2024 and r.organisation_id in {o.id for o in CHOSEN}]
    with engine.begin() as conn:
        for o in CHOSEN:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name_en, name_zh, kind, region, synthetic) VALUES "
                    "(:id, :en, :zh, :kind, 'CN-HI', true)"
                ),
                {"id": o.id, "en": o.name_en, "zh": o.name_zh, "kind": o.kind.value},
            )
            for f in (f for f in DEMO.facilities if f.organisation_id == o.id):
                conn.execute(
                    text(
                        "INSERT INTO facilities (id, organisation_id, name, region, grid_region) "
                        "VALUES (:id, :o, :n, :r, :g)"
                    ),
                    {"id": f.id, "o": o.id, "n": f.name, "r": f.region, "g": f.grid_region},
                )
            conn.execute(
                text(
                    "INSERT INTO submissions (id, organisation_id, filename, sha256, row_count, "
                    "submitted_by, submitted_at) VALUES (:id, :o, 'a.csv', :sha, 0, 'u', :at)"
                ),
                {"id": f"sub-{o.id}", "o": o.id, "sha": "0" * 64, "at": AT},
            )
        conn.execute(
            insert(store.ActivityRow),
            [
                {"id": r.id, "submission_id": f"sub-{r.organisation_id}",
                 "organisation_id": r.organisation_id,
                 "facility_id": r.facility_id, "period_start": r.period_start, "period_end": r.period_end,
                 "year": r.year, "category": r.category.value, "activity": r.activity, "quantity": r.quantity,
                 "unit": r.unit, "region": r.region, "grid_region": r.grid_region,
                 "instrument_key": r.instrument or "", "note": "", "superseded_by": None}
                for r in records
            ],
        )  # fmt: skip
    return len(records)


def test_the_upgrade_backfills_every_organisation_s_contributions_and_the_downgrade_drops_them(
    fresh: Engine,
) -> None:
    upgrade(fresh, "0015")
    _fill_as_0015(fresh)

    upgrade(fresh, "0016")

    sessions = session_factory(fresh)
    with unit_of_work(sessions) as session:
        stored = sorted((OrganisationContribution(*r) for r in store.contribution_rows(session)), key=astuple)  # type: ignore[arg-type]
        state = store.rebuild_state(session)
        library = library_in(session)
        organisations = store.list_organisations(session)
        records = store.records_of(session)
        cells = store.cell_summary_rows(session, [2024])
    expected, exclusions = upkeep.contributions_from(organisations, records, library)
    assert stored == sorted(expected, key=astuple)
    assert exclusions == []
    assert {c.organisation_id for c in stored} == {o.id for o in CHOSEN}
    assert state is not None
    assert state.factors == upkeep.factors_digest(library)
    assert cells  # the disclosure summaries too

    command.downgrade(alembic_config(fresh), "0015")

    tables = set(inspect(fresh).get_table_names())
    assert not tables & {
        "regional_contributions",
        "regional_exclusions",
        "regional_cells",
        "regional_rebuild",
    }
    assert "regional_statements" in tables
    upgrade(fresh)  # and up again
    assert "regional_contributions" in set(inspect(fresh).get_table_names())

"""The regional statement kept incrementally (issue 10 §3): after any sequence of changes the
statement the changes left equals a full rebuild and the row-by-row computation, to the
milligram, on both databases; a change that fails midway leaves contributions and statement as
they were; two concurrent uploads are both counted; one full rebuild at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.accounting import contribution, publication, service, store
from carbonbridge.accounting.contribution import CellSummary, summaries_of, updated
from carbonbridge.accounting.disclosure import DisclosureRules, Shares, primary_reason, protection_levels
from carbonbridge.accounting.model import ActivityRecord
from carbonbridge.accounting.service import release, statements, upkeep
from carbonbridge.demo.region import DemoRegion, generate_region
from carbonbridge.demo.service.load import LOADER
from carbonbridge.factors import service as factors
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.clock import utc_now
from carbonbridge.platform.db import Base, session_factory, unit_of_work
from carbonbridge.platform.identity import Principal, Role
from tests.accounting.test_corrections import cli as cli
from tests.conftest import init_log_key

REGION = "CN-HI"
REGULATOR = Principal("u-reg", "office", Role.REGULATOR)
RULES = DisclosureRules()
DEMO: DemoRegion = generate_region(2024)
YEARS = (2023, 2024, 2025)


def _one_of_each_kind() -> list[str]:
    seen: dict[str, str] = {}
    for o in DEMO.organisations:
        seen.setdefault(o.kind.value, o.id)
    hotels = [o.id for o in DEMO.organisations if o.kind.value == "hotel"][:3]
    return sorted(set(seen.values()) | set(hotels))


CHOSEN = _one_of_each_kind()


def _records(organisation_id: str, year: int) -> list[ActivityRecord]:
    return [r for r in DEMO.records if r.organisation_id == organisation_id and r.year == year]


def _register(sessions: sessionmaker[Session], organisation_id: str) -> None:
    with unit_of_work(sessions) as session:
        if store.get_organisation(session, organisation_id) is not None:
            return
    org = next(o for o in DEMO.organisations if o.id == organisation_id)
    facilities = [f for f in DEMO.facilities if f.organisation_id == organisation_id]
    service.register_organisation(sessions, LOADER, org, facilities, synthetic=True)


def _row(r: ActivityRecord, factor: int) -> dict[str, object]:
    return {
        "facility_id": r.facility_id,
        "period_start": str(r.period_start),
        "period_end": str(r.period_end),
        "category": r.category.value,
        "activity": r.activity,
        "quantity": str(r.quantity * factor),
        "unit": r.unit,
        "instrument": r.instrument or "",
    }


# --- the per-cell summaries (pure) ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(0, 50)), min_size=1, max_size=40),
    need=st.integers(1, 3),
    keep=st.integers(1, 4),
)
def test_a_summary_kept_by_delta_reads_as_one_computed_from_every_amount(
    changes: list[tuple[str, int]], need: int, keep: int
) -> None:
    keep = max(keep, need)
    rules = DisclosureRules(min_reporters=2, dominance_n=need, dominance_k=Decimal(60))
    amounts: dict[str, int] = {}
    summary: CellSummary | None = None
    for organisation, mg in changes:
        old = amounts.get(organisation, 0)
        amounts[organisation] = mg
        summary = updated(summary, organisation, old, mg, need=need, keep=keep)
        if summary is None:  # recomputed from every amount, as the caller does
            values = [(o, v) for o, v in amounts.items() if v]
            summary = CellSummary(
                len(values),
                sum(v for _, v in values),
                tuple(sorted(values, key=lambda x: (-x[1], x[0]))[:keep]),
            )
        every = [Decimal(v).scaleb(-6) for v in amounts.values()]
        assert (summary.contributors, summary.total_mg) == (
            sum(1 for v in amounts.values() if v),
            sum(amounts.values()),
        )
        assert primary_reason(summary.shares(), rules) == primary_reason(every, rules)
        if summary.contributors:
            assert protection_levels(summary.shares(), rules) == protection_levels(every, rules)


def test_a_summary_too_short_for_the_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 2"):
        primary_reason(Shares(5, (Decimal(9),), Decimal(20)), DisclosureRules(dominance_n=2))


def test_contributions_are_whole_milligrams_or_refused() -> None:
    assert contribution.to_mg(Decimal("1.000001"), what="x") == 1_000_001
    with pytest.raises(ValueError, match="not a whole number of milligrams"):
        contribution.to_mg(Decimal("1.0000001"), what="record r1, CO2")


# --- the statement the changes left equals a full rebuild and the row-by-row computation -----------


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def clean(engine: Engine) -> Iterator[Engine]:
    yield engine
    _empty(engine)


def _row_by_row(
    sessions: sessionmaker[Session],
) -> tuple[dict[GwpSet, service.RegionalResult], dict[int, Any]]:
    results = {g: service.regional(sessions, REGION, g) for g in GwpSet}
    kinds = next(iter(results.values())).kinds
    pattern = publication.protect({g.value: results[g].emissions for g in GwpSet}, kinds, RULES)
    return results, pattern


def _assert_equals_row_by_row(
    sessions: sessionmaker[Session], stored: dict[GwpSet, release.RegionalStatement]
) -> None:
    results, pattern = _row_by_row(sessions)
    for g in GwpSet:
        direct = results[g]
        assert [s.figures for s in stored[g].years] == [_bare(y) for y in direct.inventory.years]
        assert [dict(s.co_pollutants) for s in stored[g].years] == [
            dict(direct.co_pollutants.get(y.year, {})) for y in direct.inventory.years
        ]
        assert [dict(s.withheld) for s in stored[g].years] == [
            pattern.get(y.year, {}) for y in direct.inventory.years
        ]
        assert stored[g].header.record_count == direct.record_count


def _bare(y: Any) -> Any:
    import dataclasses

    def bare(sectors: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dataclasses.replace(s, record_ids=()) for s in sectors)

    return dataclasses.replace(y, ipcc=bare(y.ipcc), gpc=bare(y.gpc), outside_ipcc=bare(y.outside_ipcc))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.sampled_from(CHOSEN), st.sampled_from(YEARS)),
        st.tuples(st.just("replace"), st.sampled_from(CHOSEN), st.sampled_from(YEARS), st.integers(0, 3)),
        st.tuples(st.just("register"), st.sampled_from(CHOSEN)),
        st.tuples(st.just("statistics"), st.sampled_from(YEARS), st.integers(10_000, 2_000_000)),
        st.tuples(st.just("finalise"), st.sampled_from(CHOSEN), st.sampled_from(YEARS)),
    ),
    min_size=1,
    max_size=7,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_after_any_changes_the_kept_statement_equals_a_full_rebuild_and_the_row_by_row_figures(
    clean: Engine, ops: list[tuple[Any, ...]]
) -> None:
    _empty(clean)
    sessions = session_factory(clean)
    init_log_key(sessions)
    release.regional_statement(sessions, REGION, GwpSet.AR6, RULES)  # the first read builds it
    with unit_of_work(sessions) as session:
        state = store.rebuild_state(session)
        assert state is not None
        built_at = state.finished_at
    submitted: dict[tuple[str, int], str] = {}
    for op in ops:
        if op[0] == "register":
            _register(sessions, op[1])
        elif op[0] == "statistics":
            service.set_region_statistics(
                sessions, REGULATOR, REGION, op[1], op[2], Decimal(op[2]) * 50, synthetic=True, source="test"
            )
        elif op[0] == "submit" and (op[1], op[2]) not in submitted:
            _register(sessions, op[1])
            result = service.submit_records(sessions, LOADER, op[1], _records(op[1], op[2]), source="test")
            submitted[(op[1], op[2])] = result.submission_id
        elif op[0] == "replace" and (op[1], op[2]) in submitted:
            rows = [_row(r, op[3]) for r in _records(op[1], op[2])]
            if op[3] == 0:  # a correction to zero is still data: keep one row's quantity
                rows[0]["quantity"] = "1"
            result = service.submit_rows(sessions, REGULATOR, op[1], rows, replaces=submitted[(op[1], op[2])])
            submitted[(op[1], op[2])] = result.submission_id
        elif op[0] == "finalise" and (op[1], op[2]) in submitted:
            with unit_of_work(sessions) as session:
                done = op[2] in store.finalised_years(session, op[1])
            if not done:
                statements.finalise(sessions, REGULATOR, op[1], op[2], GwpSet.AR6)
    kept = {g: release.regional_statement(sessions, REGION, g, RULES) for g in GwpSet}
    with unit_of_work(sessions) as session:
        state = store.rebuild_state(session)
        assert state is not None
        assert state.finished_at == built_at  # kept by the changes, not rebuilt
    rebuilt = release.rebuild_regional_statement(sessions, REGION, RULES)
    for g in GwpSet:
        assert kept[g].years == rebuilt[g].years
        assert kept[g].header == rebuilt[g].header
    _assert_equals_row_by_row(sessions, kept)


# --- a change that fails midway changes nothing ---------------------------------------------------


def _snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    tables = (
        store.RegionalContributionRow,
        store.RegionalExclusionRow,
        store.RegionalCellRow,
        store.RegionalAtomRow,
        store.RegionalStatementRow,
        store.ActivityRow,
    )
    with unit_of_work(sessions) as session:
        return {
            t.__tablename__: sorted(tuple(r) for r in session.execute(select(*t.__table__.columns)))
            for t in tables
        }


def test_a_change_that_fails_midway_leaves_contributions_and_statement_unchanged(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    for org in CHOSEN[:3]:
        _register(sessions, org)
        service.submit_records(sessions, LOADER, org, _records(org, 2024), source="test")
    release.regional_statement(sessions, REGION, GwpSet.AR6, RULES)
    before = _snapshot(sessions)

    def fail(*_: object) -> None:
        raise RuntimeError("disk full while summing the statement")

    # after the organisation's contributions and the cells' summaries are written
    monkeypatch.setattr(contribution, "summary_year_table", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        service.submit_records(sessions, LOADER, CHOSEN[0], _records(CHOSEN[0], 2025), source="test")

    assert _snapshot(sessions) == before


# --- concurrency (real commits) -------------------------------------------------------------------


def test_two_concurrent_uploads_are_both_counted(sessions: sessionmaker[Session]) -> None:
    first, second = CHOSEN[0], CHOSEN[1]
    for org in (first, second):
        _register(sessions, org)
    release.regional_statement(sessions, REGION, GwpSet.AR6, RULES)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def upload(org: str) -> None:
        start.wait()
        try:
            service.submit_records(sessions, LOADER, org, _records(org, 2024), source="test")
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(org,)) for org in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    kept = {g: release.regional_statement(sessions, REGION, g, RULES) for g in GwpSet}
    [year] = kept[GwpSet.AR6].years
    assert year.coverage.reporting == 2
    _assert_equals_row_by_row(sessions, kept)
    rebuilt = release.rebuild_regional_statement(sessions, REGION, RULES)
    assert kept[GwpSet.AR6].years == rebuilt[GwpSet.AR6].years


# --- the full rebuild ------------------------------------------------------------------------------


def test_only_one_full_rebuild_runs_at_a_time_and_a_dead_one_is_taken_over(
    sessions: sessionmaker[Session],
) -> None:
    _register(sessions, CHOSEN[0])
    now = utc_now()
    with unit_of_work(sessions) as session:
        assert store.claim_rebuild(session, "other-process", now, now - upkeep.REBUILD_LEASE)
    with pytest.raises(release.RebuildRunning, match="being rebuilt by another process"):
        release.rebuild_regional_statement(sessions, REGION, RULES)
    with unit_of_work(sessions) as session:  # the other process stopped reporting long ago
        later = now + upkeep.REBUILD_LEASE + timedelta(seconds=1)
        assert not store.claim_rebuild(session, "third", later, now - timedelta(seconds=1))
        assert store.claim_rebuild(session, "third", later, later - upkeep.REBUILD_LEASE)
        store.finish_rebuild(session, "third", None, later)
    built = release.rebuild_regional_statement(sessions, REGION, RULES)
    assert set(built) == set(GwpSet)


def test_the_cli_rebuilds_with_a_progress_bar(sessions: sessionmaker[Session], cli: typer.Typer) -> None:
    for org in CHOSEN[:2]:
        _register(sessions, org)
        service.submit_records(sessions, LOADER, org, _records(org, 2025), source="test")
    result = CliRunner().invoke(cli, ["inventory", "region", "rebuild"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "organisations / 机构" in result.output
    assert "rebuilt the regional statement of CN-HI: 1 year(s) × 3 GWP sets" in result.output
    with unit_of_work(sessions) as session:
        state = store.rebuild_state(session)
        assert state is not None
        assert state.factors is not None
        assert state.owner is None


def test_after_a_pin_change_the_api_and_the_page_say_the_figures_are_being_recomputed(
    sessions: sessionmaker[Session], app_client: Any
) -> None:
    for org in CHOSEN[:3]:
        _register(sessions, org)
        service.submit_records(sessions, LOADER, org, _records(org, 2025), source="test")
    fresh = app_client.get("/api/v1/inventory/region").json()
    loaded = factors.library(sessions).datasets()
    factors.pin(sessions, REGULATOR, (loaded[0].id,))

    stale = app_client.get("/api/v1/inventory/region").json()
    page = app_client.get("/inventory/region?lang=zh").text
    home = app_client.get("/?lang=en").text
    assert release.wait_for_rebuild(timeout=120)
    after = app_client.get("/api/v1/inventory/region").json()

    assert fresh["stale_since"] is None
    assert stale["stale_since"] is not None
    assert stale["stale_note_en"].startswith("Figures being recomputed since ")
    assert stale["stale_note_zh"].startswith("自")
    assert stale["years"] == fresh["years"]  # the last complete statement meanwhile
    assert 'id="stale-note"' in page
    assert "正在重新计算" in page
    assert 'id="home-stale-note"' in home
    assert "Figures being recomputed since" in home
    assert after["stale_since"] is None
    assert 'id="home-stale-note"' not in app_client.get("/?lang=en").text


def test_weights_of_the_stored_contributions_are_the_engine_gwps(sessions: sessionmaker[Session]) -> None:
    org = next(o for o in CHOSEN if any(r.activity.startswith("fuel.") for r in _records(o, 2024)))
    _register(sessions, org)
    service.submit_records(sessions, LOADER, org, _records(org, 2024), source="test")
    with unit_of_work(sessions) as session:
        rows = [contribution.OrganisationContribution(*r) for r in store.contribution_rows(session, [2024])]  # type: ignore[arg-type]
    weights = {(c.gwp, c.gas): Fraction(Decimal(c.weight)) for c in rows if c.weight}
    assert weights[("AR6", "CO2")] == 1
    assert weights[("AR5", "CH4")] != weights[("AR6", "CH4")]
    assert all(c.co2e_mg >= 0 and c.mass_mg >= 0 for c in rows)
    assert summaries_of(rows)  # every cell the organisation counts in has a summary

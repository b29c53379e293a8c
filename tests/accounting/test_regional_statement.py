"""The stored regional statement on each backend: read, not recomputed; stale in every process as
soon as anything it is built from changes; equal to the row-by-row computation; coverage beside
every figure."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.accounting import service, store
from carbonbridge.accounting.disclosure import DisclosureRules
from carbonbridge.accounting.model import OrganisationKind, RegionalYear
from carbonbridge.accounting.service import release
from carbonbridge.demo.region import DemoRegion, generate_region
from carbonbridge.demo.service.load import LOADER
from carbonbridge.factors import service as factors
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.kernel.exact import quantize
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import Base, make_engine, session_factory, unit_of_work
from carbonbridge.platform.identity import PUBLIC, Principal, Role
from carbonbridge.platform.settings import Settings
from tests.accounting.test_corrections import cli as cli
from tests.conftest import init_log_key, make_user

REGION = "CN-HI"
REGULATOR = Principal("u-reg", "office", Role.REGULATOR)
RULES = DisclosureRules()
DEMO: DemoRegion = generate_region(2024)


def _register(sessions: sessionmaker[Session], organisation_ids: list[str], years: list[int]) -> None:
    for org in (o for o in DEMO.organisations if o.id in organisation_ids):
        facilities = [f for f in DEMO.facilities if f.organisation_id == org.id]
        service.register_organisation(sessions, LOADER, org, facilities, synthetic=True)
        records = [r for r in DEMO.records if r.organisation_id == org.id and r.year in years]
        if records:
            service.submit_records(sessions, LOADER, org.id, records, source="test")


def _some(kind: OrganisationKind, n: int) -> list[str]:
    return [o.id for o in DEMO.organisations if o.kind is kind][:n]


@pytest.fixture
def small_region(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo's cement plant and four hotels with 2025 records, one hotel registered without."""
    hotels = _some(OrganisationKind.HOTEL, 5)
    _register(sessions, [*_some(OrganisationKind.CEMENT, 1), *hotels[:4]], [2025])
    _register(sessions, hotels[4:], [])
    service.set_region_statistics(
        sessions, REGULATOR, REGION, 2025, 1_000_000, Decimal("5000000"), synthetic=True, source="test"
    )
    return sessions


def _built_at(sessions: sessionmaker[Session]) -> list[object]:
    with unit_of_work(sessions) as session:
        return [r.built_at for r in store.regional_statement_rows(session, REGION)]


def test_the_statement_is_stored_per_gwp_set_and_year_and_read_back(
    small_region: sessionmaker[Session],
) -> None:
    first = release.regional_release(small_region, REGULATOR, REGION, GwpSet.AR6, RULES)
    stored = _built_at(small_region)
    again = release.regional_release(small_region, REGULATOR, REGION, GwpSet.AR6, RULES)
    with unit_of_work(small_region) as session:
        keys = {(r.gwp, r.year) for r in store.regional_statement_rows(session, REGION)}
    assert keys == {(g.value, y) for g in GwpSet for y in (0, 2025)}
    assert _built_at(small_region) == stored  # read, not rebuilt
    assert again == first


def test_coverage_counts_reporting_of_registered_organisations(small_region: sessionmaker[Session]) -> None:
    year = release.regional_year(small_region, PUBLIC, REGION, 2025, GwpSet.AR6, RULES)
    assert year is not None
    assert year.coverage is not None
    assert (year.coverage.registered, year.coverage.reporting) == (6, 5)
    assert year.coverage.reporting_percent == Decimal("83.3")
    assert year.coverage.records == sum(
        1 for r in DEMO.records if r.year == 2025 and r.organisation_id in _reporting_ids()
    )
    assert year.coverage.share_of_published is None


def _reporting_ids() -> set[str]:
    return {*_some(OrganisationKind.CEMENT, 1), *_some(OrganisationKind.HOTEL, 4)}


def test_a_submission_and_a_statistics_update_each_bump_the_version_in_their_transaction(
    small_region: sessionmaker[Session],
) -> None:
    with unit_of_work(small_region) as session:
        before = store.regional_version(session)
    service.set_region_statistics(
        small_region, REGULATOR, REGION, 2025, 2_000_000, Decimal("5000000"), synthetic=True, source="test"
    )
    with unit_of_work(small_region) as session:
        assert store.regional_version(session) == before + 1


def test_a_refused_change_leaves_the_version_as_it_was(small_region: sessionmaker[Session]) -> None:
    with unit_of_work(small_region) as session:
        before = store.regional_version(session)
    with pytest.raises(InvalidInput):
        service.set_region_statistics(
            small_region, REGULATOR, REGION, 2025, -1, Decimal("5000000"), synthetic=True, source="test"
        )
    with unit_of_work(small_region) as session:
        assert store.regional_version(session) == before


def test_a_statistics_update_through_one_process_is_seen_by_the_other(
    engine: Engine, small_region: sessionmaker[Session], tmp_path: Path
) -> None:
    """Two app instances, each with its own engine and session factory (two server processes)."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        regulator = make_user(small_region, "regulator", "regulator")
        first = create_app(Settings(data_dir=tmp_path / "a"), engine)
        second = create_app(Settings(data_dir=tmp_path / "b"), other)
        with TestClient(first) as a, TestClient(second) as b:
            url = "/api/v1/inventory/region?gwp=AR6"
            before = a.get(url, headers=regulator).json()["years"][0]
            assert b.get(url, headers=regulator).json()["years"][0] == before
            service.set_region_statistics(
                session_factory(other), REGULATOR, REGION, 2025, 2_000_000, Decimal("5000000"),
                synthetic=True, source="test",
            )  # fmt: skip
            after = a.get(url, headers=regulator).json()["years"][0]
    finally:
        other.dispose()
    assert Decimal(before["population"]) == 1_000_000
    assert Decimal(after["population"]) == 2_000_000
    assert Decimal(after["per_capita_kg"]) == quantize(Decimal(after["ipcc_total_kg"]) / 2_000_000, 3)
    assert Decimal(after["per_capita_kg"]) != Decimal(before["per_capita_kg"])
    assert after["coverage"]["reporting"] == 5


def test_a_pin_change_serves_the_last_statement_marked_stale_and_rebuilds_it_in_the_background(
    small_region: sessionmaker[Session],
) -> None:
    fresh = release.regional_release(small_region, REGULATOR, REGION, GwpSet.AR6, RULES)
    with unit_of_work(small_region) as session:
        before = {r.factors for r in store.regional_statement_rows(session, REGION)}
    loaded = factors.library(small_region).datasets()
    factors.pin(small_region, REGULATOR, (loaded[0].id,))
    stale = release.regional_release(small_region, REGULATOR, REGION, GwpSet.AR6, RULES)
    assert release.wait_for_rebuild(timeout=120)
    rebuilt = release.regional_release(small_region, REGULATOR, REGION, GwpSet.AR6, RULES)
    with unit_of_work(small_region) as session:
        after = {r.factors for r in store.regional_statement_rows(session, REGION)}
    assert fresh.stale_since is None
    assert stale.stale_since is not None
    assert stale.release == fresh.release  # the last complete statement, as it was
    assert rebuilt.stale_since is None
    assert len(before) == len(after) == 1
    assert before != after


def test_the_public_gets_coverage_but_no_single_reporter_figure(small_region: sessionmaker[Session]) -> None:
    """The cement plant is the only IPPU reporter: its cell stays withheld in the stored copy."""
    year = release.regional_release(small_region, PUBLIC, REGION, GwpSet.AR6, RULES).release.years[0]
    assert year.ipcc_sector("2").co2e_kg is None
    assert year.coverage is not None
    assert year.coverage.reporting == 5


def _without_record_ids(y: RegionalYear) -> RegionalYear:
    def bare(sectors: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(dataclasses.replace(s, record_ids=()) for s in sectors)  # type: ignore[type-var]

    return dataclasses.replace(
        y,
        ipcc=bare(y.ipcc),  # type: ignore[arg-type]
        gpc=bare(y.gpc),  # type: ignore[arg-type]
        outside_ipcc=bare(y.outside_ipcc),  # type: ignore[arg-type]
    )


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def clean(engine: Engine) -> Iterator[Engine]:
    yield engine
    _empty(engine)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.sets(st.sampled_from([o.id for o in DEMO.organisations[:12]]), min_size=1, max_size=6),
    years=st.sets(st.sampled_from([2023, 2024, 2025]), min_size=1),
    gwp=st.sampled_from(list(GwpSet)),
)
def test_the_stored_statement_equals_the_row_by_row_computation(
    clean: Engine, chosen: set[str], years: set[int], gwp: GwpSet
) -> None:
    _empty(clean)
    sessions = session_factory(clean)
    init_log_key(sessions)
    _register(sessions, sorted(chosen), sorted(years))
    stored = release.regional_statement(sessions, REGION, gwp, RULES)
    direct = service.regional(sessions, REGION, gwp)
    assert [s.figures for s in stored.years] == [_without_record_ids(y) for y in direct.inventory.years]
    assert [dict(s.co_pollutants) for s in stored.years] == [
        dict(direct.co_pollutants.get(y.year, {})) for y in direct.inventory.years
    ]
    for s in stored.years:
        reporting = {
            r.organisation_id
            for r in DEMO.records
            if r.year == s.figures.year and r.organisation_id in chosen
        }
        assert s.coverage.reporting == len(reporting)
        assert s.coverage.registered == len(chosen)
    assert stored.header.record_count == direct.record_count
    with unit_of_work(sessions) as session:
        assert session.scalar(select(store.RegionalVersionRow.version)) == store.regional_version(session)


@pytest.mark.parametrize(
    ("lang", "heading", "note"),
    [
        ("zh", "报送机构数", "人均及万元GDP排放"),
        ("en", "Organisations reporting", "Per capita and per 10^4 CNY"),
    ],
)
def test_the_dashboard_shows_coverage_beside_the_figures_and_what_per_capita_means(
    small_region: sessionmaker[Session], app_client: Any, lang: str, heading: str, note: str
) -> None:
    page = app_client.get(f"/inventory/region?lang={lang}")
    assert page.status_code == 200, page.text
    assert heading in page.text
    assert 'data-reporting="5" data-registered="6"' in page.text
    assert "5 / 6 (83.3 %)" in page.text
    assert note in page.text


def test_the_api_gives_coverage_and_the_per_capita_note_in_both_languages(
    small_region: sessionmaker[Session], app_client: Any
) -> None:
    body = app_client.get("/api/v1/inventory/region").json()
    coverage = body["years"][0]["coverage"]
    assert (coverage["registered"], coverage["reporting"], coverage["reporting_percent"]) == (6, 5, "83.3")
    assert coverage["share_of_published"] is None
    assert body["per_capita_note_en"].startswith("Per capita and per 10^4 CNY of GDP")
    assert body["per_capita_note_zh"].startswith("人均及万元GDP排放")


def test_the_cli_prints_coverage_and_the_per_capita_note(
    small_region: sessionmaker[Session], cli: typer.Typer
) -> None:
    result = CliRunner().invoke(cli, ["inventory", "region"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "5 / 6 (83.3 %)" in result.output
    assert "Per capita and per 10^4 CNY of GDP" in result.output
    assert "人均及万元GDP排放" in result.output

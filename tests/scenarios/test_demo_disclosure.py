"""Issue 9 §4 on the demo region, each backend: the only cement plant's process CO2 (all of IPCC 2
CO2, GPC IV.1 CO2) never reaches the public — not through the REST API under any GWP set, not by
subtraction from what is published, not through ``carbonbridge inventory region`` — while the
regulator still sees it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.accounting.model import OrganisationKind
from carbonbridge.demo.service.load import load_demo_if_empty
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library
from carbonbridge.platform.db import Base, session_factory
from tests.accounting.disclosure_oracle import GWPS, audit_release
from tests.conftest import init_log_key, make_user

GWP_SETS = [g.value for g in GwpSet]


@pytest.fixture(scope="module")
def demo(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """The demo region, loaded once for this module's tests on each backend."""
    sessions = session_factory(engine)
    init_log_key(sessions)  # as `carbonbridge migrate` does before the demo loads
    assert load_demo_if_empty(sessions, Console(quiet=True))
    yield sessions
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="module")
def client(
    engine: Engine, demo: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from carbonbridge.platform.app import create_app
    from carbonbridge.platform.settings import Settings

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("app")), engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def cement_process_co2(sessions: sessionmaker[Session]) -> dict[int, Decimal]:
    """The cement plant's process CO2 per year (kg), from its records as the regulator has them."""
    result = service.regional(sessions, "CN-HI", GwpSet.AR6)
    cement = {o for o, kind in result.kinds.items() if kind is OrganisationKind.CEMENT}
    assert len(cement) == 1
    found: dict[int, Decimal] = {}
    for e in result.emissions:
        if e.record.organisation_id in cement and e.record.activity.startswith("process."):
            for g in e.gases(next(iter(e.method_results))):
                if g.gas == "CO2":
                    found[e.record.year] = found.get(e.record.year, Decimal(0)) + g.co2e_kg
    return found


def numbers_in(text: str) -> list[Decimal]:
    return [Decimal(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)]


def assert_not_disclosed(text: str, secrets: dict[int, Decimal]) -> None:
    """No number in ``text`` is within 1 % of a secret, in kg or in tonnes."""
    for n in numbers_in(text):
        for year, kg in secrets.items():
            for secret in (kg, kg / 1000):
                assert abs(n - secret) > secret / 100, (year, n, secret)


def test_public_api_never_discloses_the_cement_plant_and_the_regulator_sees_it(
    client: Any, demo: sessionmaker[Session]
) -> None:
    secrets = cement_process_co2(demo)
    assert sorted(secrets) == [2023, 2024, 2025]
    assert all(v > 0 for v in secrets.values())
    regulator = make_user(demo, "office-api", "regulator")
    public = {w: client.get(f"/api/v1/inventory/region?gwp={w}").json() for w in GWPS}
    full = {w: client.get(f"/api/v1/inventory/region?gwp={w}", headers=regulator).json() for w in GWPS}
    for w in GWPS:
        assert public[w]["disclosure"]["masked"] is True
        assert public[w]["disclosure"]["dominance_k_percent"] is None  # parameters kept from the public
        assert_not_disclosed(json.dumps(public[w]), secrets)
        for year in public[w]["years"]:
            ippu = next(s for s in year["ipcc"] if s["key"] == "2")
            assert ippu["by_gas"]["CO2"] is None
            assert ippu["withheld"]["by_gas.CO2"] == "confidential"
            iv1 = next(s for s in year["gpc"] if s["key"] == "IV/1")
            assert iv1["by_gas"]["CO2"] is None
        assert full[w]["disclosure"]["masked"] is False
        for year in full[w]["years"]:
            ippu = next(s for s in year["ipcc"] if s["key"] == "2")
            assert Decimal(ippu["by_gas"]["CO2"]) == secrets[year["year"]]
            assert ippu["withheld"]["by_gas.CO2"] == "threshold"  # one reporter
    # and nothing withheld can be worked out from everything the public gets, all GWP sets together
    result = service.regional(demo, "CN-HI", GwpSet.AR6)
    problems = audit_release(
        public,
        full,
        result.emissions,
        result.inventory,
        library(demo),
        min_reporters=3,
        dominance_k=Decimal(85),
        protection_percent=Decimal(10),
    )
    assert problems == []


def test_an_unknown_token_is_refused_rather_than_served_the_public_copy(client: Any) -> None:
    response = client.get("/api/v1/inventory/region", headers={"Authorization": "Bearer cb_not-a-token"})
    assert response.status_code == 401


def _cli(
    engine: Engine, tmp_path: Path, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "CARBONBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CARBONBRIDGE_DATA_DIR": str(tmp_path),
    }
    env.pop("CARBONBRIDGE_TOKEN", None)
    if token is not None:
        env["CARBONBRIDGE_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "carbonbridge.platform.cli", "inventory", "region", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_cli_region_is_the_public_copy_unless_a_regulator_asks(
    engine: Engine, demo: sessionmaker[Session], tmp_path: Path
) -> None:
    secrets = cement_process_co2(demo)
    public = _cli(engine, tmp_path)
    assert public.returncode == 0, public.stderr
    assert "confidential / 保密*" in public.stdout
    assert_not_disclosed(public.stdout, secrets)

    refused = _cli(engine, tmp_path, "--unsuppressed")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error[unauthenticated]")
    reporter = make_user(demo, "cement-clerk", "reporter", "demo-org-001")["Authorization"].split()[1]
    forbidden = _cli(engine, tmp_path, "--unsuppressed", token=reporter)
    assert forbidden.returncode == 1
    assert forbidden.stderr.startswith("error[forbidden]")

    regulator = make_user(demo, "office-cli", "regulator")["Authorization"].split()[1]
    full = _cli(engine, tmp_path, "--unsuppressed", "--format", "json", token=regulator)
    assert full.returncode == 0, full.stderr
    body = json.loads(full.stdout)
    for year in body["years"]:
        ippu = next(s for s in year["ipcc"] if s["key"] == "2")
        assert Decimal(ippu["by_gas"]["CO2"]) == secrets[year["year"]]

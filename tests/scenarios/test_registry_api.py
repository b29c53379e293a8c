"""Issue 4 acceptance through the REST API and the web pages, with the real calculators: a
mangrove project (three strata, two monitoring reports), a solar-irrigation project and an EV-fleet
project go from draft to a retirement for a named beneficiary; the retirement is on the public page,
each calculator figure is on the project sheet with its equation, and every receipt verifies offline
with only the log's public key."""

from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.kernel.display import shown as shown_figure
from carbonbridge.ledger import keys
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.methodologies import catalogue
from carbonbridge.platform.identity import Principal, Role
from tests.conftest import make_user

OFFICE = Principal("u-office", "Carbon office", Role.REGULATOR)


def mangrove_parameters(third_area_ha: str) -> dict[str, Any]:
    """The CCER-14-002-V01 calculator's worked example (strata S1, S2) with a third stratum S3
    planted like S2 on ``third_area_ha`` hectares."""
    params = copy.deepcopy(dict(catalogue.get("CCER-14-002-V01").example()))
    s3 = copy.deepcopy(params["strata"][1])
    s3["id"], s3["area_ha"] = "S3", third_area_ha
    params["strata"].append(s3)
    return params


def solar_parameters() -> dict[str, Any]:
    """AMS-I.B worked example scaled to 10,000 mu and 4,000,000 m³ pumped 30 m (0.6 m of water a
    year, a plausible irrigation depth)."""
    params = copy.deepcopy(dict(catalogue.get("AMS-I.B").example()))
    params["irrigated_area"] = {"value": "10000", "unit": "mu"}
    params["baseline"]["volume_m3"] = "4000000"
    return params


def ev_parameters() -> dict[str, Any]:
    """AMS-III.C worked example: 50 vehicles, 2.4 million km, 600 MWh at the charger, CN south grid 2023."""
    return copy.deepcopy(dict(catalogue.get("AMS-III.C").example()))


@dataclass(frozen=True)
class Case:
    """One acceptance scenario: the project, its monitoring reports (period, parameters) and what
    must follow: credits issued per report (held, buffer), a transfer and a retirement."""

    code: str
    methodology: str
    name_en: str
    name_zh: str
    reports: tuple[tuple[str, str, dict[str, Any]], ...]
    issued: tuple[tuple[int, int, int], ...]  # (vintage, held, buffer) per report
    transfer_t: int
    retire_t: int
    beneficiary: str
    purpose: str
    figures: tuple[tuple[str, str, str], ...]  # (symbol, value as shown: 6 significant figures, equation)


CASES = {
    "mangrove": Case(
        "MG001",
        "CCER-14-002-V01",
        "Dongzhai Harbour mangrove afforestation",
        "东寨港红树林营造",
        (
            ("2023-01-01", "2024-12-31", mangrove_parameters("3")),
            ("2025-01-01", "2025-12-31", mangrove_parameters("4")),
        ),
        # 625.66 t → 625 credits, ceil(625 × 0.20) = 125 to the buffer; 631.95 t → 631, ceil(126.2) = 127
        # (wood densities from the Global Wood Density Database: Kandelia 0.509765, Aegiceras 0.51)
        ((2024, 500, 125), (2025, 504, 127)),
        300,
        120,
        "Hainan Airlines passengers",
        "2025 flights offset",
        (
            ("A", "18", "Σ A_i"),
            ("CF_TREE", "0.47", "default 0.47 (parameter carbon_fraction)"),
            ("BUFFER", "0.2", ""),
        ),
    ),
    "solar": Case(
        "PV001",
        "AMS-I.B",
        "Wenchang solar irrigation",
        "文昌光伏提灌",
        (("2024-01-01", "2024-12-31", solar_parameters()),),
        ((2024, 581, 0),),
        200,
        50,
        "Wenchang county government",
        "2024 office electricity",
        (
            ("ER_y", "581.338", "BE_y − PE_y − LE_y"),
            ("water_depth", "0.6", "η_engine η_pump FC_BL e_diesel / (ρ_w g h) / (A × T)"),
            ("diesel_per_mu", "21.7202", "FC_BL / (A × 15 × T)"),
        ),
    ),
    "ev": Case(
        "EV001",
        "AMS-III.C",
        "Haikou electric logistics fleet",
        "海口电动物流车队",
        (("2023-01-01", "2023-12-31", ev_parameters()),),
        ((2023, 399, 0),),
        100,
        40,
        "Boao Forum 2024",
        "conference travel",
        (
            ("EF_grid", "0.4042", "China MEE and NBS"),
            ("PE_y", "242.52", "EC_grid × EF_grid / 1000"),
            ("ER_y", "399.838", "BE_y − PE_y − LE_y"),
        ),
    ),
}


@dataclass
class Actors:
    developer: dict[str, str]
    verifier: dict[str, str]
    regulator: dict[str, str]
    buyer: dict[str, str]
    accounts: dict[str, dict[str, str]]  # organisation -> kind -> account id


def admit_organisations(sessions: sessionmaker[Session]) -> None:
    for ident, kind in (("dev-co", OrganisationKind.FARM), ("buyer-co", OrganisationKind.HOTEL)):
        org = Organisation(ident, ident.replace("-", " ").title(), ident, kind, "CN-HI")
        accounting.register_organisation(sessions, OFFICE, org, [])


@pytest.fixture
def actors(app_client: Any, sessions: sessionmaker[Session]) -> Actors:
    admit_organisations(sessions)
    regulator = make_user(sessions, "office", "regulator")
    accounts: dict[str, dict[str, str]] = {}
    for org in ("dev-co", "buyer-co"):
        response = app_client.post(f"/api/v1/registry/organisations/{org}/accounts", headers=regulator)
        assert response.status_code == 201, response.text
        accounts[org] = {a["kind"]: a["id"] for a in response.json()}
    return Actors(
        make_user(sessions, "dev", "developer", "dev-co"),
        make_user(sessions, "verifier", "verifier"),
        regulator,
        make_user(sessions, "hotel", "reporter", "buyer-co"),
        accounts,
    )


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def verifies_offline(receipt: dict[str, Any], vkey: str) -> None:
    """The receipt proves its entry with only the log's public key (no database)."""
    text = receipt["receipt"]
    assert verify_receipt(text, vkey, entry=parse_receipt(text).extra).index == receipt["log_index"]


@pytest.mark.parametrize("name", list(CASES))
def test_project_to_public_retirement_via_api(app_client: Any, actors: Actors, name: str) -> None:
    case = CASES[name]
    c, a = app_client, actors
    receipts: list[dict[str, Any]] = []
    draft = {
        "code": case.code,
        "organisation_id": "dev-co",
        "name_en": case.name_en,
        "name_zh": case.name_zh,
        "methodology": case.methodology,
        "region": "CN-HI",
        "standard": "CCER",
        "parameters": case.reports[0][2],
    }
    body = _ok(c.post("/api/v1/registry/projects", json=draft, headers=a.developer), 201)
    project_id = body["project"]["id"]
    receipts.append(body["receipt"])
    opinion = {"opinion": "The design conforms to the methodology (ISO 14064-3 validation)."}
    body = _ok(c.post(f"/api/v1/registry/projects/{project_id}/validate", json=opinion, headers=a.verifier))
    receipts.append(body["receipt"])
    body = _ok(
        c.post(
            f"/api/v1/registry/projects/{project_id}/register",
            json={"opinion": "Registered."},
            headers=a.regulator,
        )
    )
    assert body["project"]["status"] == "registered"
    receipts.append(body["receipt"])

    issued: list[dict[str, Any]] = []
    for start, end, parameters in case.reports:
        report = {"period_start": start, "period_end": end, "parameters": parameters}
        body = _ok(
            c.post(f"/api/v1/registry/projects/{project_id}/reports", json=report, headers=a.developer), 201
        )
        receipts.append(body["receipt"])
        report_id = body["report"]["id"]
        assert body["report"]["calculation"]["flags"] == []
        verdict = {"opinion": "Reasonable assurance (ISO 14064-3)."}
        body = _ok(c.post(f"/api/v1/registry/reports/{report_id}/verify", json=verdict, headers=a.verifier))
        assert body["report"]["status"] == "verified"
        receipts.append(body["receipt"])
        body = _ok(c.post(f"/api/v1/registry/reports/{report_id}/issue", headers=a.regulator), 201)
        receipts.append(body)
        issued.append(body)

    for (vintage, held, buffer), receipt in zip(case.issued, issued, strict=True):
        produced = [(b["state"], b["start"], b["end"], b["serial"]) for b in receipt["produced"]]
        expected = [("held", 1, held, f"CB-CN-HI-{case.code}-{vintage}-1-{held}")]
        if buffer:
            total = held + buffer
            expected.append(("buffer", held + 1, total, f"CB-CN-HI-{case.code}-{vintage}-{held + 1}-{total}"))
        assert produced == expected

    vintage = case.issued[0][0]
    dev, buyer = a.accounts["dev-co"]["holding"], a.accounts["buyer-co"]["holding"]
    move = {"account_id": dev, "project_id": project_id, "vintage": vintage, "quantity": case.transfer_t}
    body = _ok(
        c.post("/api/v1/registry/transfers", json={**move, "to_account_id": buyer}, headers=a.developer), 201
    )
    moved = [b["serial"] for b in body["produced"] if b["account_id"] == buyer]
    assert moved == [f"CB-CN-HI-{case.code}-{vintage}-1-{case.transfer_t}"]
    receipts.append(body)
    retire = {
        "account_id": buyer,
        "project_id": project_id,
        "vintage": vintage,
        "quantity": case.retire_t,
        "beneficiary": case.beneficiary,
        "purpose": case.purpose,
    }
    retired = _ok(c.post("/api/v1/registry/retirements", json=retire, headers=a.buyer), 201)
    receipts.append(retired)
    serial = f"CB-CN-HI-{case.code}-{vintage}-1-{case.retire_t}"
    assert [b["serial"] for b in retired["produced"] if b["state"] == "retired"] == [serial]

    # balances: the buyer holds what it did not retire; the developer the rest of the held part
    balances = _ok(c.get(f"/api/v1/registry/accounts/{buyer}/balances", headers=a.buyer))
    assert [(b["vintage"], b["state"], b["tonnes"]) for b in balances] == [
        (vintage, "held", case.transfer_t - case.retire_t)
    ]
    mine = _ok(c.get(f"/api/v1/registry/accounts/{dev}/balances", headers=a.developer))
    assert {(b["vintage"], b["tonnes"]) for b in mine} == {
        (v, held - (case.transfer_t if v == vintage else 0)) for v, held, _ in case.issued
    }
    assert c.get(f"/api/v1/registry/accounts/{dev}/balances", headers=a.buyer).status_code == 403

    # the public record, through the API and on the public page
    records = _ok(c.get("/api/v1/registry/retirements"))
    assert [(r["beneficiary"], r["purpose"], r["quantity"], r["serials"]) for r in records] == [
        (case.beneficiary, case.purpose, case.retire_t, [serial])
    ]
    page = c.get("/registry/retirements?lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert case.beneficiary in text
    assert serial in text
    assert f'href="/transparency-log/entries/{retired["log_index"]}"' in page.text
    entry = c.get(f"/transparency-log/entries/{retired['log_index']}?lang=en")
    assert entry.status_code == 200

    # the project sheet: every calculator figure with its equation, the issuances, the timeline
    sheet = _ok(c.get(f"/api/v1/registry/projects/{project_id}"))
    assert all(t["balanced"] for t in sheet["tallies"])
    page = c.get(f"/registry/projects/{project_id}?lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for report in sheet["reports"]:
        for line in report["calculation"]["lines"]:
            shown = shown_figure(Decimal(line["value"]))  # the display rule (docs/display.md)
            row = f'<td>{line["name"]}</td><td>{line["label_en"]}</td><td class="num">{shown}</td>'
            assert html.unescape(row) in text, line
            assert line["equation"] in text
    for symbol, shown, equation in case.figures:
        assert f"<td>{symbol}</td>" in text
        assert f">{shown}</td>" in text
        assert equation in text
    for vintage_i, held, buffer in case.issued:
        assert f"CB-CN-HI-{case.code}-{vintage_i}-1-{held + buffer}" in text
    assert f'href="/transparency-log/entries/{retired["log_index"]}"' in page.text

    # proven from the log: every receipt offline, and the audit of the whole log
    vkey = c.get("/api/v1/ledger/key").text.strip()
    for receipt in receipts:
        verifies_offline(receipt, vkey)
    public = parse_receipt(retired["receipt"]).extra or b""
    assert serial.encode() in public
    assert case.beneficiary.encode() in public
    register_context_auditors()
    assert ledger.audit(c.app.state.sessions, verifier=keys.log_signer(c.app.state.settings).verifier()).ok


def test_registry_home_shows_issued_and_retired_totals(app_client: Any, actors: Actors) -> None:
    test_project_to_public_retirement_via_api(app_client, actors, "ev")
    page = app_client.get("/registry?lang=en")
    assert page.status_code == 200
    assert 'id="issued-total">399<' in page.text
    assert 'id="retired-total">40<' in page.text
    assert "EV001" in page.text
    zh = app_client.get("/registry?lang=zh")
    assert "碳信用登记簿" in zh.text
    assert "已注销" in zh.text

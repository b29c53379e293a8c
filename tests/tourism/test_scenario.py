"""Issue 13's end-to-end scenario through the REST API on the demo region: a visitor's 4-day
Hainan trip (flight in, hotel nights, taxi, diving, meals) → bill → the hotel records the payment
→ its pool retires a tonne of the demo mangrove project (MG001) → the bill is compensated → the
certificate (PDF with the serials) → the receipt verified offline by ``carbonbridge verify`` →
the destination's dashboard shows the trip compensated."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.demo.service.load import load_demo
from tests.conftest import make_user

CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"
TRIP = {
    "reference": "BK-HAINAN-4D",
    "region": "CN-HI",
    "start": "2025-03-01",
    "end": "2025-03-05",
    "items": [
        {"type": "flight", "origin": "PEK", "destination": "SYX", "cabin": "economy"},
        {"type": "hotel", "country": "CN", "nights": 4},
        {"type": "road", "mode": "taxi", "fuel": "electric", "distance_km": "60"},
        {"type": "activity", "activity": "diving", "participants": 1},
        {"type": "meals", "count": 12, "diet": "fish"},
    ],
}


@pytest.mark.slow  # loads the whole demo region: ~60-100 s on 2 shared cores (make test-slow)
def test_hainan_trip_from_booking_to_offline_verification(
    engine: Engine, sessions: sessionmaker[Session], app_client: Any, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the demo region loads once per backend; SQLite carries the scenario")
    load_demo(sessions, Console(quiet=True))
    office = make_user(sessions, "office-scenario", "regulator")
    hotel = make_user(sessions, "hotel-scenario", "reporter", "demo-org-001")
    api = "/api/v1/tourism"

    bill = app_client.post(f"{api}/bills", json=TRIP)
    assert bill.status_code == 201, bill.text
    bill_id, grams = bill.json()["id"], bill.json()["grams"]

    pool = app_client.post(
        f"{api}/pools",
        json={"name": "Demo Bay visitors", "organisation_id": "demo-org-001", "fen_per_tonne": 8000},
        headers=office,
    ).json()
    projects = app_client.get("/api/v1/registry/projects").json()
    mangrove = next(p for p in projects if p["code"] == "MG001")
    balances = app_client.get(
        f"/api/v1/registry/accounts/{pool['account_id']}/balances", headers=hotel
    ).json()
    vintage = next(b["vintage"] for b in balances if b["project_id"] == mangrove["id"])
    retired = app_client.post(
        f"{api}/pools/{pool['id']}/retirements",
        json={"project_id": mangrove["id"], "vintage": vintage, "tonnes": 1},
        headers=hotel,
    )
    assert retired.status_code == 201, retired.text

    paid = app_client.post(
        f"{api}/bills/{bill_id}/compensate",
        json={"pool_id": pool["id"], "payment_reference": "WX-2025-0301-001"},
        headers=hotel,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["amount_fen"] == -(-grams * 8000 // 1_000_000)
    allocation = paid.json()["bill"]["allocations"][0]

    pdf = app_client.get(f"/tourism/certificates/{bill_id}/certificate.pdf?lang=zh")
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "行程碳抵消证书" in text
    assert all(s in text for s in allocation["serials"])

    receipt, key = tmp_path / "bill.tlog-proof", tmp_path / "log.vkey"
    receipt.write_text(
        app_client.get(f"/tourism/certificates/{bill_id}/receipts/{allocation['log_index']}").text
    )
    key.write_text(app_client.get("/tourism/log.vkey").text)
    verified = subprocess.run(
        [str(CARBONBRIDGE), "verify", str(receipt), "--key-file", str(key)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CARBONBRIDGE_DATABASE_URL": "sqlite:///" + str(tmp_path / "none.db")},
    )
    assert verified.returncode == 0, verified.stderr

    dashboard = app_client.get("/tourism/dashboard?lang=en", headers=office).text
    assert 'id="dash-retired">1<' in dashboard
    assert re.search(r'id="dash-share">100(\.0)? %', dashboard)

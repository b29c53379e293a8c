"""REST ``/api/v1/tourism``: bills, bulk bookings, compensation; bad input as problem+json that
names field, value and reason, and changes nothing."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_user
from tests.tourism.conftest import HAINAN_TRIP, POOL_OPERATOR, PoolWorld

API = "/api/v1/tourism"


def _trip(**changes: Any) -> dict[str, Any]:
    trip = copy.deepcopy(HAINAN_TRIP)
    trip.update(changes)
    return trip


def _entries(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            int(session.scalar(text("SELECT count(*) FROM ledger_entries")) or 0),
            int(session.scalar(text("SELECT count(*) FROM tourism_bills")) or 0),
        )


def _issue(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    issue: dict[str, Any] = response.json()["issues"][0]
    return issue


def test_visitor_creates_and_reads_a_bill_without_a_token(app_client: Any) -> None:
    created = app_client.post(f"{API}/bills", json=_trip())
    assert created.status_code == 201
    bill = created.json()
    assert bill["grams"] == sum(line["grams"] for line in bill["lines"])
    assert {line["kind"] for line in bill["lines"]} == {"flight", "hotel", "road", "activity", "meal"}
    again = app_client.get(f"{API}/bills/{bill['id']}")
    assert again.json()["lines"] == bill["lines"]


def test_unknown_airport_is_a_422_naming_the_field(app_client: Any, sessions: sessionmaker[Session]) -> None:
    before = _entries(sessions)
    response = app_client.post(
        f"{API}/bills", json=_trip(items=[{"type": "flight", "origin": "PEK", "destination": "XQX"}])
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("tourism-unknown-airport")
    assert _issue(response) == {
        "location": ["items", 0, "destination"],
        "value": "XQX",
        "reason": "not in the airport dataset",
    }
    assert _entries(sessions) == before


def test_impossible_dates_and_negative_nights(app_client: Any, sessions: sessionmaker[Session]) -> None:
    before = _entries(sessions)
    dates = app_client.post(f"{API}/bills", json=_trip(start="2025-02-29"))
    nights = app_client.post(
        f"{API}/bills", json=_trip(items=[{"type": "hotel", "country": "CN", "nights": -2}])
    )
    assert (dates.status_code, nights.status_code) == (422, 422)
    assert _issue(dates)["location"] == ["start"]
    assert _issue(dates)["value"] == "2025-02-29"
    assert _issue(nights)["location"] == ["items", 0, "nights"]
    assert _issue(nights)["value"] == -2
    assert _entries(sessions) == before


def test_bulk_needs_a_token_and_names_the_booking(app_client: Any, pool_world: PoolWorld) -> None:
    body = {"bookings": [_trip(), _trip(end="2025-02-01")]}
    assert app_client.post(f"{API}/bookings", json=body).status_code == 401
    headers = make_user(pool_world.sessions, "hotel", "reporter", "baoting-office")
    refused = app_client.post(f"{API}/bookings", json=body, headers=headers)
    assert refused.status_code == 422
    assert _issue(refused)["location"] == ["bookings", 1, "end"]
    ok = app_client.post(f"{API}/bookings", json={"bookings": [_trip(), _trip()]}, headers=headers)
    assert ok.status_code == 201
    assert len(ok.json()["bills"]) == 2


def test_compensation_end_to_end_through_the_api(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    operator = make_user(w.sessions, "pool-op", "reporter", POOL_OPERATOR.organisation_id)
    retired = app_client.post(
        f"{API}/pools/{w.pool.id}/retirements",
        json={"project_id": w.project_id, "vintage": w.vintage, "tonnes": 1},
        headers=operator,
    )
    assert retired.status_code == 201, retired.text
    bill = app_client.post(f"{API}/bills", json=_trip()).json()
    body = {"pool_id": w.pool.id, "payment_reference": "WX-42"}
    done = app_client.post(f"{API}/bills/{bill['id']}/compensate", json=body, headers=operator)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["bill"]["status"] == "compensated"
    assert sum(a["grams"] for a in result["bill"]["allocations"]) == bill["grams"]
    assert result["amount_fen"] == -(-bill["grams"] * w.pool.fen_per_tonne // 1_000_000)
    again = app_client.post(f"{API}/bills/{bill['id']}/compensate", json=body, headers=operator)
    assert again.status_code == 409
    assert again.json()["type"].endswith("tourism-already-compensated")
    pool = app_client.get(f"{API}/pools/{w.pool.id}").json()
    assert (pool["allocated_grams"], pool["retired_grams"]) == (bill["grams"], 1_000_000)


def test_pool_too_small_is_a_409_that_changes_nothing(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    operator = make_user(w.sessions, "pool-op", "reporter", POOL_OPERATOR.organisation_id)
    bill = app_client.post(f"{API}/bills", json=_trip()).json()
    before = _entries(w.sessions)
    response = app_client.post(
        f"{API}/bills/{bill['id']}/compensate",
        json={"pool_id": w.pool.id, "payment_reference": "P"},
        headers=operator,
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("tourism-pool-insufficient")
    assert _issue(response)["location"] == ["pool_id"]
    assert _entries(w.sessions) == before
    assert app_client.get(f"{API}/bills/{bill['id']}").json()["status"] == "open"


def test_compensation_by_an_outsider_is_forbidden(app_client: Any, pool_world: PoolWorld) -> None:
    w = pool_world
    outsider = make_user(w.sessions, "other", "reporter", "mangrove-dev")
    bill = app_client.post(f"{API}/bills", json=_trip()).json()
    response = app_client.post(
        f"{API}/bills/{bill['id']}/compensate",
        json={"pool_id": w.pool.id, "payment_reference": "P"},
        headers=outsider,
    )
    assert response.status_code == 403

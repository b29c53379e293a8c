"""REST ``/api/v1/markets/auctions``: a sealed-bid auction opened, bid, closed and its result read
and verified; bad input is problem+json naming the field and changes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.markets.auctions import result as results
from tests.conftest import make_user

API = "/api/v1/markets/auctions"


def _bids(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(text("SELECT count(*) FROM markets_sealed_bids")) or 0)


def test_an_auction_through_the_api(app_client: Any, sessions: sessionmaker[Session]) -> None:
    regulator = make_user(sessions, "reg", "regulator")
    alpha = make_user(sessions, "alpha", "reporter", "alpha-co")
    beta = make_user(sessions, "beta", "developer", "beta-co")
    now = datetime.now(UTC)
    closes = now + timedelta(seconds=3)
    body = {
        "title": "红树林碳汇 2025",
        "rule": "eu",
        "volume": 100,
        "lot": 10,
        "tick_fen": 100,
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": closes.isoformat(),
    }
    assert app_client.post(API, json=body).status_code == 401
    assert app_client.post(API, json=body, headers=alpha).status_code == 403
    created = app_client.post(API, json=body, headers=regulator)
    assert created.status_code == 201, created.text
    auction = created.json()
    assert len(auction["seed_commitment"]) == 64

    bid = app_client.post(
        f"{API}/{auction['id']}/bids", json={"price_fen": 48_500, "quantity": 60}, headers=alpha
    )
    assert bid.status_code == 201, bid.text
    assert bid.json()["receipt"].startswith("c2sp.org/tlog-proof")
    assert (
        app_client.post(
            f"{API}/{auction['id']}/bids", json={"price_fen": 45_000, "quantity": 50}, headers=beta
        ).status_code
        == 201
    )

    before = _bids(sessions)
    off_tick = app_client.post(
        f"{API}/{auction['id']}/bids", json={"price_fen": 45_050, "quantity": 50}, headers=beta
    )
    assert off_tick.status_code == 422
    assert off_tick.headers["content-type"].startswith("application/problem+json")
    assert off_tick.json()["issues"][0]["location"] == ["price_fen"]
    assert _bids(sessions) == before

    mine = app_client.get(f"{API}/{auction['id']}/bids/mine", headers=alpha).json()
    assert [b["quantity"] for b in mine] == [60]
    assert app_client.get(f"{API}/{auction['id']}/result").status_code == 404  # sealed until the close

    early = app_client.post(f"{API}/{auction['id']}/close", headers=regulator)
    assert early.status_code == 409
    assert early.json()["type"].endswith("markets-auction-window")
    time.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.2)
    closed = app_client.post(f"{API}/{auction['id']}/close", headers=regulator)
    assert closed.status_code == 200, closed.text
    document = app_client.get(f"{API}/{auction['id']}/result").json()
    assert document["outcome"]["clearing_price_fen"] == 45_000
    assert results.verify(document) == []
    listed = app_client.get(API).json()
    assert [a["status"] for a in listed] == ["cleared"]
    late = app_client.post(
        f"{API}/{auction['id']}/bids", json={"price_fen": 50_000, "quantity": 10}, headers=beta
    )
    assert late.status_code == 409


def test_unknown_auction_and_bad_rule(app_client: Any, sessions: sessionmaker[Session]) -> None:
    regulator = make_user(sessions, "reg2", "regulator")
    assert app_client.get(f"{API}/auction-nope").status_code == 404
    bad = app_client.post(
        API,
        json={
            "title": "x",
            "rule": "dutch",
            "volume": 1,
            "opens_at": "2026-01-01T00:00:00Z",
            "closes_at": "2026-01-02T00:00:00Z",
        },
        headers=regulator,
    )
    assert bad.status_code == 422
    assert "rule" in bad.text

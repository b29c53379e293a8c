"""Sealed-bid auctions through the service on both databases: bids sealed in the log, withdrawn in
the window, opened and cleared at the close; the published result verifies, and any tampering with
it is found; wrong-time and bad bids change nothing."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from carbonbridge.ledger import service as ledger
from carbonbridge.markets.auctions import result as results
from carbonbridge.markets.auctions import service
from carbonbridge.markets.auctions.errors import AuctionWindow, InvalidBid
from carbonbridge.markets.auctions.model import Rule, Terms
from carbonbridge.platform.identity import Principal, Role

REGULATOR = Principal("u-reg", "Regulator", Role.REGULATOR)
ALPHA = Principal("u-a", "Alpha buyer", Role.REPORTER, "alpha-co")
BETA = Principal("u-b", "Beta buyer", Role.DEVELOPER, "beta-co")
GAMMA = Principal("u-g", "Gamma fund", Role.INVESTOR)
OPENS = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(hours=2)


def at(minutes: float) -> datetime:
    return OPENS + timedelta(minutes=minutes)


def clock(minutes: float):  # type: ignore[no-untyped-def]
    return lambda: at(minutes)


@pytest.fixture
def auction_id(sessions: sessionmaker[Session]) -> str:
    terms = Terms(volume=100, rule=Rule.UK, reserve_fen=30_000, lot=10, tick_fen=100, bidder_cap=200)
    return service.open_auction(sessions, REGULATOR, "Mangrove sink, vintage 2025", terms, OPENS, CLOSES).id


def test_a_whole_auction_sealed_opened_cleared_and_verified(
    sessions: sessionmaker[Session], auction_id: str
) -> None:
    a1, receipt = service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(1))
    service.submit_bid(sessions, BETA, auction_id, 45_000, 50, clock=clock(2))
    g1, _ = service.submit_bid(sessions, GAMMA, auction_id, 50_000, 30, clock=clock(3))
    service.withdraw_bid(sessions, GAMMA, g1.id, clock=clock(4))  # a modification: withdraw, bid again
    service.submit_bid(sessions, GAMMA, auction_id, 46_000, 30, clock=clock(5))
    # the bidder's receipt carries its log entry (base64 on the ``extra`` line): only the
    # commitment, not the bid
    extra = next(line for line in receipt.splitlines() if line.startswith("extra "))
    entry = json.loads(base64.b64decode(extra.removeprefix("extra ")))
    assert entry["kind"] == "markets.sealed_bid"
    assert set(entry) == {"kind", "commitment"}
    assert a1.log_index >= 0

    with pytest.raises(NotFound):
        service.result_document(sessions, auction_id)
    document = service.close_auction(sessions, REGULATOR, auction_id, clock=clock(121))

    # UK rule: 60 @ 485 + 30 @ 460 = 90, then 50 @ 450 reaches 100 → price 450, beta gets 10
    outcome = document["outcome"]
    assert outcome["status"] == "cleared"
    assert outcome["clearing_price_fen"] == 45_000
    alloc = {row[1]: (row[2], row[3]) for row in outcome["allocation"]}
    assert alloc == {"alpha-co": (60, 45_000), "u-g": (30, 45_000), "beta-co": (10, 45_000)}
    assert outcome["proceeds_fen"] == 100 * 45_000
    assert [w["bid"] for w in document["withdrawn"]] == [g1.id]
    assert len(document["bids"]) == 3

    assert results.verify(document) == []
    assert service.result_document(sessions, auction_id) == json.loads(json.dumps(document))

    # each opening is the private entry's commitment, as the ledger holds it
    with sessions() as session:
        for opening in document["bids"]:
            salt, payload = ledger.commitment_opening(session, opening["log_index"])
            assert hashlib.sha256(salt + payload).hexdigest() == opening["commitment"]


def test_tampering_with_a_result_is_found(sessions: sessionmaker[Session], auction_id: str) -> None:
    service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(1))
    service.submit_bid(sessions, BETA, auction_id, 45_000, 50, clock=clock(2))
    document = service.close_auction(sessions, REGULATOR, auction_id, clock=clock(121))
    assert results.verify(document) == []

    cheaper = copy.deepcopy(document)
    cheaper["outcome"]["clearing_price_fen"] = 40_000
    assert any("clearing_price_fen" in p for p in results.verify(cheaper))

    altered = copy.deepcopy(document)
    payload = json.loads(altered["bids"][0]["payload"])
    payload["price_fen"] = 99_900
    altered["bids"][0]["payload"] = json.dumps(payload)
    assert any("does not hash" in p for p in results.verify(altered))

    dropped = copy.deepcopy(document)
    dropped["bids"] = dropped["bids"][:1]
    assert results.verify(dropped)  # the allocation no longer recomputes (and the digest differs)

    other_seed = copy.deepcopy(document)
    other_seed["seed"] = "00" * 32
    assert any("seed" in p for p in results.verify(other_seed))
    assert results.verify({"format": "something else"}) == [
        "not a carbonbridge-sealed-auction-result/v1 document"
    ]
    assert results.verify({"format": results.FORMAT})[0].startswith("malformed")


def test_bids_outside_the_window_and_bad_bids_change_nothing(
    sessions: sessionmaker[Session], auction_id: str
) -> None:
    with pytest.raises(AuctionWindow):
        service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(-1))
    with pytest.raises(AuctionWindow):
        service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(120))
    with pytest.raises(InvalidBid) as off_tick:
        service.submit_bid(sessions, ALPHA, auction_id, 48_550, 60, clock=clock(1))
    assert off_tick.value.issues[0].location == ("price_fen",)
    with pytest.raises(InvalidBid):
        service.submit_bid(sessions, ALPHA, auction_id, 48_500, 15, clock=clock(1))  # not whole lots
    service.submit_bid(sessions, ALPHA, auction_id, 48_500, 150, clock=clock(1))
    with pytest.raises(InvalidBid) as cap:
        service.submit_bid(sessions, ALPHA, auction_id, 47_000, 60, clock=clock(2))  # 210 > cap 200
    assert cap.value.issues[0].location == ("bidders", "alpha-co", "quantity")
    with pytest.raises(InvalidInput):
        service.submit_bid(sessions, ALPHA, auction_id, 485.0, 60, clock=clock(1))  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        service.submit_bid(sessions, Principal("u-v", "Verifier", Role.VERIFIER), auction_id, 48_500, 10)
    with pytest.raises(AuctionWindow):
        service.close_auction(sessions, REGULATOR, auction_id, clock=clock(119))
    with pytest.raises(Forbidden):
        service.close_auction(sessions, ALPHA, auction_id, clock=clock(121))
    assert [b.quantity for b in service.my_bids(sessions, ALPHA, auction_id)] == [150]
    document = service.close_auction(sessions, REGULATOR, auction_id, clock=clock(121))
    assert len(document["bids"]) == 1
    with pytest.raises(Conflict):
        service.close_auction(sessions, REGULATOR, auction_id, clock=clock(122))
    with pytest.raises(AuctionWindow):
        service.submit_bid(sessions, BETA, auction_id, 48_500, 10, clock=clock(121))


def test_a_bidder_withdraws_only_its_own_bids(sessions: sessionmaker[Session], auction_id: str) -> None:
    bid, _ = service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(1))
    with pytest.raises(NotFound):
        service.withdraw_bid(sessions, BETA, bid.id, clock=clock(2))
    service.withdraw_bid(sessions, ALPHA, bid.id, clock=clock(2))
    with pytest.raises(Conflict):
        service.withdraw_bid(sessions, ALPHA, bid.id, clock=clock(3))
    assert service.my_bids(sessions, ALPHA, auction_id) == []


def test_opening_needs_a_regulator_and_sound_terms(sessions: sessionmaker[Session]) -> None:
    terms = Terms(volume=100, rule=Rule.EU)
    with pytest.raises(Forbidden):
        service.open_auction(sessions, ALPHA, "x", terms, OPENS, CLOSES)
    with pytest.raises(InvalidInput) as caught:
        service.open_auction(sessions, REGULATOR, " ", terms, CLOSES, OPENS)
    assert {i.location for i in caught.value.issues} == {("title",), ("closes_at",)}
    with pytest.raises(InvalidInput):
        service.open_auction(sessions, REGULATOR, "UK", Terms(volume=100, rule=Rule.UK), OPENS, CLOSES)
    assert service.list_auctions(sessions) == []


CARBONBRIDGE = Path(sys.executable).parent / "carbonbridge"


def _verify_cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CARBONBRIDGE), "markets", "verify-auction", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_result_verifies_offline_through_the_console_script(
    sessions: sessionmaker[Session], auction_id: str, tmp_path: Path
) -> None:
    service.submit_bid(sessions, ALPHA, auction_id, 48_500, 60, clock=clock(1))
    service.submit_bid(sessions, BETA, auction_id, 45_000, 50, clock=clock(2))
    document = service.close_auction(sessions, REGULATOR, auction_id, clock=clock(121))
    good = tmp_path / "result.json"
    good.write_text(json.dumps(document), encoding="utf-8")
    ok = _verify_cli(good)
    assert ok.returncode == 0, ok.stderr
    assert "OK: auction" in ok.stdout
    assert "45000 fen" in ok.stdout
    document["outcome"]["allocation"][0][2] += 10
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    failed = _verify_cli(bad)
    assert failed.returncode == 3
    assert "markets-result-not-verified" in failed.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert _verify_cli(broken).returncode == 2

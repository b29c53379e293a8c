"""The open ascending auction: Shenzhen's 2023 mangrove carbon-sink auction replayed in shape, bad
bids refused without changing anything, and invariants over random bid sequences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.markets.auctions.ascending import (
    Ascending,
    AscendingTerms,
    Phase,
    Step,
)
from carbonbridge.markets.auctions.errors import BidRefused, InvalidAuctionTerms

# Shenzhen, Futian, 2023-09-26: start 183 yuan/t, 17 bidders, 92 rounds, hammer 485 yuan/t, about a
# tenth of 38,745.44 t, "about 1.88 million yuan" in all (Hong Kong Commercial Daily and Shenzhen
# Evening News, 2023-09-26). The increment ladder was not published: this one (4 yuan up to 299, then
# 3 yuan) is ours, chosen so that 92 accepted bids run from 183 to 485 exactly.
SHENZHEN = AscendingTerms(
    lot=3875,
    start_fen=18_300,
    ladder=(Step(18_300, 400), Step(29_900, 300)),
    round_seconds=60,
    deposit_fen=10_000_000,
)
BIDDERS = [f"bidder-{n:02d}" for n in range(1, 18)]


def replay() -> Ascending:
    """92 rounds: the first 17 go to each bidder in turn; then bidders drop out as the price rises
    (bidder n stays in while the price is under 183 + 18·n yuan, the last three to the end), each
    round's bid from the next active bidder that is not the standing one; bidder-17 takes the
    92nd."""
    auction = Ascending.open(SHENZHEN, at=0.0, bidders=frozenset(BIDDERS))
    t = 0.0
    turn = 0
    while auction.round <= 92:
        price = auction.announced_fen
        active = [b for n, b in enumerate(BIDDERS, 1) if n >= 15 or price < 18_300 + 1_800 * n]
        if auction.round <= 17:
            who = BIDDERS[auction.round - 1]  # each of the 17 raises a paddle once early on
        elif auction.round == 92:
            who = "bidder-17"
        else:
            candidates = [b for b in active if auction.standing is None or b != auction.standing.bidder]
            who = candidates[turn % len(candidates)]
            if auction.round == 91 and who == "bidder-17":
                who = candidates[(turn + 1) % len(candidates)]
        t += 10
        auction = auction.bid(who, price, at=t)
        turn += 1
    return auction.close(at=t + 61)


def test_the_shenzhen_2023_auction_in_shape() -> None:
    auction = replay()
    assert auction.phase is Phase.HAMMERED
    assert len(auction.bids) == 92
    assert auction.bids[0].price_fen == 18_300
    assert auction.standing is not None
    assert auction.standing.price_fen == 48_500
    assert auction.standing.bidder == "bidder-17"
    assert len({b.bidder for b in auction.bids}) == 17
    assert auction.amount_fen == 48_500 * 3875 == 187_937_500  # 1,879,375 yuan: "about 1.88 million"
    steps = [b.price_fen - a.price_fen for a, b in zip(auction.bids, auction.bids[1:], strict=False)]
    assert steps.count(400) == 29
    assert steps.count(300) == 62
    assert "after 92 rounds" in auction.reason


def test_the_round_stays_open_until_its_time_limit() -> None:
    auction = Ascending.open(SHENZHEN, at=0.0, bidders=frozenset(BIDDERS)).bid("bidder-01", 18_300, at=5)
    assert auction.close(at=65) is auction  # deadline is 5 + 60
    assert auction.close(at=65.5).phase is Phase.HAMMERED


def test_no_bid_at_the_start_price_is_unsold() -> None:
    auction = Ascending.open(SHENZHEN, at=0.0, bidders=frozenset(BIDDERS)).close(at=61)
    assert auction.phase is Phase.UNSOLD
    assert "流拍" in auction.reason
    assert auction.amount_fen is None


def test_a_reserve_not_met_is_unsold() -> None:
    terms = AscendingTerms(lot=10, start_fen=100, ladder=(Step(100, 10),), reserve_fen=150, round_seconds=30)
    auction = Ascending.open(terms, at=0, bidders=frozenset({"a", "b"}))
    auction = auction.bid("a", 100, at=1).bid("b", 110, at=2).close(at=40)
    assert auction.phase is Phase.UNSOLD
    assert "reserve" in auction.reason


@pytest.mark.parametrize(
    ("bidder", "price", "at", "field", "reason"),
    [
        ("bidder-02", 18_800, 20, "price_fen", "announced price is 18700"),
        ("stranger", 18_700, 20, "bidder", "not a registered bidder"),
        ("bidder-01", 18_700, 20, "bidder", "against itself"),
        ("bidder-02", 18_700, 100, "at", "time limit"),
        ("bidder-02", 18_700, 5, "at", "cannot go back"),
    ],
)
def test_bad_bids_are_refused_and_change_nothing(
    bidder: str, price: int, at: float, field: str, reason: str
) -> None:
    auction = Ascending.open(SHENZHEN, at=0.0, bidders=frozenset(BIDDERS)).bid("bidder-01", 18_300, at=10)
    with pytest.raises(BidRefused) as caught:
        auction.bid(bidder, price, at=at)
    assert caught.value.issues[0].location == ("bid", field)
    assert reason in caught.value.issues[0].reason
    assert auction.round == 2
    assert auction.announced_fen == 18_700


def test_no_bid_after_the_hammer() -> None:
    auction = replay()
    with pytest.raises(BidRefused, match="bid refused") as caught:
        auction.bid("bidder-01", auction.announced_fen, at=10_000)
    assert "hammered" in caught.value.issues[0].reason


@pytest.mark.parametrize(
    ("terms", "where"),
    [
        (AscendingTerms(lot=0, start_fen=100, ladder=(Step(100, 10),)), ("terms", "lot")),
        (AscendingTerms(lot=1, start_fen=100, ladder=()), ("terms", "ladder")),
        (AscendingTerms(lot=1, start_fen=100, ladder=(Step(100, 0),)), ("terms", "ladder", 0, "step_fen")),
        (
            AscendingTerms(lot=1, start_fen=100, ladder=(Step(100, 5), Step(90, 5))),
            ("terms", "ladder", 1, "from_fen"),
        ),
        (AscendingTerms(lot=1, start_fen=100, ladder=(Step(200, 5),)), ("terms", "ladder", 0, "from_fen")),
    ],
)
def test_terms_that_cannot_run_are_refused(terms: AscendingTerms, where: tuple[object, ...]) -> None:
    with pytest.raises(InvalidAuctionTerms) as caught:
        Ascending.open(terms, at=0, bidders=frozenset({"a"}))
    assert caught.value.issues[0].location == where


attempts = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "x"]), st.integers(-1, 2), st.floats(0, 40)),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(attempts)
def test_invariants_over_any_sequence_of_attempts(seq: list[tuple[str, int, float]]) -> None:
    """Whatever bidders try (wrong prices, late, unregistered 'x', twice in a row): accepted prices
    rise by the ladder's step, no bidder follows itself, a refusal changes nothing, and the hammer
    goes to the last accepted bid."""
    terms = AscendingTerms(lot=5, start_fen=1000, ladder=(Step(1000, 50), Step(1200, 20)), round_seconds=30)
    auction = Ascending.open(terms, at=0, bidders=frozenset({"a", "b", "c"}))
    clock = 0.0
    for who, offset, wait in seq:
        clock += wait
        price = auction.announced_fen + offset * 10
        try:
            after = auction.bid(who, price, at=clock)
        except BidRefused:
            continue
        assert after.round == auction.round + 1
        auction = after
    for before, after in zip(auction.bids, auction.bids[1:], strict=False):
        assert after.price_fen == before.price_fen + terms.step_at(before.price_fen)
        assert after.bidder != before.bidder
        assert after.at - before.at <= terms.round_seconds
    closed = auction.close(at=clock + 31)
    if auction.bids:
        assert closed.phase is Phase.HAMMERED
        assert closed.amount_fen == auction.bids[-1].price_fen * 5
    else:
        assert closed.phase is Phase.UNSOLD

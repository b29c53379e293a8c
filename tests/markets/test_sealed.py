"""Sealed-bid auctions: worked examples of each rule (Reg. 1031/2010 Art. 7; UK SI 2021/484 regs
6-7 as amended; RGGI's highest rejected bid; pay-as-bid), bad input, and property tests against a
plain reference implementation written from the rules' text."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.markets.auctions.errors import InvalidAuctionTerms, InvalidBid
from carbonbridge.markets.auctions.model import Bid, Outcome, Rule, Status, Terms
from carbonbridge.markets.auctions.sealed import BidColumns, clear
from carbonbridge.markets.auctions.ties import commitment, tie_key

SEED_A = bytes(range(32))
SEED_B = bytes([3]) * 32  # chosen so that it orders the tie b/c the other way from SEED_A


def _key(seed: bytes, bid_id: str) -> bytes:
    """The published tie-break algorithm, restated from docs/markets.md ("Ties")."""
    return hashlib.sha256(b"carbonbridge/auction-tie-key/v1\x00" + seed + b"\x00" + bid_id.encode()).digest()


def won(outcome: Outcome) -> dict[str, int]:
    return {a.bid_id: a.quantity for a in outcome.awards}


# -- worked examples --------------------------------------------------------------------------------

TIED = [Bid("a", "A", 500, 40), Bid("b", "B", 450, 50), Bid("c", "C", 450, 30), Bid("d", "D", 400, 20)]


@pytest.mark.parametrize("seed", [SEED_A, SEED_B])
def test_eu_uniform_price_with_a_partially_filled_marginal_bid_and_a_tie(seed: bytes) -> None:
    """Volume 100; bids 40 @ 5.00, 50 @ 4.50, 30 @ 4.50, 20 @ 4.00 (yuan). Cumulative demand reaches
    100 at 4.50 (Art. 7(2)): 'a' is filled in full, the tie at 4.50 is broken by the committed seed,
    the first of b/c gets its full quantity and the second the remaining volume (Art. 7(4))."""
    outcome = clear(Terms(volume=100, rule=Rule.EU), TIED, seed)
    first, second = sorted(["b", "c"], key=lambda i: _key(seed, i))
    quantity = {"b": 50, "c": 30}
    assert outcome.status is Status.CLEARED
    assert outcome.clearing_price_fen == 450
    assert won(outcome) == {"a": 40, first: quantity[first], second: 60 - quantity[first]}
    assert outcome.marginal_bid == second
    assert all(a.price_fen == 450 for a in outcome.awards)
    assert outcome.proceeds_fen == 100 * 450
    assert (outcome.sold, outcome.unsold, outcome.demand) == (100, 0, 140)
    assert outcome.cover_ratio == Decimal("1.4000")


def test_the_two_seeds_order_the_tie_differently() -> None:
    """The example above shows both orders (otherwise it would not test the tie-break)."""
    assert (_key(SEED_A, "b") < _key(SEED_A, "c")) != (_key(SEED_B, "b") < _key(SEED_B, "c"))
    assert tie_key(SEED_A, "b") == _key(SEED_A, "b")


def test_the_seed_commitment_is_published_before_and_checked_after() -> None:
    expected = hashlib.sha256(b"carbonbridge/auction-tie-seed/v1\x00" + SEED_A).hexdigest()
    assert commitment(SEED_A) == expected
    assert commitment(SEED_B) != expected
    with pytest.raises(ValueError, match="32 bytes"):
        commitment(b"short")


def test_pay_as_bid_each_pays_its_own_price() -> None:
    outcome = clear(Terms(volume=100, rule=Rule.PAY_AS_BID), TIED, SEED_A)
    first, second = sorted(["b", "c"], key=lambda i: _key(SEED_A, i))
    paid = {a.bid_id: (a.quantity, a.price_fen, a.amount_fen) for a in outcome.awards}
    q_first = {"b": 50, "c": 30}[first]
    assert paid["a"] == (40, 500, 20000)
    assert paid[first] == (q_first, 450, q_first * 450)
    assert paid[second] == (60 - q_first, 450, (60 - q_first) * 450)
    assert outcome.proceeds_fen == 20000 + 60 * 450
    assert outcome.clearing_price_fen == 450  # the marginal price, reported


def test_eu_cancels_an_undersubscribed_auction() -> None:
    outcome = clear(Terms(volume=1000, rule=Rule.EU), TIED, SEED_A)
    assert outcome.status is Status.CANCELLED
    assert outcome.awards == ()
    assert outcome.sold == 0
    assert outcome.unsold == 1000
    assert "Art. 7(5)" in outcome.reason
    assert outcome.cover_ratio == Decimal("0.1400")


def test_eu_cancels_below_the_secondary_market_floor() -> None:
    outcome = clear(Terms(volume=100, rule=Rule.EU, secondary_floor_fen=460), TIED, SEED_A)
    assert outcome.status is Status.CANCELLED
    assert "Art. 7(6)" in outcome.reason


def test_uk_ignores_bids_under_the_reserve_and_clears_undersubscribed_at_the_lowest_bid() -> None:
    """Reserve 4.20: 'd' (4.00) is not accepted (reg 6(4)); the 120 units bid at or above the reserve
    fall short of 200, so all are filled at the lowest accepted bid, 4.50 (reg 7(1)(b)), and 80 units
    are unsold, for the next four auctions (reg 6(8))."""
    outcome = clear(Terms(volume=200, rule=Rule.UK, reserve_fen=420), TIED, SEED_A)
    assert outcome.status is Status.CLEARED
    assert outcome.clearing_price_fen == 450
    assert won(outcome) == {"a": 40, "b": 50, "c": 30}
    assert (outcome.sold, outcome.unsold) == (120, 80)
    assert outcome.demand == 140  # every bid, the one under the reserve included


def test_uk_secondary_floor_clears_at_the_lowest_bid_not_under_it() -> None:
    """Floor 4.60: the price 4.50 would be under it; only 'a' (5.00) is not, so 40 units clear at 5.00
    (reg 7(1)(c)); with a floor above every bid nothing clears (reg 7(1A))."""
    outcome = clear(Terms(volume=100, rule=Rule.UK, reserve_fen=100, secondary_floor_fen=460), TIED, SEED_A)
    assert (outcome.clearing_price_fen, won(outcome), outcome.unsold) == (500, {"a": 40}, 60)
    none = clear(Terms(volume=100, rule=Rule.UK, reserve_fen=100, secondary_floor_fen=600), TIED, SEED_A)
    assert none.status is Status.NO_SALE
    assert none.sold == 0
    assert "7(1A)" in none.reason


def test_rggi_clears_at_the_highest_rejected_bid() -> None:
    """Volume 90: 'a' 40 and the tied level at 4.50 (80 units) cross 90 → the level is partly filled,
    so the highest rejected bid is at 4.50. Volume 120: a and the whole level are filled exactly,
    and the highest rejected bid is 'd' at 4.00. Volume 140: nothing at or above the reserve (3.00)
    is rejected → the reserve price."""
    terms = {v: Terms(volume=v, rule=Rule.RGGI, reserve_fen=300) for v in (90, 120, 140, 500)}
    assert clear(terms[90], TIED, SEED_A).clearing_price_fen == 450
    exact = clear(terms[120], TIED, SEED_A)
    assert exact.clearing_price_fen == 400
    assert won(exact) == {"a": 40, "b": 50, "c": 30}
    full = clear(terms[140], TIED, SEED_A)
    assert full.clearing_price_fen == 300
    assert full.sold == 140
    under = clear(terms[500], TIED, SEED_A)
    assert (under.clearing_price_fen, under.sold, under.unsold) == (300, 140, 360)


def test_no_acceptable_bid_is_no_sale() -> None:
    outcome = clear(Terms(volume=10, rule=Rule.UK, reserve_fen=10_000), TIED, SEED_A)
    assert outcome.status is Status.NO_SALE
    assert outcome.awards == ()
    assert clear(Terms(volume=10, rule=Rule.EU), [], SEED_A).status is Status.CANCELLED


# -- bad input ----------------------------------------------------------------------------------------


def test_bad_bids_are_named_and_nothing_is_cleared() -> None:
    terms = Terms(volume=5000, rule=Rule.UK, reserve_fen=100, lot=500, tick_fen=1, bidder_cap=1000)
    bids = [
        Bid("ok", "A", 2500, 500),
        Bid("small", "B", 2500, 400),
        Bid("odd", "B", 2500, 750),
        Bid("free", "C", 0, 500),
        Bid("ok", "C", 2500, 500),
        Bid("big1", "D", 2500, 1000),
        Bid("big2", "D", 2600, 500),
    ]
    with pytest.raises(InvalidBid) as caught:
        clear(terms, bids, SEED_A)
    found = {(i.location, i.value) for i in caught.value.issues}
    assert (("bids", 1, "quantity"), 400) in found
    assert (("bids", 2, "quantity"), 750) in found
    assert (("bids", 3, "price_fen"), 0) in found
    assert (("bids", 4, "bid_id"), "ok") in found
    assert (("bidders", "D", "quantity"), 1500) in found
    assert (("bidders", "B", "quantity"), 1150) in found
    reasons = " ".join(i.reason for i in caught.value.issues)
    assert "under one lot" in reasons
    assert "whole number of lots" in reasons
    assert "cap" in reasons


def test_off_tick_prices_are_refused() -> None:
    with pytest.raises(InvalidBid) as caught:
        clear(Terms(volume=10, rule=Rule.EU, tick_fen=5), [Bid("x", "A", 1001, 10)], SEED_A)
    assert caught.value.issues[0].location == ("bids", 0, "price_fen")
    assert "off tick" in caught.value.issues[0].reason


def test_many_bad_bids_list_the_first_fifty_and_count_all() -> None:
    bids = [Bid(f"b{n}", "A", -1, 1) for n in range(120)]
    with pytest.raises(InvalidBid) as caught:
        clear(Terms(volume=10, rule=Rule.EU), bids, SEED_A)
    assert len(caught.value.issues) == 50
    assert "120 problem(s)" in caught.value.detail


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (Terms(volume=10, rule=Rule.UK), "reserve_fen"),
        (Terms(volume=10, rule=Rule.RGGI), "reserve_fen"),
        (Terms(volume=10, rule=Rule.EU, reserve_fen=100), "reserve_fen"),
        (Terms(volume=0, rule=Rule.EU), "volume"),
        (Terms(volume=10, rule=Rule.EU, lot=0), "lot"),
        (Terms(volume=10, rule=Rule.RGGI, reserve_fen=1, secondary_floor_fen=5), "secondary_floor_fen"),
        (Terms(volume=10, rule=Rule.EU, lot=10, bidder_cap=5), "bidder_cap"),
    ],
)
def test_terms_a_rule_cannot_clear_with_are_refused(terms: Terms, field: str) -> None:
    with pytest.raises(InvalidAuctionTerms) as caught:
        clear(terms, TIED, SEED_A)
    assert caught.value.issues[0].location == ("terms", field)


def test_a_seed_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(InvalidAuctionTerms):
        clear(Terms(volume=10, rule=Rule.EU), TIED, b"x")


def test_non_integer_prices_are_refused_before_anything_else() -> None:
    with pytest.raises(InvalidBid) as caught:
        BidColumns.from_bids([Bid("x", "A", 4.5, 1)])  # type: ignore[arg-type]
    assert caught.value.issues[0].location == ("bids", 0, "price_fen")


# -- properties against a reference written from the rules' text ------------------------------------


def reference(
    terms: Terms, bids: list[Bid], seed: bytes
) -> tuple[Status, int | None, dict[str, tuple[int, int]]]:
    """A plain restatement: sort acceptable bids by price (descending), ties by the seed's key,
    fill in order; then the rule's price. Returns status, price and {bid: (quantity, unit price)}."""
    reserve = terms.reserve_fen
    ok = [b for b in bids if reserve is None or b.price_fen >= reserve]
    ok.sort(key=lambda b: (-b.price_fen, _key(seed, b.bid_id)))
    total = sum(b.quantity for b in ok)
    left = terms.volume
    fills: list[tuple[Bid, int]] = []
    for b in ok:
        if left == 0:
            break
        take = min(b.quantity, left)
        fills.append((b, take))
        left -= take
    if total == 0:
        return (Status.CANCELLED if terms.rule is Rule.EU else Status.NO_SALE), None, {}
    covered = total >= terms.volume
    if terms.rule is Rule.EU and not covered:
        return Status.CANCELLED, None, {}
    lowest_filled = fills[-1][0].price_fen
    if terms.rule is Rule.RGGI:
        if covered:
            rejected = [b.price_fen for b, t in fills if t < b.quantity]
            rejected += [b.price_fen for b in ok[len(fills) :]]
            price = max(rejected) if rejected else reserve
        else:
            price = reserve
    else:
        price = lowest_filled
    assert price is not None
    if terms.rule is Rule.PAY_AS_BID:
        return Status.CLEARED, price, {b.bid_id: (t, b.price_fen) for b, t in fills}
    return Status.CLEARED, price, {b.bid_id: (t, price) for b, t in fills}


bid_lists = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.integers(1, 12), st.integers(1, 40)),
    max_size=30,
).map(lambda rows: [Bid(f"bid{n}", who, price * 10, qty) for n, (who, price, qty) in enumerate(rows)])


@settings(max_examples=300, deadline=None)
@given(
    bids=bid_lists,
    volume=st.integers(1, 400),
    rule=st.sampled_from(list(Rule)),
    reserve=st.integers(0, 60),
    seed=st.binary(min_size=32, max_size=32),
)
def test_clearing_equals_the_reference_and_keeps_its_invariants(
    bids: list[Bid], volume: int, rule: Rule, reserve: int, seed: bytes
) -> None:
    terms = Terms(
        volume=volume,
        rule=rule,
        reserve_fen=None if rule is Rule.EU else reserve,
    )
    outcome = clear(terms, bids, seed)
    status, price, fills = reference(terms, bids, seed)
    assert outcome.status is status
    assert outcome.clearing_price_fen == price
    assert {a.bid_id: (a.quantity, a.price_fen) for a in outcome.awards} == fills
    by_id = {b.bid_id: b for b in bids}
    # invariants: never more than the volume, never more than a bid asked, never above a bid's price
    assert outcome.sold + outcome.unsold == volume
    assert 0 <= outcome.sold <= volume
    for award in outcome.awards:
        bid = by_id[award.bid_id]
        assert 0 < award.quantity <= bid.quantity
        assert award.price_fen <= bid.price_fen
        assert award.amount_fen == award.quantity * award.price_fen
    # the same bids in another order clear the same way (the tie-break depends on ids, not order)
    shuffled = list(bids)
    random.Random(seed).shuffle(shuffled)
    again = clear(terms, shuffled, seed)
    assert sorted(again.awards, key=lambda a: a.bid_id) == sorted(outcome.awards, key=lambda a: a.bid_id)

"""The serial-block algebra: worked splits, and a stateful test of conservation and single
ownership over random sequences of issuances (verified, converting planned units in place, or
ex-ante), transfers, retirements, cancellations, reversals, export requests with their
confirmation or rejection, and expiries."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry.blocks import convert_planned, issue_range, overlaps, serial_ranges, take, tally
from carbonbridge.registry.errors import InsufficientUnits
from carbonbridge.registry.model import (
    EXPIRABLE,
    EXPORTABLE,
    RETIRABLE,
    TRANSFERABLE,
    SerialBlock,
    UnitState,
)

_ids = itertools.count()


def new_id() -> str:
    return f"b{next(_ids)}"


def block(start: int, end: int, account: str = "A", state: UnitState = UnitState.HELD) -> SerialBlock:
    return SerialBlock(new_id(), "p", 2025, start, end, account, state)


def test_issuance_splits_buffer_off_the_top() -> None:
    made = issue_range("p", 2025, 1, 1000, 200, "A", "POOL", new_id)
    assert [(b.start, b.end, b.account_id, b.state) for b in made] == [
        (1, 800, "A", UnitState.HELD),
        (801, 1000, "POOL", UnitState.BUFFER),
    ]


def test_partial_transfer_splits_block_and_conserves_count() -> None:
    source = block(1, 100)
    move = take([source], allowed=TRANSFERABLE, to_account="B", to_state=None, new_id=new_id, quantity=30)
    assert move.consumed == (source,)
    assert [(b.start, b.end, b.account_id) for b in move.produced] == [(1, 30, "B"), (31, 100, "A")]
    assert sum(b.count for b in move.produced) == source.count


def test_range_from_the_middle_leaves_two_remainders() -> None:
    move = take(
        [block(1, 100)],
        allowed=RETIRABLE,
        to_account="R",
        to_state=UnitState.RETIRED,
        new_id=new_id,
        start=40,
        end=59,
    )
    assert [(b.start, b.end, b.state) for b in move.moved] == [(40, 59, UnitState.RETIRED)]
    assert [(b.start, b.end) for b in move.remainders] == [(1, 39), (60, 100)]


def test_range_may_span_adjacent_blocks() -> None:
    move = take(
        [block(1, 10), block(11, 20)],
        allowed=TRANSFERABLE,
        to_account="B",
        to_state=None,
        new_id=new_id,
        start=5,
        end=15,
    )
    assert [(b.start, b.end) for b in move.moved] == [(5, 10), (11, 15)]
    assert [(b.start, b.end) for b in move.remainders] == [(1, 4), (16, 20)]


def test_range_with_a_gap_is_refused() -> None:
    with pytest.raises(InsufficientUnits, match="first missing serial: 11"):
        take(
            [block(1, 10), block(21, 30)],
            allowed=TRANSFERABLE,
            to_account="B",
            to_state=None,
            new_id=new_id,
            start=5,
            end=25,
        )


def test_planned_units_move_but_never_retire() -> None:
    planned = block(1, 10, state=UnitState.PLANNED)
    moved = take([planned], allowed=TRANSFERABLE, to_account="B", to_state=None, new_id=new_id, quantity=4)
    assert moved.moved[0].state is UnitState.PLANNED
    with pytest.raises(InsufficientUnits, match="0 t available in state held"):
        take(
            [planned],
            allowed=RETIRABLE,
            to_account="R",
            to_state=UnitState.RETIRED,
            new_id=new_id,
            quantity=1,
        )


def test_conversion_takes_the_oldest_planned_serials_in_place_whoever_holds_them() -> None:
    """The worked example of ``test_exante.py``: 1-30 planned at B, 31-100 planned at A, 64 to
    convert → 1-30 held at B, 31-64 held at A, 65-100 still planned at A."""
    buyer, dev = block(1, 30, "B", UnitState.PLANNED), block(31, 100, "A", UnitState.PLANNED)
    held = block(101, 110, "A")
    move = convert_planned([dev, held, buyer], 64, new_id)
    assert move.consumed == (buyer, dev)
    assert [(b.start, b.end, b.account_id, b.state) for b in move.moved] == [
        (1, 30, "B", UnitState.HELD),
        (31, 64, "A", UnitState.HELD),
    ]
    assert [(b.start, b.end, b.account_id, b.state) for b in move.remainders] == [
        (65, 100, "A", UnitState.PLANNED)
    ]
    assert serial_ranges(move.moved) == [(1, 64)]


def test_conversion_of_more_than_is_planned_converts_what_there_is() -> None:
    move = convert_planned([block(1, 10, state=UnitState.PLANNED), block(11, 20)], 25, new_id)
    assert (move.quantity, [(b.start, b.end) for b in move.moved], move.remainders) == (10, [(1, 10)], ())
    assert convert_planned([block(1, 10)], 5, new_id) == convert_planned([], 0, new_id)


@pytest.mark.parametrize("quantity", [-1, True, 2.5, "7"])
def test_conversion_quantity_must_be_whole_tonnes(quantity: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        convert_planned([block(1, 10, state=UnitState.PLANNED)], quantity, new_id)  # type: ignore[arg-type]
    assert caught.value.issues[0].location == ("quantity",)


def test_conversion_refuses_planned_units_of_two_vintages() -> None:
    other = SerialBlock(new_id(), "p", 2024, 1, 5, "A", UnitState.PLANNED)
    with pytest.raises(InvalidInput, match="several vintages"):
        convert_planned([block(1, 10, state=UnitState.PLANNED), other], 3, new_id)


def test_serial_ranges_merge_adjacent_blocks_only() -> None:
    assert serial_ranges([block(31, 64, "A"), block(1, 30, "B"), block(70, 80)]) == [(1, 64), (70, 80)]


@pytest.mark.parametrize("quantity", [0, -3, True, 2.5, "7"])
def test_quantity_must_be_whole_positive_tonnes(quantity: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        take(
            [block(1, 10)],
            allowed=TRANSFERABLE,
            to_account="B",
            to_state=None,
            new_id=new_id,
            quantity=quantity,
        )  # type: ignore[arg-type]
    assert caught.value.issues[0].location == ("quantity",)


HOLDERS = ("A", "B", "C")
PROJECTS = (("p1", 2024), ("p1", 2025), ("p2", 2025))
SINKS = {
    "R": UnitState.RETIRED,
    "X": UnitState.CANCELLED,
    "E": UnitState.EXPORTED,
    "Z": UnitState.EXPIRED,
}


class RegistryAlgebra(RuleBasedStateMachine):
    """Blocks as the store would hold them (open ones by id), driven through the pure functions
    only; after every step: issued = Σ states per project+vintage, every issued serial has exactly
    one open block, sinks hold only their state, planned serials are never retired."""

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, SerialBlock] = {}
        self.next_serial = dict.fromkeys(PROJECTS, 1)
        self.issued: Counter[tuple[str, int]] = Counter()
        self.planned: set[tuple[str, int, int]] = set()

    def _apply(self, blocks: list[SerialBlock], **kwargs: object) -> bool:
        try:
            move = take(blocks, new_id=new_id, **kwargs)  # type: ignore[arg-type]
        except InsufficientUnits:
            return False
        for b in move.consumed:
            del self.open[b.id]
        for b in move.produced:
            self.open[b.id] = b
        return True

    def _of(self, account: str, key: tuple[str, int]) -> list[SerialBlock]:
        return [b for b in self.open.values() if b.account_id == account and (b.project_id, b.vintage) == key]

    @rule(
        key=st.sampled_from(PROJECTS),
        holder=st.sampled_from(HOLDERS),
        quantity=st.integers(1, 60),
        buffer_pct=st.integers(0, 100),
        planned=st.booleans(),
    )
    def issue(self, key: tuple[str, int], holder: str, quantity: int, buffer_pct: int, planned: bool) -> None:
        buffer = 0 if planned else -(-quantity * buffer_pct // 100)
        start = self.next_serial[key]
        state = UnitState.PLANNED if planned else UnitState.HELD
        for b in issue_range(key[0], key[1], start, quantity, buffer, holder, "P", new_id, state=state):
            self.open[b.id] = b
        if planned:
            self.planned |= {(key[0], key[1], n) for n in range(start, start + quantity)}
        self.next_serial[key] += quantity
        self.issued[key] += quantity

    @rule(
        key=st.sampled_from(PROJECTS),
        holder=st.sampled_from(HOLDERS),
        quantity=st.integers(1, 60),
        buffer_pct=st.integers(0, 100),
    )
    def issue_verified(self, key: tuple[str, int], holder: str, quantity: int, buffer_pct: int) -> None:
        """``issuance.issue``: q − b planned units convert in place, the rest are new serials."""
        buffer = -(-quantity * buffer_pct // 100)
        planned = sorted(
            (
                b
                for b in self.open.values()
                if (b.project_id, b.vintage) == key and b.state is UnitState.PLANNED
            ),
            key=lambda b: b.start,
        )
        outstanding = [(n, b.account_id) for b in planned for n in range(b.start, b.end + 1)]
        of_key = [b for b in self.open.values() if (b.project_id, b.vintage) == key]  # every state
        move = convert_planned(of_key, quantity - buffer, new_id)
        converted = outstanding[: quantity - buffer]
        assert move.quantity == len(converted)
        assert [(n, b.account_id) for b in move.moved for n in range(b.start, b.end + 1)] == converted
        assert sum(b.count for b in move.consumed) == sum(b.count for b in move.produced)
        for b in move.consumed:
            del self.open[b.id]
        for b in move.produced:
            self.open[b.id] = b
        self.planned -= {(key[0], key[1], n) for n, _ in converted}
        fresh = quantity - move.quantity
        if fresh:
            start = self.next_serial[key]
            for b in issue_range(key[0], key[1], start, fresh, buffer, holder, "P", new_id):
                self.open[b.id] = b
            self.next_serial[key] += fresh
            self.issued[key] += fresh

    @rule(
        key=st.sampled_from(PROJECTS),
        source=st.sampled_from(HOLDERS),
        to=st.sampled_from(HOLDERS),
        quantity=st.integers(1, 80),
    )
    def transfer_quantity(self, key: tuple[str, int], source: str, to: str, quantity: int) -> None:
        self._apply(
            self._of(source, key), allowed=TRANSFERABLE, to_account=to, to_state=None, quantity=quantity
        )

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data(), to=st.sampled_from(HOLDERS))
    def transfer_range(self, data: st.DataObject, to: str) -> None:
        b = data.draw(
            st.sampled_from(sorted(self.open.values(), key=lambda b: (b.project_id, b.vintage, b.start)))
        )
        first = data.draw(st.integers(max(1, b.start - 5), b.end))
        last = data.draw(st.integers(first, b.end + 5))
        before = dict(self.open)
        if not self._apply(
            self._of(b.account_id, (b.project_id, b.vintage)),
            allowed=TRANSFERABLE,
            to_account=to,
            to_state=None,
            start=first,
            end=last,
        ):
            assert self.open == before  # a refused move changes nothing

    @rule(key=st.sampled_from(PROJECTS), source=st.sampled_from(HOLDERS), quantity=st.integers(1, 40))
    def retire(self, key: tuple[str, int], source: str, quantity: int) -> None:
        self._apply(
            self._of(source, key),
            allowed=RETIRABLE,
            to_account="R",
            to_state=UnitState.RETIRED,
            quantity=quantity,
        )

    @rule(key=st.sampled_from(PROJECTS), source=st.sampled_from(HOLDERS), quantity=st.integers(1, 40))
    def cancel(self, key: tuple[str, int], source: str, quantity: int) -> None:
        self._apply(
            self._of(source, key),
            allowed=TRANSFERABLE,
            to_account="X",
            to_state=UnitState.CANCELLED,
            quantity=quantity,
        )

    @rule(key=st.sampled_from(PROJECTS), quantity=st.integers(1, 30))
    def reverse(self, key: tuple[str, int], quantity: int) -> None:
        retired_before = [b for b in self.open.values() if b.state is UnitState.RETIRED]
        self._apply(
            self._of("P", key),
            allowed=frozenset({UnitState.BUFFER}),
            to_account="X",
            to_state=UnitState.CANCELLED,
            quantity=quantity,
        )
        assert [b for b in self.open.values() if b.state is UnitState.RETIRED] == retired_before

    @rule(key=st.sampled_from(PROJECTS), source=st.sampled_from(HOLDERS), quantity=st.integers(1, 40))
    def request_export(self, key: tuple[str, int], source: str, quantity: int) -> None:
        self._apply(
            self._of(source, key),
            allowed=EXPORTABLE,
            to_account=source,
            to_state=UnitState.PENDING_EXPORT,
            quantity=quantity,
        )

    def _pending(self) -> list[SerialBlock]:
        return sorted(
            (b for b in self.open.values() if b.state is UnitState.PENDING_EXPORT),
            key=lambda b: (b.project_id, b.vintage, b.start),
        )

    @precondition(lambda self: bool(self._pending()))
    @rule(data=st.data(), confirm=st.booleans())
    def settle_export(self, data: st.DataObject, confirm: bool) -> None:
        b = data.draw(st.sampled_from(self._pending()))
        before = (b.start, b.end)
        assert self._apply(
            self._of(b.account_id, (b.project_id, b.vintage)),
            allowed=frozenset({UnitState.PENDING_EXPORT}),
            to_account="E" if confirm else b.account_id,
            to_state=UnitState.EXPORTED if confirm else UnitState.HELD,
            start=b.start,
            end=b.end,
        )
        # the same serials, now exported or held again by the same holder
        assert any(
            (x.start, x.end) == before and x.state is (UnitState.EXPORTED if confirm else UnitState.HELD)
            for x in self.open.values()
            if (x.project_id, x.vintage) == (b.project_id, b.vintage)
        )

    @rule(key=st.sampled_from(PROJECTS), source=st.sampled_from(HOLDERS), quantity=st.integers(1, 40))
    def expire(self, key: tuple[str, int], source: str, quantity: int) -> None:
        self._apply(
            self._of(source, key),
            allowed=EXPIRABLE,
            to_account="Z",
            to_state=UnitState.EXPIRED,
            quantity=quantity,
        )

    @invariant()
    def conservation(self) -> None:
        tallies = tally(self.open.values())
        for key in PROJECTS:
            assert sum(tallies.get(key, Counter()).values()) == self.issued[key]

    @invariant()
    def every_serial_has_exactly_one_open_block(self) -> None:
        assert overlaps(self.open.values()) == []
        for key in PROJECTS:
            spans = sorted((b.start, b.end) for b in self.open.values() if (b.project_id, b.vintage) == key)
            expected = 1
            for start, end in spans:
                assert start == expected
                assert end >= start
                expected = end + 1
            assert expected == self.next_serial[key]

    @invariant()
    def accounts_hold_only_their_states(self) -> None:
        for b in self.open.values():
            if b.account_id in SINKS:
                assert b.state is SINKS[b.account_id]
            elif b.account_id == "P":
                assert b.state is UnitState.BUFFER
            else:
                assert b.state in TRANSFERABLE | {UnitState.PENDING_EXPORT}
            if b.state in (UnitState.RETIRED, UnitState.PENDING_EXPORT, UnitState.EXPORTED):
                # planned serials are never retired nor exported
                assert all(
                    (b.project_id, b.vintage, n) not in self.planned for n in range(b.start, b.end + 1)
                )


RegistryAlgebra.TestCase.settings = settings(
    settings.default, max_examples=settings.default.max_examples * 10, stateful_step_count=40
)
test_registry_algebra = RegistryAlgebra.TestCase

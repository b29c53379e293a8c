"""Serial-block algebra: issuing a range, taking units from an account's blocks (by serial range
or by quantity, lowest serials first), splitting blocks, and the conservation tally.

Pure functions over :class:`~carbonbridge.registry.model.SerialBlock`: a move never edits a block,
it *consumes* blocks and *produces* new ones (the moved part in the new account and state, and the
remainders left where they were), so the store keeps every block ever produced and the log can
name them. The invariants, property-tested in ``tests/registry/test_blocks.py``:

* a move conserves tonnes: ``sum(consumed.count) == sum(produced.count)``;
* produced blocks partition the consumed ranges exactly (no gap, no overlap);
* per project and vintage, issued = held + retired + cancelled + buffer (+ planned, exported,
  pending export, expired), and no two open blocks overlap. "Issued" is the sum of the issuance
  rows' *newly serialised* quantities: a verified issuance that converts planned units in place
  (:func:`convert_planned`) records them as ``converted``, not again as issued, since the ex-ante
  issuance already counted those serials (as ``planned``; after conversion they count as
  ``held`` or whatever they become next).
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.errors import InsufficientUnits
from carbonbridge.registry.model import SerialBlock, UnitState

NewId = Callable[[], str]


@dataclass(frozen=True)
class Move:
    """The result of taking units: ``consumed`` blocks are closed; ``moved`` are the taken parts
    in their new account and state; ``remainders`` stay in the old account and state."""

    consumed: tuple[SerialBlock, ...]
    moved: tuple[SerialBlock, ...]
    remainders: tuple[SerialBlock, ...]

    @property
    def produced(self) -> tuple[SerialBlock, ...]:
        return self.moved + self.remainders

    @property
    def quantity(self) -> int:
        return sum(b.count for b in self.moved)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"invalid {name}", [FieldIssue((name,), value, "a whole number of tonnes ≥ 1")])
    return value


def issue_range(
    project_id: str,
    vintage: int,
    start: int,
    quantity: int,
    buffer: int,
    holding_account: str,
    buffer_account: str,
    new_id: NewId,
    *,
    state: UnitState = UnitState.HELD,
) -> tuple[SerialBlock, ...]:
    """The blocks of an issuance of ``quantity`` tonnes from serial ``start``: the first
    ``quantity - buffer`` serials to the holding account (``state``: held, or planned for ex-ante
    units), the last ``buffer`` serials to the buffer pool. Empty parts produce no block."""
    _positive_int(start, "start")
    _positive_int(quantity, "quantity")
    if isinstance(buffer, bool) or not isinstance(buffer, int) or not 0 <= buffer <= quantity:
        raise InvalidInput("invalid buffer", [FieldIssue(("buffer",), buffer, f"0..{quantity} tonnes")])
    blocks = []
    split = start + quantity - buffer
    if quantity > buffer:
        blocks.append(SerialBlock(new_id(), project_id, vintage, start, split - 1, holding_account, state))
    if buffer:
        blocks.append(
            SerialBlock(
                new_id(), project_id, vintage, split, start + quantity - 1, buffer_account, UnitState.BUFFER
            )
        )
    return tuple(blocks)


def _start(block: SerialBlock) -> int:
    return block.start


def _end(block: SerialBlock) -> int:
    return block.end


def _describe(allowed: Iterable[UnitState]) -> str:
    return "/".join(sorted(s.value for s in allowed))


def _cut(
    block: SerialBlock, first: int, last: int, to_account: str, to_state: UnitState | None, new_id: NewId
) -> tuple[SerialBlock, list[SerialBlock]]:
    state = block.state if to_state is None else to_state
    moved = SerialBlock(new_id(), block.project_id, block.vintage, first, last, to_account, state)
    rest = []
    if first > block.start:
        rest.append(
            SerialBlock(
                new_id(),
                block.project_id,
                block.vintage,
                block.start,
                first - 1,
                block.account_id,
                block.state,
            )
        )
    if last < block.end:
        rest.append(
            SerialBlock(
                new_id(), block.project_id, block.vintage, last + 1, block.end, block.account_id, block.state
            )
        )
    return moved, rest


def take(
    blocks: Sequence[SerialBlock],
    *,
    allowed: frozenset[UnitState],
    to_account: str,
    to_state: UnitState | None,
    new_id: NewId,
    quantity: int | None = None,
    start: int | None = None,
    end: int | None = None,
    presorted: bool = False,
) -> Move:
    """Take units from ``blocks`` (the open blocks of one account, project and vintage) into
    ``to_account`` / ``to_state`` (``None``: each unit keeps its state, as in a transfer): the
    serial range ``start..end`` if given (it may span adjacent blocks, each in an ``allowed``
    state), else ``quantity`` tonnes, lowest serials first, from blocks in an ``allowed`` state.
    :class:`InsufficientUnits` if they are not there. ``presorted``: ``blocks`` are already in
    serial order (the service keeps its working set sorted), so no sort is needed."""
    ordered = blocks if presorted else sorted(blocks, key=_start)
    if start is not None or end is not None:
        first = _positive_int(start, "start")
        last = _positive_int(end, "end")
        if last < first:
            raise InvalidInput(
                "invalid serial range", [FieldIssue(("end",), end, f"must be ≥ start ({start})")]
            )
        if quantity is not None and quantity != last - first + 1:
            raise InvalidInput(
                "quantity and range disagree",
                [FieldIssue(("quantity",), quantity, f"the range {first}-{last} holds {last - first + 1} t")],
            )
        # open blocks do not overlap, so their ends ascend with their starts
        hit = []
        for b in itertools.islice(ordered, bisect.bisect_left(ordered, first, key=_end), None):
            if b.start > last:
                break
            hit.append(b)
        covered = first
        for b in hit:
            if b.start > covered or b.state not in allowed:
                break
            covered = b.end + 1
        if covered <= last:
            raise InsufficientUnits(
                f"serials {first}-{last} are not all held here in state {_describe(allowed)} "
                f"(first missing serial: {covered})",
                [FieldIssue(("start",), first, "range not available in this account")],
            )
        picks = [(b, max(b.start, first), min(b.end, last)) for b in hit]
    else:
        wanted = need = _positive_int(quantity, "quantity")
        picks = []
        for b in ordered:
            if b.state not in allowed:
                continue
            n = min(b.end - b.start + 1, need)
            picks.append((b, b.start, b.start + n - 1))
            need -= n
            if not need:
                break
        if need:
            available = sum(b.count for b in ordered if b.state in allowed)
            raise InsufficientUnits(
                f"{wanted} t asked for, {available} t available in state {_describe(allowed)}",
                [FieldIssue(("quantity",), wanted, f"at most {available}")],
            )
    moved: list[SerialBlock] = []
    rest: list[SerialBlock] = []
    for b, first, last in picks:
        m, r = _cut(b, first, last, to_account, to_state, new_id)
        moved.append(m)
        rest += r
    return Move(tuple(b for b, _, _ in picks), tuple(moved), tuple(rest))


def convert_planned(blocks: Sequence[SerialBlock], quantity: int, new_id: NewId) -> Move:
    """Convert up to ``quantity`` planned (ex-ante) units into held units *in place*: the planned
    blocks among ``blocks`` (the open blocks of ONE project and vintage, whatever accounts hold
    them), lowest serials first, each converted part keeping its serials and its account; a block
    in which the conversion ends is split, its rest staying planned. Converts fewer than
    ``quantity`` if fewer are planned (the :attr:`Move.quantity` says how many; none: an empty
    move).

    Model: Gold Standard's Planned Emission Reductions are "converted into Verified Emission
    Reductions (PERs converted to VERs)" once performance certification verifies the reductions
    (SustainCert help centre, "What are validated certificates (PERs)?",
    sustaincert.freshdesk.com/support/solutions/articles/43000563020). That the VER stays with
    whoever holds the PER, and the oldest-serials-first order, are this registry's reading, not
    text confirmed in that source (verify against the GS4GG registry requirements)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput(
            "invalid quantity", [FieldIssue(("quantity",), quantity, "a whole number of tonnes ≥ 0")]
        )
    planned = sorted((b for b in blocks if b.state is UnitState.PLANNED), key=_start)
    if len({(b.project_id, b.vintage) for b in planned}) > 1:
        raise InvalidInput(
            "planned units of several vintages",
            [
                FieldIssue(
                    ("blocks",),
                    sorted({(b.project_id, b.vintage) for b in planned}),
                    "one project and vintage",
                )
            ],
        )
    consumed: list[SerialBlock] = []
    moved: list[SerialBlock] = []
    rest: list[SerialBlock] = []
    need = quantity
    for b in planned:
        if not need:
            break
        last = b.start + min(b.count, need) - 1
        m, r = _cut(b, b.start, last, b.account_id, UnitState.HELD, new_id)
        consumed.append(b)
        moved.append(m)
        rest += r
        need -= m.count
    return Move(tuple(consumed), tuple(moved), tuple(rest))


def serial_ranges(blocks: Iterable[SerialBlock]) -> list[tuple[int, int]]:
    """The serial ranges ``blocks`` cover (of one project and vintage), adjacent blocks merged,
    in serial order: ``[(1, 30), (31, 64)]`` is ``[(1, 64)]``."""
    ranges: list[tuple[int, int]] = []
    for b in sorted(blocks, key=_start):
        if ranges and b.start == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], b.end)
        else:
            ranges.append((b.start, b.end))
    return ranges


def tally(blocks: Iterable[SerialBlock]) -> dict[tuple[str, int], Counter[UnitState]]:
    """Tonnes per (project, vintage) and state over ``blocks`` (the open ones)."""
    out: dict[tuple[str, int], Counter[UnitState]] = {}
    for b in blocks:
        out.setdefault((b.project_id, b.vintage), Counter())[b.state] += b.count
    return out


def overlaps(blocks: Iterable[SerialBlock]) -> list[tuple[SerialBlock, SerialBlock]]:
    """Pairs of blocks of the same project and vintage whose ranges overlap (none, if the
    registry is sound)."""
    found = []
    by_key: dict[tuple[str, int], list[SerialBlock]] = {}
    for b in blocks:
        by_key.setdefault((b.project_id, b.vintage), []).append(b)
    for group in by_key.values():
        group.sort(key=lambda b: b.start)
        for a, b in itertools.pairwise(group):
            if b.start <= a.end:
                found.append((a, b))
    return found

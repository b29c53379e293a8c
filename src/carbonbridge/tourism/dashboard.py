"""The destination office's dashboard: visitors' bills summed by segment, by item and by month,
per visitor-night, the share compensated, and the credits the pools retired.

Definitions (``docs/tourism.md``, "Destination dashboard"): one bill is one visitor's trip; its
nights are ``end - start`` in days; a bill's **segment** is how the visitor arrived, the kind of
its first transport line (flight, rail, road, ferry; ``none`` without one); per visitor-night is
Σ grams ÷ Σ nights of the bills with at least one night; the compensated share is the grams of
compensated bills ÷ all grams. Every figure is a sum of whole grams from stored bill lines, each
line carrying its own method and factor sources, which the dashboard lists per item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from carbonbridge.tourism.model import BillStatus, PoolRetirement, StoredBill

TRANSPORT = ("flight", "rail", "road", "ferry")


@dataclass(frozen=True)
class Figure:
    """A row of the dashboard: grams in all and of compensated bills, and how many bills."""

    key: str
    bills: int
    grams: int
    compensated_grams: int


@dataclass(frozen=True)
class ItemFigure:
    """Grams of one kind of item, and the methods and factor sources of its lines."""

    kind: str
    lines: int
    grams: int
    methods: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class DestinationSummary:
    region: str
    bills: int
    nights: int
    grams: int
    compensated_grams: int
    retired_tonnes: int
    allocated_grams: int
    by_segment: tuple[Figure, ...]
    by_item: tuple[ItemFigure, ...]
    by_month: tuple[Figure, ...]

    @property
    def grams_per_visitor_night(self) -> int | None:
        """Σ grams ÷ Σ nights, to the gram, half to even; none without a night."""
        if self.nights == 0:
            return None
        return int((Decimal(self.grams) / self.nights).quantize(Decimal(1), ROUND_HALF_EVEN))

    @property
    def compensated_share(self) -> Decimal | None:
        """Compensated grams ÷ all grams, to 0.0001; none without a gram."""
        if self.grams == 0:
            return None
        return (Decimal(self.compensated_grams) / self.grams).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)


def segment(bill: StoredBill) -> str:
    """How the visitor arrived: the kind of the bill's first transport line."""
    for line in bill.lines:
        if line.get("kind") in TRANSPORT:
            return str(line["kind"])
    return "none"


def _add(table: dict[str, list[int]], key: str, grams: int, compensated: bool) -> None:
    row = table.setdefault(key, [0, 0, 0])
    row[0] += 1
    row[1] += grams
    row[2] += grams if compensated else 0


def _figures(table: dict[str, list[int]], order: Iterable[str]) -> tuple[Figure, ...]:
    return tuple(Figure(k, *table[k]) for k in order)


def summarise(
    region: str, bills: Iterable[StoredBill], retirements: Iterable[PoolRetirement]
) -> DestinationSummary:
    """The dashboard of ``region`` from its bills and its pools' retirements."""
    segments: dict[str, list[int]] = {}
    months: dict[str, list[int]] = {}
    items: dict[str, list[int]] = {}
    methods: dict[str, dict[str, None]] = {}
    sources: dict[str, dict[str, None]] = {}
    count = nights = grams = compensated_grams = 0
    for bill in bills:
        done = bill.status is BillStatus.COMPENSATED
        count += 1
        nights += (bill.end - bill.start).days
        grams += bill.grams
        compensated_grams += bill.grams if done else 0
        _add(segments, segment(bill), bill.grams, done)
        _add(months, bill.start.strftime("%Y-%m"), bill.grams, done)
        for line in bill.lines:
            kind = str(line["kind"])
            row = items.setdefault(kind, [0, 0])
            row[0] += 1
            row[1] += int(str(line["grams"]))
            methods.setdefault(kind, {})[str(line["method"])] = None
            factors = line.get("factors", [])
            for f in factors if isinstance(factors, list) else []:
                sources.setdefault(kind, {})[str(f["source"])] = None
    retired = list(retirements)
    by_item = tuple(
        ItemFigure(k, v[0], v[1], tuple(methods.get(k, {})), tuple(sources.get(k, {})))
        for k, v in sorted(items.items(), key=lambda kv: (-kv[1][1], kv[0]))
    )
    return DestinationSummary(
        region,
        count,
        nights,
        grams,
        compensated_grams,
        sum(r.tonnes for r in retired),
        sum(r.allocated_grams for r in retired),
        _figures(segments, sorted(segments, key=lambda k: (-segments[k][1], k))),
        by_item,
        _figures(months, sorted(months)),
    )

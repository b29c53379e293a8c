"""The destination's figures from bills: sums by segment, item and month, per visitor-night and
the compensated share, each a sum of whole grams."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from carbonbridge.tourism.dashboard import segment, summarise
from carbonbridge.tourism.model import BillStatus, PoolRetirement, StoredBill


def _bill(ident: str, start: date, end: date, lines: list[tuple[str, int]], done: bool) -> StoredBill:
    rows = tuple(
        {"kind": k, "grams": g, "method": f"{k} method", "factors": [{"source": f"{k} source"}]}
        for k, g in lines
    )
    status = BillStatus.COMPENSATED if done else BillStatus.OPEN
    return StoredBill(
        ident,
        ident,
        "CN-HI",
        start,
        end,
        sum(g for _, g in lines),
        rows,
        status,
        datetime(2025, 1, 1, tzinfo=UTC),
        1,
    )


BILLS = (
    _bill("a", date(2025, 3, 1), date(2025, 3, 5), [("hotel", 200_000), ("flight", 400_000)], True),
    _bill("b", date(2025, 4, 1), date(2025, 4, 3), [("rail", 10_000), ("hotel", 100_000)], False),
    _bill("c", date(2025, 4, 9), date(2025, 4, 9), [("meals", 1_000)], False),
)
RETIRED = (PoolRetirement("r", "p", "op", "prj", 2025, 2, ("S-1-2",), 600_000, 3),)


def test_segment_is_the_first_transport_line() -> None:
    assert [segment(b) for b in BILLS] == ["flight", "rail", "none"]


def test_totals_per_night_and_share() -> None:
    s = summarise("CN-HI", BILLS, RETIRED)
    assert (s.bills, s.nights, s.grams, s.compensated_grams) == (3, 6, 711_000, 600_000)
    assert s.grams_per_visitor_night == 118_500
    assert s.compensated_share == Decimal("0.8439")
    assert (s.retired_tonnes, s.allocated_grams) == (2, 600_000)


def test_items_carry_their_methods_and_sources_largest_first() -> None:
    s = summarise("CN-HI", BILLS, RETIRED)
    assert [(i.kind, i.grams) for i in s.by_item][:2] == [("flight", 400_000), ("hotel", 300_000)]
    assert s.by_item[1].methods == ("hotel method",)
    assert s.by_item[1].sources == ("hotel source",)


def test_months_in_order_with_compensated_grams() -> None:
    s = summarise("CN-HI", BILLS, RETIRED)
    assert [(m.key, m.bills, m.grams, m.compensated_grams) for m in s.by_month] == [
        ("2025-03", 1, 600_000, 600_000),
        ("2025-04", 2, 111_000, 0),
    ]


def test_no_bills_has_no_per_night_figure_nor_share() -> None:
    s = summarise("CN-HI", (), ())
    assert s.grams_per_visitor_night is None
    assert s.compensated_share is None

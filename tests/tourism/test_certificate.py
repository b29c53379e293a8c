"""What a certificate states, and the check of a log entry against an allocation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest

from carbonbridge.kernel.errors import NotFound
from carbonbridge.tourism.certificate import certificate_of, entry_states, receipt_entry
from carbonbridge.tourism.model import Allocation, BillStatus, StoredBill

ALLOCATION = Allocation("alloc_1", "bill_1", "pret_1", 413_430, "prj_1", ("CB-CN-HI-MG001-2025-1-1",), 7)
LINES = (
    {
        "kind": "hotel",
        "method": "DESNZ hotel",
        "grams": 214_000,
        "factors": [{"key": "desnz#hotel-CN", "source": "DESNZ 2025", "confidence": "confirmed"}],
    },
    {
        "kind": "activity",
        "method": "destination",
        "grams": 199_430,
        "factors": [{"key": "tourism#diving", "source": "SYNTHETIC", "confidence": "verify"}],
    },
)


def _bill(status: BillStatus, allocations: tuple[Allocation, ...]) -> StoredBill:
    at = datetime(2025, 3, 5, tzinfo=UTC)
    return StoredBill(
        "bill_1",
        "BK",
        "CN-HI",
        date(2025, 3, 1),
        date(2025, 3, 5),
        413_430,
        LINES,
        status,
        at,
        3,
        allocations=allocations,
    )


def _receipt(event: dict[str, object], kind: str = "tourism.allocation") -> str:
    entry = json.dumps({"at": "2025-03-05T00:00:00Z", "event": event, "kind": kind}).encode()
    return f"c2sp.org/tlog-proof@v1\nextra {base64.b64encode(entry).decode()}\nindex 7\n\nnote\n"


EVENT = {
    "allocation": "alloc_1",
    "bill": "bill_1",
    "project": "prj_1",
    "serials": ["CB-CN-HI-MG001-2025-1-1"],
    "grams": 413_430,
}


def test_open_bill_has_no_certificate() -> None:
    with pytest.raises(NotFound):
        certificate_of(_bill(BillStatus.OPEN, ()))


def test_certificate_names_methods_and_the_factors_to_verify() -> None:
    cert = certificate_of(_bill(BillStatus.COMPENSATED, (ALLOCATION,)))
    assert cert.methods == ("DESNZ hotel", "destination")
    assert [s.key for s in cert.to_verify] == ["tourism#diving"]
    assert cert.serials == ("CB-CN-HI-MG001-2025-1-1",)
    assert cert.log_indexes == (7,)


def test_entry_stating_the_allocation_is_accepted() -> None:
    assert entry_states(ALLOCATION, receipt_entry(_receipt(EVENT)))


@pytest.mark.parametrize(
    ("field", "value"),
    [("grams", 413_431), ("serials", ["CB-OTHER"]), ("bill", "bill_2"), ("project", "prj_2")],
)
def test_entry_differing_in_any_field_is_refused(field: str, value: object) -> None:
    assert not entry_states(ALLOCATION, receipt_entry(_receipt({**EVENT, field: value})))


def test_entry_of_another_kind_is_refused() -> None:
    assert not entry_states(ALLOCATION, receipt_entry(_receipt(EVENT, kind="tourism.bill")))


def test_receipt_without_entry_states_nothing() -> None:
    assert receipt_entry("c2sp.org/tlog-proof@v1\nindex 7\n\nnote\n") is None
    assert not entry_states(ALLOCATION, None)

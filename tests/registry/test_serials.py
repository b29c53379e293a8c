"""Serial numbers: the documented format, parsed back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry.serials import Serial, format_serial, parse_serial

regions = st.from_regex(r"[A-Z]{2}-[A-Z0-9]{1,3}", fullmatch=True)
codes = st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)


@st.composite
def serials(draw: st.DrawFn) -> Serial:
    start = draw(st.integers(1, 10**12))
    end = draw(st.integers(start, start + 10**9))
    return Serial(draw(regions), draw(codes), draw(st.integers(1000, 9999)), start, end)


@given(serials())
def test_parse_inverts_format(serial: Serial) -> None:
    assert parse_serial(format_serial(serial)) == serial


@given(serials())
def test_format_inverts_parse(serial: Serial) -> None:
    text = format_serial(serial)
    assert format_serial(parse_serial(text)) == text


def test_documented_example() -> None:
    serial = parse_serial("CB-CN-HI-MG001-2025-1-850")
    assert serial == Serial("CN-HI", "MG001", 2025, 1, 850)
    assert serial.count == 850


@pytest.mark.parametrize(
    "text",
    [
        "CB-CN-HI-MG001-2025-0-850",  # serials start at 1
        "CB-CN-HI-MG001-2025-01-850",  # no leading zeros: one text per range
        "CB-CN-HI-MG001-2025-851-850",  # end before start
        "CB-CN-HI-mg001-2025-1-850",  # upper case only
        "VCS-CN-HI-MG001-2025-1-850",  # another registry
        "CB-CN-HI-MG001-25-1-850",  # four-digit vintage
        "CB-CN-HI-MG001-2025-1.5-850",  # whole tonnes
    ],
)
def test_malformed_serials_are_rejected_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_serial(text)
    assert caught.value.issues[0].location == ("serial",)
    assert caught.value.issues[0].value == text


def test_unformattable_parts_are_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        format_serial(Serial("Hainan", "MG-1", 25, 0, -1))
    assert [i.location[0] for i in caught.value.issues] == ["region", "project", "vintage", "start", "end"]

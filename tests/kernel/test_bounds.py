"""The request-JSON limits (``kernel/bounds.py``): I-JSON (RFC 7493 §2) plus no NUL and a depth
limit; the first offending place named in document order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.bounds import MAX_EXACT_INT, MAX_JSON_DEPTH, RequestBody, json_issue, text_issue
from carbonbridge.kernel.errors import InvalidInput

#: JSON values within every limit (no NUL, no lone surrogate, exact integers, finite numbers)
WITHIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_EXACT_INT, MAX_EXACT_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")), inner
        )
    ),
    max_leaves=20,
)


def _nest(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@given(WITHIN)
def test_json_within_the_limits_passes(value: Any) -> None:
    assert json_issue({"body": value}) is None


@given(WITHIN, st.sampled_from([MAX_EXACT_INT + 1, -MAX_EXACT_INT - 1, 2**64, -(2**200)]))
def test_an_integer_past_2_53_is_named_wherever_it_is(value: Any, big: int) -> None:
    issue = json_issue({"a": [value, {"b": big}]}, ("body",))
    assert issue is not None
    assert issue.location == ("body", "a", 1, "b")
    assert "2^53" in issue.reason


def test_the_depth_limit_refuses_only_what_is_past_it() -> None:
    assert json_issue(_nest(MAX_JSON_DEPTH)) is None  # MAX_JSON_DEPTH arrays, the innermost holding 0
    issue = json_issue(_nest(MAX_JSON_DEPTH + 1))
    assert issue is not None
    assert issue.location == (0,) * MAX_JSON_DEPTH
    assert "nested more than" in issue.reason


def test_a_nesting_far_past_the_recursion_limit_is_judged() -> None:
    assert json_issue(_nest(100_000)) is not None


@pytest.mark.parametrize(
    ("value", "location", "reason"),
    [
        ({"a": "x\x00y"}, ("a",), "NUL"),
        ({"a\x00": 1}, ("a\x00",), "NUL"),
        ({"a": ["ok", "\ud800"]}, ("a", 1), "surrogate"),
        ({"a": float("nan")}, ("a",), "finite"),
        ({"a": float("-inf")}, ("a",), "finite"),
    ],
)
def test_text_and_numbers_json_cannot_carry_are_named(
    value: Any, location: tuple[Any, ...], reason: str
) -> None:
    issue = json_issue(value)
    assert issue is not None
    assert issue.location == location
    assert reason in issue.reason


def test_the_first_offending_value_in_document_order_is_named() -> None:
    issue = json_issue({"start": 2**63, "end": 2**64, "rows": [1, 2**60]})
    assert issue is not None
    assert issue.location == ("start",)


class _Body(RequestBody):
    rows: list[dict[str, object]]


def test_a_request_body_is_checked_before_its_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        _Body.model_validate({"rows": [{"x": 2**60}]})
    assert [i.location for i in caught.value.issues] == [("body", "rows", 0, "x")]
    assert _Body.model_validate({"rows": [{"x": 2**52}]}).rows == [{"x": 2**52}]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "1-10 characters"), ("   ", "1-10 characters"), ("x" * 11, "1-10 characters"), ("a\x00", "NUL")],
)
def test_free_text_is_non_blank_bounded_and_without_nul(value: str, reason: str) -> None:
    issue = text_issue(value, ("name",), 10)
    assert issue is not None
    assert reason in issue.reason
    assert text_issue("Hotel", ("name",), 10) is None

"""The bounds every input shares, whatever face it comes through: integers that fit their column
and the log, request JSON that the log can carry, text a database can store.

* **Integers.** Years are four-digit (1000-9999: what a serial number's vintage and a compliance
  period carry; narrower than their 32-bit ``INTEGER`` columns). Tonnes and serial numbers are
  ``1 .. 2**53 - 1``: every quantity and serial ends up in a logged event, and RFC 8785 (the log's
  canonical JSON) and I-JSON (RFC 7493 §2.2) carry integers exactly only within ``±(2**53 - 1)``;
  that is inside their 64-bit ``BIGINT`` columns. Log indexes and tree sizes are ``BIGINT``
  (``0 .. 2**63 - 1``).
* **Request JSON** (:func:`json_issue`): I-JSON (RFC 7493 §2) — no lone surrogates, integers within
  ``±(2**53 - 1)``, finite numbers — plus no NUL character (PostgreSQL cannot store one in text)
  and at most :data:`MAX_JSON_DEPTH` levels of nesting. Checked once per request body by
  :class:`RequestBody` (every API body model derives from it) or :data:`JsonObject` (a free-form
  body), before any use case runs: a value out of bounds is a 422 naming where it is and why,
  never a 500 from deep inside a shared write.
* **Text** (:func:`text_issue`): free text a service stores is non-blank, at most its limit, and
  has no NUL character; the services check it for every face (API, web forms, CLI).

Without these, a bound the database or the log enforces is found only inside the write: one
caller's ``vintage`` of ``2**31`` failed the registry's group commit for everyone in its batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

#: a ``BIGINT`` column (SQLite's INTEGER is 64-bit too)
INT64_MAX = 2**63 - 1
#: the largest integer I-JSON and RFC 8785 carry exactly (RFC 7493 §2.2)
MAX_EXACT_INT = 2**53 - 1
#: nesting of arrays and objects a request body may have (the deepest body the API expects, the
#: mangrove methodology's monitoring parameters in a report, nests 8 levels)
MAX_JSON_DEPTH = 32

YEAR_MIN, YEAR_MAX = 1000, 9999

Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX, description="a four-digit year")]
Tonnes = Annotated[int, Field(ge=1, le=MAX_EXACT_INT, description="whole tonnes CO2e")]
TonnesOrZero = Annotated[int, Field(ge=0, le=MAX_EXACT_INT, description="whole tonnes CO2e")]
SerialNumber = Annotated[int, Field(ge=1, le=MAX_EXACT_INT, description="a unit's serial number")]
LogIndex = Annotated[int, Field(ge=0, le=INT64_MAX, description="a log entry's index (0-based)")]
TreeSize = Annotated[int, Field(ge=1, le=INT64_MAX, description="a log tree size")]

_INT_REASON = f"integers are limited to ±{MAX_EXACT_INT} (2^53 - 1, RFC 7493 §2.2)"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string_issue(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (U+0000), which no text accepts"
    if not text.isascii() and _SURROGATE.search(text):
        return "contains a lone surrogate (not Unicode text, RFC 7493 §2.1)"
    return None


def json_issue(value: object, at: tuple[str | int, ...] = ()) -> FieldIssue | None:
    """The first place where ``value`` (parsed request JSON) leaves the bounds above, or ``None``.
    Iterative, so a body nested far deeper than Python's recursion limit is judged too."""
    if _within(value):
        return None
    return _locate(value, at)


def _scalar_ok(value: object) -> bool:
    if isinstance(value, str):
        return _string_issue(value) is None
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_EXACT_INT <= value <= MAX_EXACT_INT
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def _within(root: object) -> bool:
    """Whether ``root`` is within the limits: the fast path, run on every request body (no path
    is built; a flat object's members are judged inline)."""
    if not isinstance(root, dict | list):
        return _scalar_ok(root)
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(root, 0)]
    while stack:
        container, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            return False
        if isinstance(container, dict):
            for key in container:
                if isinstance(key, str) and ("\x00" in key or not key.isascii()) and _string_issue(key):
                    return False
            members: Iterable[Any] = container.values()
        else:
            members = container
        for v in members:
            kind = type(v)
            if kind is str:
                if "\x00" in v or (not v.isascii() and _SURROGATE.search(v)):
                    return False
            elif kind is int:
                if not -MAX_EXACT_INT <= v <= MAX_EXACT_INT:
                    return False
            elif kind is dict or kind is list:
                stack.append((v, depth + 1))
            elif not _scalar_ok(v):
                return False
    return True


def _locate(value: object, at: tuple[str | int, ...]) -> FieldIssue | None:
    """The first offending place in document order, with its path (run only when there is one)."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, at)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict | list):
            if len(where) - len(at) >= MAX_JSON_DEPTH:
                return FieldIssue(where, None, f"nested more than {MAX_JSON_DEPTH} levels deep")
            # pushed last to first, so that the first offending value in document order is named
            if isinstance(item, dict):
                for key, v in reversed(item.items()):
                    reason = _string_issue(key) if isinstance(key, str) else None
                    if reason:
                        return FieldIssue((*where, key), None, f"the member name {reason}")
                    stack.append((v, (*where, key)))
            else:
                stack.extend((item[n], (*where, n)) for n in range(len(item) - 1, -1, -1))
        elif not _scalar_ok(item):
            return FieldIssue(where, None, _scalar_reason(item))
    return None


def _scalar_reason(value: object) -> str:
    if isinstance(value, str):
        return _string_issue(value) or ""
    if isinstance(value, float):
        return "numbers must be finite"
    return _INT_REASON


def check_json(value: Any, at: tuple[str | int, ...] = ("body",)) -> Any:
    """``value`` if :func:`json_issue` finds nothing; else :class:`InvalidInput` naming the place.
    Raised (not a pydantic ``ValueError``) so that the problem's ``issues`` carry the exact path."""
    issue = json_issue(value, at)
    if issue is not None:
        raise InvalidInput("the request body is outside the platform's limits; nothing was changed", [issue])
    return value


class RequestBody(BaseModel):
    """Base of every API request body: the raw JSON is checked against :func:`json_issue` before
    its fields are validated (one walk of the body, whatever its fields)."""

    @model_validator(mode="before")
    @classmethod
    def _within_limits(cls, data: Any) -> Any:
        return check_json(data)


#: a free-form JSON object body (e.g. a calculator's parameters), checked like :class:`RequestBody`
JsonObject = Annotated[dict[str, Any], BeforeValidator(check_json)]


def text_issue(value: object, location: tuple[str | int, ...], limit: int) -> FieldIssue | None:
    """Why ``value`` is not storable free text of at most ``limit`` characters, or ``None``."""
    if (  # the usual text, judged in one expression
        type(value) is str
        and 0 < len(value) <= limit
        and not value.isspace()
        and "\x00" not in value
        and (value.isascii() or not _SURROGATE.search(value))
    ):
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return FieldIssue(location, value, f"1-{limit} characters")
    reason = _string_issue(value)
    return FieldIssue(location, value.replace("\x00", "\\0"), reason) if reason else None

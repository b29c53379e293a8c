"""Domain errors: a small hierarchy every context extends.

Each error class carries a stable ``code`` (used in the problem+json ``type`` URI and the docs
page ``docs/errors.md#<code>``), an HTTP status and bilingual titles. Instances carry a ``detail``
sentence and, for invalid input, a list of :class:`FieldIssue` naming the field, the value and why.

The API renders these as RFC 9457 problem+json (``platform/problems.py``); the CLI prints one line
and exits with the error's :class:`ExitCode` (the table in ``docs/errors.md#exit-codes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """The ``carbonbridge`` command's exit statuses, stable for scripts (``docs/errors.md#exit-codes``).

    2 for usage errors is Click's own; 130 is the shell's 128 + SIGINT.
    """

    OK = 0
    #: refused or failed: not found, conflict, forbidden, unauthenticated, unavailable, a file error
    FAILED = 1
    #: invalid input, or a command line Click cannot parse
    INVALID = 2
    #: evidence does not check out: a receipt, checkpoint, consistency proof or log audit
    VERIFICATION_FAILED = 3
    #: interrupted (Ctrl-C) or aborted at a prompt
    INTERRUPTED = 130


@dataclass(frozen=True)
class FieldIssue:
    """One thing wrong with one input field.

    ``location`` is the path to the field (e.g. ``("rows", 3, "unit")``; CSV rows are 1-based as a
    spreadsheet user counts them, the header being row 1).
    """

    location: tuple[str | int, ...]
    value: object
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "location": list(self.location),
            "value": _jsonable(self.value),
            "reason": self.reason,
        }


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@dataclass
class CarbonbridgeError(Exception):
    """Base of every domain error. Not raised directly."""

    detail: str
    issues: list[FieldIssue] = field(default_factory=list)

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    title_en: ClassVar[str] = "Internal error"
    title_zh: ClassVar[str] = "内部错误"
    #: what the CLI exits with when this error ends a command
    exit_code: ClassVar[ExitCode] = ExitCode.FAILED

    def __str__(self) -> str:
        if not self.issues:
            return self.detail
        first = self.issues[0]
        where = ".".join(str(p) for p in first.location)
        more = f" (+{len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        return f"{self.detail}: {where}={first.value!r}: {first.reason}{more}"


class InvalidInput(CarbonbridgeError):
    """The request or file is malformed or violates a rule; nothing was changed."""

    code = "invalid-input"
    status = 422
    title_en = "Invalid input"
    title_zh = "输入无效"
    exit_code = ExitCode.INVALID


class NotFound(CarbonbridgeError):
    """The named thing does not exist (or is not visible to the caller)."""

    code = "not-found"
    status = 404
    title_en = "Not found"
    title_zh = "未找到"


class Conflict(CarbonbridgeError):
    """The request is well-formed but conflicts with the current state."""

    code = "conflict"
    status = 409
    title_en = "Conflict with current state"
    title_zh = "与当前状态冲突"


class Unauthenticated(CarbonbridgeError):
    """No valid credentials were presented."""

    code = "unauthenticated"
    status = 401
    title_en = "Authentication required"
    title_zh = "需要身份验证"


class Forbidden(CarbonbridgeError):
    """The caller's role or organisation does not allow this."""

    code = "forbidden"
    status = 403
    title_en = "Forbidden"
    title_zh = "无权操作"


@dataclass
class PayloadTooLarge(CarbonbridgeError):
    """The request body is larger than the operation accepts; it was refused before being read
    in full, and nothing was changed. ``limit`` is the largest body accepted, in bytes."""

    limit: int = 0

    code = "too-large"
    status = 413
    title_en = "Request too large"
    title_zh = "请求过大"


@dataclass
class TooManyRequests(CarbonbridgeError):
    """Too many attempts in a short time (e.g. failed logins for one user or from one address);
    ``retry_after`` says in how many seconds the next attempt is accepted (``Retry-After``)."""

    retry_after: int = 60

    code = "too-many-requests"
    status = 429
    title_en = "Too many requests"
    title_zh = "请求过于频繁"


class DependencyUnavailable(CarbonbridgeError):
    """A service the platform depends on (database, file store) cannot be reached."""

    code = "dependency-unavailable"
    status = 503
    title_en = "Dependency unavailable"
    title_zh = "依赖服务不可用"


class FactorNotFound(NotFound):
    """No emission factor matches what a calculation needs. Never guessed: the detail names
    the dataset, activity, gas, region and year that were looked for."""

    code = "factor-not-found"
    title_en = "Emission factor not found"
    title_zh = "未找到排放因子"


class UnitMismatch(InvalidInput):
    """A quantity's unit is unknown or not convertible to the unit a factor needs."""

    code = "unit-mismatch"
    title_en = "Incompatible unit"
    title_zh = "单位不兼容"


def all_error_types() -> list[type[CarbonbridgeError]]:
    """Every concrete error class, for the contract test that checks codes and docs."""
    seen: list[type[CarbonbridgeError]] = []
    stack: list[type[CarbonbridgeError]] = [CarbonbridgeError]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen

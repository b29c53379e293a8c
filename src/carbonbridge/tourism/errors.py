"""The tourism context's domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict, InvalidInput


class UnknownAirport(InvalidInput):
    """An IATA airport code that the airport dataset does not know; nothing was computed."""

    code = "tourism-unknown-airport"
    title_en = "Unknown airport"
    title_zh = "未知机场"


class AlreadyCompensated(Conflict):
    """The bill was compensated already; a bill is compensated once."""

    code = "tourism-already-compensated"
    title_en = "Bill already compensated"
    title_zh = "账单已中和"


class PoolInsufficient(Conflict):
    """The pool's retired, unallocated grams do not cover the bill; nothing was allocated."""

    code = "tourism-pool-insufficient"
    title_en = "Compensation pool too small"
    title_zh = "中和池余量不足"

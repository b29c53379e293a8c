"""Why a factor was not used, or used for another year: the one wording every surface gives.

The resolver (:mod:`carbonbridge.factors.resolution`) builds every rejection reason, every
"not found" explanation and every year-fallback note with the functions below, so the inventory
(CLI, API, web), ``factors resolve`` and upload validation say the same thing for the same cause:
they all show the text of the same :class:`~carbonbridge.kernel.errors.FactorNotFound`.

The text is English (code and errors are English); each sentence is one of :data:`TEMPLATES`, with
named ``%(placeholders)s``, so a face shows it in the reader's language with the platform's
``i18n.localise`` like every other run-time sentence (the ``zh`` catalogue is
``factors/locale/zh/LC_MESSAGES/reasons.po``; a rejected list is localised reason by reason).
Pure: no framework.
"""

from __future__ import annotations

from collections.abc import Iterable

from carbonbridge.factors.model import Factor, YearPolicy

__all__ = [
    "LATER_REPORTING_YEARS",
    "LATER_YEAR",
    "NONE_IN_SCOPE",
    "OTHER_REPORTING_YEARS_STRICT",
    "STAND_IN",
    "TEMPLATES",
    "not_found_summary",
    "span",
    "year_fallback",
    "year_rejection",
]

#: the factor's data year is after the reporting year (never used, whatever the policy)
LATER_YEAR = "published for a later year (%(published)s > %(year)s)"
#: first prescribed for a reporting year after this one (never used, whatever the policy)
LATER_REPORTING_YEARS = "prescribed for later reporting years (%(first)s-%(last)s), not %(year)s"
#: prescribed for earlier reporting years only, refused under the strict policy
OTHER_REPORTING_YEARS_STRICT = (
    "prescribed for reporting years %(applies)s, not %(year)s; the region's year policy is strict "
    "(nearest-earlier would use it)"
)
#: the trace note when an earlier reporting year's factor stands in (policy nearest-earlier)
STAND_IN = (
    "no factor in scope applies to reporting year %(year)s; %(factor)s (for reporting years %(applies)s) "
    "used instead: the region's year policy is nearest-earlier"
)
#: nothing in scope is published for the activity at all
NONE_IN_SCOPE = "no factor published for it in scope"
#: how a "not found" detail lists the causes: "candidates rejected: <reason> (<key>) | ..."
REJECTED_LIST = "candidates rejected: %(reasons)s"

TEMPLATES: tuple[str, ...] = (
    LATER_YEAR,
    LATER_REPORTING_YEARS,
    OTHER_REPORTING_YEARS_STRICT,
    STAND_IN,
    NONE_IN_SCOPE,
    REJECTED_LIST,
)

#: at most this many distinct reasons are named in a "not found" detail (the issues list them all)
_SHOWN = 4


def span(applies: tuple[int, int]) -> str:
    """``2023-2025``, or ``2021`` for a single reporting year."""
    first, last = applies
    return str(first) if first == last else f"{first}-{last}"


def year_rejection(factor: Factor, year: int | None, policy: YearPolicy) -> str:
    """Why ``factor`` cannot serve reporting ``year`` under ``policy``, or "" when it can.

    Rule (e) of :mod:`carbonbridge.factors.resolution`: a factor published for a later year, or
    first prescribed for a later reporting year, is never used; under ``strict`` a factor that
    names its reporting years is used for those years only.
    """
    if year is None:
        return ""
    if factor.year is not None and factor.year > year:
        return LATER_YEAR % {"published": factor.year, "year": year}
    if factor.applies is None:
        return ""
    first, last = factor.applies
    if first > year:
        return LATER_REPORTING_YEARS % {"first": first, "last": last, "year": year}
    if last < year and policy is YearPolicy.STRICT:
        return OTHER_REPORTING_YEARS_STRICT % {"applies": span(factor.applies), "year": year}
    return ""


def year_fallback(factor: Factor, year: int | None) -> str:
    """The trace note when ``factor`` serves a reporting ``year`` it does not apply to, else ""."""
    if year is None or factor.applies is None or factor.applies[0] <= year <= factor.applies[1]:
        return ""
    return STAND_IN % {"year": year, "factor": factor.key, "applies": span(factor.applies)}


def not_found_summary(reasons: Iterable[tuple[str, str]]) -> str:
    """The causes of a "not found", from ``(factor key, reason)`` pairs: each distinct reason
    once, with the first factor it rejected, e.g. ``candidates rejected: published for a later
    year (2023 > 2022) (desnz-ghg-conversion-factors@2023#rail-national) | ...``."""
    first_key: dict[str, str] = {}
    for key, reason in reasons:
        first_key.setdefault(reason, key)
    if not first_key:
        return NONE_IN_SCOPE
    named = [f"{reason} ({key})" for reason, key in list(first_key.items())[:_SHOWN]]
    if len(first_key) > _SHOWN:
        named.append(f"+{len(first_key) - _SHOWN}")
    return REJECTED_LIST % {"reasons": " | ".join(named)}

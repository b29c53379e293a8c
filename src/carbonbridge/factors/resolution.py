"""Which factor a calculation uses, and why: the resolution rules of the factor library.

:class:`FactorLibrary` answers a :class:`~carbonbridge.factors.model.FactorQuery` with a
:class:`~carbonbridge.factors.model.Resolution` naming the chosen factor, the rule that chose it
and every other candidate with the reason it lost. Rules, in order:

(a) scope: the query's ``datasets`` (order = priority), else the region's ``pinned`` datasets,
    else every loaded dataset; a dataset is named by ``id`` (all its versions) or ``id@version``;
(b) ``parameter``, ``activity`` and ``gas`` match exactly;
(g) a version superseded (erratum) by another version in scope is rejected;
(c) ``variant`` matches when the query names one; unnamed: a blank variant is preferred;
(d) region: exact > country (``CN`` for ``CN-HI`` or ``CN-GRID-SOUTH``) > ``*``;
(e) year: a factor whose ``applies`` range holds the query year > the most recent of the others
    (data ``year``, or for a factor with only ``applies`` the last year it was prescribed for)
    > timeless; a factor published for a later year, or first prescribed for a later reporting
    year, is never used. A factor that names the reporting years it applies to (``applies``) is
    used for another year only under the region's year policy ``nearest-earlier``, and then the
    resolution's ``fallback`` says which factor stood in and why (:class:`YearPolicy`);
(f) sector: exact > blank;
(h) dataset priority order; without one, the lowest ``id@version`` then ``row_id`` (recorded).

When the query leaves ``sector`` or ``variant`` open and the best candidates differ only in it
(e.g. IPCC CH4 by sector, aviation with/without RF), resolution fails naming the choices: the
library never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from carbonbridge.factors import reasons
from carbonbridge.factors.model import Dataset, Factor, FactorQuery, Rejected, Resolution, YearPolicy
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue, InvalidInput


@dataclass(frozen=True)
class _Ranked:
    factor: Factor
    region: int
    year: tuple[int, int]
    sector: int
    variant: int
    priority: int

    def key(self) -> tuple[object, ...]:
        return (
            self.region,
            self.year,
            self.sector,
            self.variant,
            self.priority,
            self.factor.dataset.ref,
            self.factor.row_id,
        )


class FactorLibrary:
    """An in-memory factor library implementing ``FactorResolver``.

    ``pinned`` is the region's choice of datasets (``id`` or ``id@version``) in priority order,
    used when a query names none; ``year_policy`` what the region accepts when no factor applies
    to the reporting year (:class:`YearPolicy`, default ``strict``).
    """

    def __init__(
        self,
        datasets: Iterable[tuple[Dataset, Sequence[Factor]]],
        *,
        pinned: tuple[str, ...] = (),
        year_policy: YearPolicy = YearPolicy.STRICT,
    ) -> None:
        self._datasets: dict[str, Dataset] = {}
        self._factors: list[Factor] = []
        for dataset, factors in datasets:
            if dataset.ref in self._datasets:
                raise InvalidInput(
                    f"dataset {dataset.ref} loaded twice",
                    [FieldIssue(("datasets",), dataset.ref, "an erratum must be a new version")],
                )
            self._datasets[dataset.ref] = dataset
            self._factors.extend(factors)
        self._by_key: dict[tuple[str, str], list[Factor]] = {}
        for factor in self._factors:
            self._by_key.setdefault((factor.parameter.value, factor.activity), []).append(factor)
        self.pinned = pinned
        self.year_policy = year_policy
        self._resolved: dict[FactorQuery, Resolution | FactorNotFound] = {}
        self._resolved_all: dict[FactorQuery, tuple[Resolution, ...] | FactorNotFound] = {}

    def datasets(self) -> list[Dataset]:
        """Every loaded dataset, sorted by ``id@version``."""
        return [self._datasets[ref] for ref in sorted(self._datasets)]

    def search(self, text: str = "", *, activity_prefix: str = "", dataset: str = "") -> list[Factor]:
        """Factors whose activity, gas, row id, table or note contains ``text`` (any case),
        optionally limited to an activity prefix and a dataset (``id`` or ``id@version``)."""
        needle = text.casefold()
        found = []
        for factor in self._factors:
            if activity_prefix and not factor.activity.startswith(activity_prefix):
                continue
            if dataset and dataset not in (factor.dataset.id, factor.dataset.ref):
                continue
            haystack = " ".join((factor.activity, factor.gas or "", factor.row_id, factor.table, factor.note))
            if needle in haystack.casefold():
                found.append(factor)
        return sorted(found, key=lambda f: f.key)

    def resolve(self, query: FactorQuery) -> Resolution:
        """The one factor ``query`` resolves to (rules in the module docstring).

        Raises :class:`FactorNotFound` naming what was looked for, where, and why each candidate
        was rejected. Answers are memoised: the library is immutable once built.
        """
        cached = self._resolved.get(query)
        if cached is None:
            try:
                cached = self._resolve(query)
            except FactorNotFound as exc:
                cached = exc
            self._resolved[query] = cached
        if isinstance(cached, FactorNotFound):
            raise FactorNotFound(cached.detail, list(cached.issues))
        return cached

    def _resolve(self, query: FactorQuery) -> Resolution:
        scope = self._scope(query)
        candidates = [
            f
            for f in self._by_key.get((query.parameter.value, query.activity), [])
            if f.gas == query.gas and f.dataset.ref in scope
        ]
        return self._choose(query, scope, candidates)

    def resolve_all(self, query: FactorQuery) -> tuple[Resolution, ...]:
        """One resolution per gas published for ``query`` (gas ignored), all from the single best
        dataset, e.g. every component of a refrigerant blend."""
        cached = self._resolved_all.get(query)
        if cached is None:
            try:
                cached = self._resolve_all(query)
            except FactorNotFound as exc:
                cached = exc
            self._resolved_all[query] = cached
        if isinstance(cached, FactorNotFound):
            raise FactorNotFound(cached.detail, list(cached.issues))
        return cached

    def _resolve_all(self, query: FactorQuery) -> tuple[Resolution, ...]:
        scope = self._scope(query)
        rows = [
            f for f in self._by_key.get((query.parameter.value, query.activity), []) if f.dataset.ref in scope
        ]
        gases = sorted({f.gas or "" for f in rows})
        winners: list[tuple[tuple[object, ...], str]] = []
        rejected: list[Rejected] = []
        for gas in gases:
            per_gas = replace(query, gas=gas or None)
            candidates = [f for f in rows if (f.gas or "") == gas]
            try:
                resolution = self._choose(per_gas, scope, candidates)
            except FactorNotFound:
                # The same reasons `resolve` gives for this gas, so every surface agrees.
                rejected.extend(self._screen(per_gas, scope, candidates)[1])
                continue
            ranked = self._rank(per_gas, scope, resolution.factor)
            winners.append((ranked.key(), resolution.factor.dataset.ref))
        if not winners:
            raise self._not_found(query, scope, rejected, "no eligible factor" if rejected else "no factor")
        best_ref = min(winners)[1]
        results = []
        for gas in gases:
            in_best = [f for f in rows if (f.gas or "") == gas and f.dataset.ref == best_ref]
            if in_best:
                per_gas = replace(query, gas=gas or None)
                try:
                    results.append(self._choose(per_gas, {best_ref: scope[best_ref]}, in_best))
                except FactorNotFound:
                    continue
        return tuple(results)

    # -- rules -------------------------------------------------------------------------------

    def _scope(self, query: FactorQuery) -> dict[str, int | None]:
        """Rule (a): dataset refs in scope mapped to their priority (None = no order given)."""
        names = query.datasets or self.pinned
        if not names:
            return {ref: None for ref in self._datasets}
        scope: dict[str, int | None] = {}
        unknown = []
        for position, name in enumerate(names):
            refs = [r for r, d in self._datasets.items() if name in (d.id, r)]
            if not refs:
                unknown.append(FieldIssue(("datasets", position), name, "dataset not loaded"))
            for ref in refs:
                scope.setdefault(ref, position)
        if unknown:
            # A misspelt or uninstalled dataset must not silently narrow the search.
            raise FactorNotFound(
                f"no {query.parameter.value} factor for {query.activity}: "
                f"dataset(s) {', '.join(str(i.value) for i in unknown)} not loaded",
                unknown,
            )
        return scope

    def _superseded(self, scope: dict[str, int | None]) -> dict[str, str]:
        """Rule (g): ref -> the ref of the in-scope version that supersedes it (transitively)."""
        direct = {d.supersedes: d.ref for ref, d in self._datasets.items() if ref in scope and d.supersedes}
        result = {}
        for old in direct:
            newer = direct[old]
            while newer in direct:
                newer = direct[newer]
            result[old] = newer
        return result

    def _rank(self, query: FactorQuery, scope: dict[str, int | None], factor: Factor) -> _Ranked:
        if factor.region == query.region:
            region = 0
        elif factor.region == "*":
            region = 2
        else:
            region = 1
        if query.year is None:
            year = (1, -(factor.year or 0))
        elif factor.applies is not None and factor.applies[0] <= query.year <= factor.applies[1]:
            year = (0, 0)
        elif factor.year is not None:
            year = (1, -factor.year)
        elif factor.applies is not None:
            # Prescribed for earlier reporting years only: still the latest word until updated.
            year = (1, -factor.applies[1])
        else:
            year = (2, 0)
        sector = 0 if factor.sector == query.sector else 1
        variant = 0 if factor.variant == query.variant else 1
        priority = scope.get(factor.dataset.ref)
        return _Ranked(factor, region, year, sector, variant, -1 if priority is None else priority)

    def _reject_reason(self, query: FactorQuery, factor: Factor, superseded: dict[str, str]) -> str:
        """A hard rejection (rules c-g), or "" when the factor is eligible (the year's wording is
        :func:`reasons.year_rejection`, shared by every surface)."""
        if factor.dataset.ref in superseded:
            return f"superseded by {superseded[factor.dataset.ref]}"
        if query.variant is not None and factor.variant != query.variant:
            return f"variant {factor.variant or '(none)'} is not {query.variant}"
        if factor.region not in _covering_regions(query.region):
            return f"region {factor.region} does not cover {query.region}"
        year = reasons.year_rejection(factor, query.year, self.year_policy)
        if year:
            return year
        if query.sector is not None and factor.sector not in (None, query.sector):
            return f"sector {factor.sector} is not {query.sector}"
        return ""

    def _screen(
        self, query: FactorQuery, scope: dict[str, int | None], candidates: list[Factor]
    ) -> tuple[list[_Ranked], list[Rejected]]:
        """Rules (c)-(g): the eligible candidates, ranked, and the rejected ones with the reason."""
        superseded = self._superseded(scope)
        rejected: list[Rejected] = []
        eligible: list[_Ranked] = []
        for factor in candidates:
            reason = self._reject_reason(query, factor, superseded)
            if reason:
                rejected.append(Rejected(factor, reason))
            else:
                eligible.append(self._rank(query, scope, factor))
        return eligible, rejected

    def _choose(
        self, query: FactorQuery, scope: dict[str, int | None], candidates: list[Factor]
    ) -> Resolution:
        eligible, rejected = self._screen(query, scope, candidates)
        if not eligible:
            raise self._not_found(query, scope, rejected, "no eligible factor")
        eligible.sort(key=_Ranked.key)
        best = eligible[0]
        self._refuse_open_choice(query, scope, best, eligible, rejected)
        for other in eligible[1:]:
            rejected.append(Rejected(other.factor, _lost_because(best, other)))
        rule = _rule(query, best, eligible[1] if len(eligible) > 1 else None)
        fallback = reasons.year_fallback(best.factor, query.year)
        return Resolution(
            query=query, factor=best.factor, rule=rule, rejected=tuple(rejected), fallback=fallback
        )

    def _refuse_open_choice(
        self,
        query: FactorQuery,
        scope: dict[str, int | None],
        best: _Ranked,
        eligible: list[_Ranked],
        rejected: list[Rejected],
    ) -> None:
        """Sector or variant left open by the query but published several ways: never guess."""
        peers = [
            r for r in eligible if (r.region, r.year, r.priority) == (best.region, best.year, best.priority)
        ]
        for attribute in ("sector", "variant"):
            if getattr(query, attribute) is not None or getattr(best.factor, attribute) is None:
                continue
            choices = sorted({getattr(r.factor, attribute) or "" for r in peers})
            if len(choices) > 1:
                raise self._not_found(
                    query,
                    scope,
                    rejected,
                    f"{attribute} not given and the factor is published for several "
                    f"({', '.join(c or '(blank)' for c in choices)}); name one",
                )

    def _not_found(
        self,
        query: FactorQuery,
        scope: dict[str, int | None],
        rejected: list[Rejected],
        why: str,
    ) -> FactorNotFound:
        parts = [f"{query.parameter.value} factor for activity {query.activity}"]
        for label, value in (
            ("gas", query.gas),
            ("region", query.region),
            ("year", query.year),
            ("sector", query.sector),
            ("variant", query.variant),
        ):
            if value is not None:
                parts.append(f"{label} {value}")
        searched = ", ".join(sorted(scope)) or "(none)"
        # The causes go into the detail itself: the one line every surface shows (the inventory's
        # "not computable" reason, an upload's refusal, `factors resolve`, problem+json's detail).
        causes = reasons.not_found_summary((r.factor.key, r.reason) for r in rejected)
        detail = f"{why}: {', '.join(parts)}; datasets searched: {searched}; {causes}"
        issues = [FieldIssue(("candidates", r.factor.key), str(r.factor.value), r.reason) for r in rejected]
        if not issues:
            issues = [FieldIssue(("activity",), query.activity, reasons.NONE_IN_SCOPE)]
        return FactorNotFound(detail, issues)


def _covering_regions(region: str) -> tuple[str, ...]:
    """Rule (d): the query region, its country (ISO 3166-2 or grid region prefix), then ``*``."""
    if region == "*":
        return ("*",)
    country = region.split("-", 1)[0]
    return (region, country, "*") if country != region else (region, "*")


def _lost_because(best: _Ranked, other: _Ranked) -> str:
    winner = best.factor.key
    if other.region != best.region:
        return f"region {other.factor.region} less specific than {best.factor.region} ({winner})"
    if other.year != best.year:
        if best.year[0] == 0:
            return f"{winner} applies to the reporting year"
        if other.year[0] == 2:
            return f"timeless; {winner} has a data year"
        return f"older than {winner}"
    if other.sector != best.sector:
        return f"sector {other.factor.sector or '(blank)'} less specific than {winner}"
    if other.variant != best.variant:
        return f"variant {other.factor.variant} not preferred over {winner}"
    if other.priority != best.priority:
        return f"lower dataset priority than {best.factor.dataset.ref}"
    return f"tie broken by dataset and row order in favour of {winner}"


def _rule(query: FactorQuery, best: _Ranked, runner_up: _Ranked | None) -> str:
    """A short stable description of why ``best`` won, e.g. ``region=exact;year=applies;...``."""
    region = ("exact", "country", "global")[best.region]
    if query.year is None:
        year = "any"
    elif reasons.year_fallback(best.factor, query.year):
        year = "nearest-earlier"
    else:
        year = ("applies", "latest-not-after", "timeless")[best.year[0]]
    sector = "exact" if best.factor.sector and best.sector == 0 else "any"
    parts = [f"region={region}", f"year={year}", f"sector={sector}"]
    if runner_up is None:
        parts.append("by=only-candidate")
    else:
        reason = _lost_because(best, runner_up)
        if reason.startswith("lower dataset priority"):
            parts.append("by=dataset-priority")
        elif reason.startswith("tie broken"):
            parts.append("by=tie-order")
        else:
            parts.append("by=specificity")
    return ";".join(parts)

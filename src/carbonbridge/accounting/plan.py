"""The coefficient plan of the bulk engine: emissions per unit of quantity, from the row engine.

Every calculation path of :mod:`carbonbridge.accounting.engine` is linear in the record's quantity
(property-tested in ``tests/accounting/test_properties.py``), so a record's contribution to a
framework line is ``quantity × c`` where ``c`` depends only on the record's *key*: activity, unit,
region, grid region, reporting year, combustion sector and contractual instrument. The plan holds
``c`` for each (key, framework, line, gas); the bulk engine (``accounting.bulk``) joins millions of
rows to it. The row engine stays the one source of truth: ``c`` is what :func:`engine.calculate`
yields, placed by :func:`frameworks.placements`.

Precision. The engine rounds every record-level mass half-to-even to 1 mg. The plan calculates a
record of :data:`PLAN_QUANTITY` (10^12) units and divides, so each exact coefficient carries an
error of at most 0.5 mg / 10^12 = 5 × 10^-19 kg per unit (exact ``Decimal``), then rounds it to the
nearest float64 for the bulk side (relative error ≤ 2^-53 ≈ 1.1 × 10^-16).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from carbonbridge.accounting.calculation import DEFAULT_SOURCES, MEE_GRID_REPORTING, Sources
from carbonbridge.accounting.engine import calculate
from carbonbridge.accounting.frameworks import headline_lines, placements
from carbonbridge.accounting.model import PREFIX_CATEGORY, ActivityCategory, ActivityRecord, Basis
from carbonbridge.factors.model import FactorResolver, GwpSet, gas_group
from carbonbridge.kernel.errors import FactorNotFound, FieldIssue

__all__ = [
    "KEY_COLUMNS",
    "PLAN_COLUMNS",
    "PLAN_QUANTITY",
    "Coefficient",
    "PlanKey",
    "build_plan",
    "keys_of",
    "plan_columns",
]

#: the quantity of the record the plan calculates, so that the engine's 1 mg rounding shrinks to
#: 5 × 10^-19 kg per unit once divided back (module docstring)
PLAN_QUANTITY = Decimal(10) ** 12

#: columns of an activity table that decide a record's coefficients, in plan order
KEY_COLUMNS: tuple[str, ...] = ("activity", "unit", "region", "grid_region", "year", "sector", "instrument")

#: columns of the plan table (:func:`plan_columns`)
PLAN_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "framework",
    "line",
    "headline",
    "basis",
    "gas",
    "gas_group",
    "kg_per_unit",
    "co2e_kg_per_unit",
)


@dataclass(frozen=True, order=True)
class PlanKey:
    """What decides a record's coefficients. Absent text fields are ``""`` (not ``None``), so that
    keys join with plain equality on every backend."""

    activity: str
    unit: str
    region: str
    grid_region: str
    year: int
    sector: str
    instrument: str

    @classmethod
    def of(
        cls,
        activity: str,
        unit: str,
        region: str,
        grid_region: str | None,
        year: int,
        sector: str | None,
        instrument: str | None,
    ) -> PlanKey:
        """A key with ``None`` text fields normalised to ``""``, and the sector blanked where the
        engine does not read it (everything but stationary fuel; ``bulk`` does the same)."""
        sector = (sector or "") if activity.startswith("fuel.") else ""
        return cls(activity, unit, region, grid_region or "", int(year), sector, instrument or "")

    def describe(self) -> str:
        """The key as ``field=value`` text, for error messages."""
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in KEY_COLUMNS)


@dataclass(frozen=True)
class Coefficient:
    """Emissions of one gas per unit of quantity for records of ``key``, counted in one line of one
    framework. ``headline`` is True when the framework's headline total sums the line."""

    key: PlanKey
    framework: str
    line: str
    headline: bool
    basis: Basis
    gas: str
    kg_per_unit: Decimal
    co2e_kg_per_unit: Decimal

    def as_row(self) -> dict[str, object]:
        """The coefficient as one plan-table row (:data:`PLAN_COLUMNS`), amounts as float64."""
        k = self.key
        return {
            "activity": k.activity,
            "unit": k.unit,
            "region": k.region,
            "grid_region": k.grid_region,
            "year": k.year,
            "sector": k.sector,
            "instrument": k.instrument,
            "framework": self.framework,
            "line": self.line,
            "headline": self.headline,
            "basis": self.basis.value,
            "gas": self.gas,
            "gas_group": gas_group(self.gas),
            "kg_per_unit": float(self.kg_per_unit),
            "co2e_kg_per_unit": float(self.co2e_kg_per_unit),
        }


def build_plan(
    keys: Iterable[PlanKey],
    resolver: FactorResolver,
    gwp: GwpSet,
    *,
    datasets: tuple[str, ...] = (),
    mee_grid_dataset: str = MEE_GRID_REPORTING,
    aviation_rf: bool = True,
    sources: Sources = DEFAULT_SOURCES,
    scope2_basis: Basis = Basis.LOCATION,
) -> tuple[Coefficient, ...]:
    """Coefficients of every (key, framework, line, gas) the row engine yields for ``keys``.

    Options are those of :func:`engine.calculate`; ``scope2_basis`` picks the GHG Protocol headline
    as :func:`frameworks.ghg_protocol` does. Raises :class:`FactorNotFound` naming the key when a
    factor it needs is missing (never a silent zero); other engine errors (unknown activity, unit
    mismatch) name the key through the synthetic record id.
    """
    headline = headline_lines(scope2_basis=scope2_basis)
    options = (gwp, datasets, mee_grid_dataset, aviation_rf, sources, scope2_basis)
    memo = _memo_for(resolver, options)
    out: list[Coefficient] = []
    for key in sorted(set(keys)):
        cached = memo.get(key)
        if cached is not None:
            out.extend(cached)
            continue
        start = len(out)
        record = _unit_record(key)
        try:
            emissions = calculate(
                record,
                resolver,
                gwp,
                datasets=datasets,
                sector=key.sector or None,
                mee_grid_dataset=mee_grid_dataset,
                aviation_rf=aviation_rf,
                sources=sources,
            )
            placed = placements(emissions)
        except FactorNotFound as exc:
            raise FactorNotFound(
                f"no factor for activity key {key.describe()}: {exc.detail}",
                [FieldIssue(("activity",), key.activity, exc.detail), *exc.issues],
            ) from exc
        for framework, contributions in placed.items():
            for c in contributions:
                out.append(
                    Coefficient(
                        key,
                        framework,
                        c.line,
                        c.line in headline[framework],
                        c.basis,
                        c.gas,
                        c.kg / PLAN_QUANTITY,
                        c.co2e_kg / PLAN_QUANTITY,
                    )
                )
        memo[key] = tuple(out[start:])
    return tuple(out)


#: Coefficients already computed, per resolver and options. A resolver (``FactorLibrary``) is
#: immutable once built (a new import or pin builds a new one), so its coefficients never go stale;
#: the strong reference keeps ``id`` from being reused. At most a few libraries are kept.
_MEMO: list[tuple[object, tuple[object, ...], dict[PlanKey, tuple[Coefficient, ...]]]] = []
_MEMO_LIBRARIES = 4


def _memo_for(resolver: object, options: tuple[object, ...]) -> dict[PlanKey, tuple[Coefficient, ...]]:
    for held, held_options, found in _MEMO:
        if held is resolver and held_options == options:
            return found
    fresh: dict[PlanKey, tuple[Coefficient, ...]] = {}
    _MEMO.append((resolver, options, fresh))
    del _MEMO[:-_MEMO_LIBRARIES]
    return fresh


def plan_columns(plan: Iterable[Coefficient]) -> dict[str, list[object]]:
    """The plan as columns (:data:`PLAN_COLUMNS` → values), ready for a columnar table."""
    columns: dict[str, list[object]] = {name: [] for name in PLAN_COLUMNS}
    for coefficient in plan:
        for name, value in coefficient.as_row().items():
            columns[name].append(value)
    return columns


def keys_of(rows: Iterable[Mapping[str, object]]) -> set[PlanKey]:
    """The distinct keys of rows that carry :data:`KEY_COLUMNS` (``None`` allowed in text fields)."""
    found: set[PlanKey] = set()
    for row in rows:
        found.add(
            PlanKey.of(
                str(row["activity"]),
                str(row["unit"]),
                str(row["region"]),
                _text(row.get("grid_region")),
                int(str(row["year"])),
                _text(row.get("sector")),
                _text(row.get("instrument")),
            )
        )
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _unit_record(key: PlanKey) -> ActivityRecord:
    """A calendar-year record of :data:`PLAN_QUANTITY` units of ``key``; its id names the key."""
    kind = key.activity.split(".", 1)[0]
    return ActivityRecord(
        id=f"plan[{key.describe()}]",
        organisation_id="plan",
        facility_id="plan",
        period_start=date(key.year, 1, 1),
        period_end=date(key.year, 12, 31),
        category=PREFIX_CATEGORY.get(kind, ActivityCategory.PROCESS),
        activity=key.activity,
        quantity=PLAN_QUANTITY,
        unit=key.unit,
        region=key.region,
        grid_region=key.grid_region or None,
        instrument=key.instrument or None,
    )

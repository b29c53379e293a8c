"""JSON shapes of the accounting API (pydantic). Carbon figures are decimal strings in kg."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from carbonbridge.accounting.model import (
    FrameworkLine,
    FrameworkView,
    Reconciliation,
    RecordEmissions,
    RegionalYear,
    SectorTotal,
    Trace,
)
from carbonbridge.kernel.bounds import RequestBody


class LineOut(BaseModel):
    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    by_gas: dict[str, Decimal]
    records: int
    reported: bool

    @classmethod
    def of(cls, x: FrameworkLine) -> LineOut:
        return cls(
            key=x.key,
            label_en=x.label_en,
            label_zh=x.label_zh,
            co2e_kg=x.co2e_kg,
            by_gas=dict(x.by_gas),
            records=len(x.record_ids),
            reported=x.reported,
        )


class ViewOut(BaseModel):
    framework: str
    total_co2e_kg: Decimal
    totals: dict[str, Decimal]
    by_gas_group: dict[str, Decimal]
    lines: list[LineOut]
    out_of_boundary: list[LineOut]
    notes: list[str]

    @classmethod
    def of(cls, v: FrameworkView) -> ViewOut:
        return cls(
            framework=v.framework,
            total_co2e_kg=v.total_co2e_kg,
            totals=dict(v.totals),
            by_gas_group={k: g.co2e_kg for k, g in v.by_gas_group.items()},
            lines=[LineOut.of(x) for x in v.lines],
            out_of_boundary=[LineOut.of(x) for x in v.out_of_boundary],
            notes=list(v.notes),
        )


class ReconciliationLineOut(BaseModel):
    cause: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    records: int
    notes: list[str]


class ReconciliationOut(BaseModel):
    framework_a: str
    framework_b: str
    total_a: Decimal
    total_b: Decimal
    difference: Decimal
    lines: list[ReconciliationLineOut]

    @classmethod
    def of(cls, r: Reconciliation) -> ReconciliationOut:
        return cls(
            framework_a=r.framework_a,
            framework_b=r.framework_b,
            total_a=r.total_a,
            total_b=r.total_b,
            difference=r.difference,
            lines=[
                ReconciliationLineOut(
                    cause=x.cause.value,
                    label_en=x.label_en,
                    label_zh=x.label_zh,
                    co2e_kg=x.co2e_kg,
                    records=len(x.record_ids),
                    notes=list(x.notes[:20]),
                )
                for x in r.lines
            ],
        )


class InventoryOut(BaseModel):
    organisation_id: str
    year: int | None
    gwp: str
    records: int
    synthetic: bool
    views: dict[str, ViewOut]
    reconciliations: list[ReconciliationOut]
    co_pollutants_kg: dict[str, Decimal]


class FactorUseOut(BaseModel):
    role: str
    key: str
    value: str
    unit: str
    citation: str
    region: str
    year: int | None
    rule: str
    rejected: list[str]


class TraceOut(BaseModel):
    basis: str
    equation_id: str
    equation: str
    gwp_set: str | None
    gases: dict[str, dict[str, Decimal]]
    factors: list[FactorUseOut]
    conversions: list[str]
    notes: list[str]


class ExplainOut(BaseModel):
    record_id: str
    activity: str
    quantity: Decimal
    unit: str
    year: int
    bases: list[TraceOut]
    co_pollutants_kg: dict[str, Decimal]

    @classmethod
    def of(cls, e: RecordEmissions) -> ExplainOut:
        bases = []
        for basis, gases in e.method_results.items():
            t: Trace = e.traces[basis]
            bases.append(
                TraceOut(
                    basis=basis.value,
                    equation_id=t.equation_id,
                    equation=t.equation,
                    gwp_set=t.gwp_set.value if t.gwp_set else None,
                    gases={g.gas: {"kg": g.kg, "co2e_kg": g.co2e_kg} for g in gases},
                    factors=[
                        FactorUseOut(
                            role=u.role,
                            key=u.key,
                            value=str(u.resolution.factor.value),
                            unit=u.resolution.factor.unit,
                            citation=u.resolution.factor.citation(),
                            region=u.resolution.factor.region,
                            year=u.resolution.factor.year,
                            rule=u.resolution.rule,
                            rejected=[f"{x.factor.key}: {x.reason}" for x in u.resolution.rejected[:10]],
                        )
                        for u in t.factors
                    ],
                    conversions=list(t.conversions),
                    notes=list(t.notes),
                )
            )
        return cls(
            record_id=e.record.id,
            activity=e.record.activity,
            quantity=e.record.quantity,
            unit=e.record.unit,
            year=e.record.year,
            bases=bases,
            co_pollutants_kg={p.pollutant: p.kg for p in e.co_pollutants},
        )


class SectorOut(BaseModel):
    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal
    by_gas: dict[str, Decimal]
    reported: bool

    @classmethod
    def of(cls, s: SectorTotal) -> SectorOut:
        return cls(
            key=s.key,
            label_en=s.label_en,
            label_zh=s.label_zh,
            co2e_kg=s.co2e_kg,
            by_gas=dict(s.by_gas),
            reported=s.reported,
        )


class RegionalYearOut(BaseModel):
    year: int
    ipcc_total_kg: Decimal
    gpc_basic_kg: Decimal
    gpc_basic_plus_kg: Decimal
    population: Decimal | None
    gdp_10k_cny: Decimal | None
    per_capita_kg: Decimal | None
    per_10k_cny_kg: Decimal | None
    ipcc: list[SectorOut]
    gpc: list[SectorOut]
    outside_ipcc: list[SectorOut]

    @classmethod
    def of(cls, y: RegionalYear) -> RegionalYearOut:
        return cls(
            year=y.year,
            ipcc_total_kg=y.ipcc_total_kg,
            gpc_basic_kg=y.gpc_basic_kg,
            gpc_basic_plus_kg=y.gpc_basic_plus_kg,
            population=y.population,
            gdp_10k_cny=y.gdp_10k_cny,
            per_capita_kg=y.per_capita_kg,
            per_10k_cny_kg=y.per_10k_cny_kg,
            ipcc=[SectorOut.of(s) for s in y.ipcc],
            gpc=[SectorOut.of(s) for s in y.gpc],
            outside_ipcc=[SectorOut.of(s) for s in y.outside_ipcc],
        )


class RegionalOut(BaseModel):
    region: str
    gwp: str
    synthetic: bool
    records: int
    years: list[RegionalYearOut]
    #: year -> pollutant -> kg (SO2, NOx, PM10, PM2.5; no CO2e)
    co_pollutants_kg: dict[int, dict[str, Decimal]]


class SubmissionOut(BaseModel):
    submission_id: str
    organisation_id: str
    rows: int
    sha256: str
    log_index: int = Field(description="index of the submission's event in the transparency log")
    receipt: str = Field(description="c2sp.org/tlog-proof receipt; check with `carbonbridge verify`")


class FacilityIn(RequestBody):
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=300)
    region: str = Field(min_length=2, max_length=20)
    grid_region: str = Field(min_length=2, max_length=40)


class OrganisationIn(RequestBody):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name_en: str = Field(min_length=1, max_length=300)
    name_zh: str = Field(min_length=1, max_length=300)
    kind: str
    region: str = Field(min_length=2, max_length=20)
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    facilities: list[FacilityIn] = Field(min_length=1, max_length=1000)


class OrganisationOut(BaseModel):
    id: str
    name_en: str
    name_zh: str
    kind: str
    region: str


class RowsIn(RequestBody):
    rows: list[dict[str, object]] = Field(min_length=1, max_length=200_000)


class ComputeIn(RequestBody):
    """A stateless calculation: rows plus the facilities they name (nothing is stored)."""

    organisation_kind: str = "other"
    facilities: list[FacilityIn] = Field(min_length=1, max_length=1000)
    rows: list[dict[str, object]] = Field(min_length=1, max_length=100_000)


class FinaliseIn(RequestBody):
    gwp: str = "AR6"


class VerificationIn(RequestBody):
    opinion: str = Field(description="reasonable_assurance, limited_assurance, qualified or adverse")
    statement: str = Field(min_length=1, max_length=20_000)


class StatementOut(BaseModel):
    id: str
    organisation_id: str
    year: int
    kind: str
    gwp: str
    figures: dict[str, object]
    opinion: str
    by: str
    log_index: int
    receipt: str | None = None

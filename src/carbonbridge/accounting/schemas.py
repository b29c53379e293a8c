"""JSON shapes of the accounting API (pydantic). Carbon figures are decimal strings in kg."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from carbonbridge.accounting import publication
from carbonbridge.accounting.coverage import PER_CAPITA_NOTE, Coverage
from carbonbridge.accounting.disclosure import Withheld
from carbonbridge.accounting.model import (
    FrameworkLine,
    FrameworkView,
    NotComputable,
    Reconciliation,
    RecordEmissions,
    Trace,
)
from carbonbridge.accounting.publication import ReleasedSector, ReleasedYear
from carbonbridge.accounting.service import OrganisationInventory, co_pollutant_totals
from carbonbridge.accounting.service.adhoc import AdhocInventory
from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.platform import i18n

# named only in the ``of`` constructors' signatures (no field holds them): the stored records and
# the released statement bring the accounting store, which ``inventory compute --format json``
# does not use (docs/cli.md, "Start-up time")
if TYPE_CHECKING:
    from carbonbridge.accounting.service.records import RecordPage
    from carbonbridge.accounting.service.release import ReleaseResult


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


class NotComputableOut(BaseModel):
    """A stored record the engine cannot compute now, and why (no total counts it)."""

    record_id: str
    activity: str
    period_start: date
    period_end: date
    quantity: Decimal
    unit: str
    reason: str

    @classmethod
    def of(cls, x: NotComputable) -> NotComputableOut:
        r = x.record
        return cls(
            record_id=r.id,
            activity=r.activity,
            period_start=r.period_start,
            period_end=r.period_end,
            quantity=r.quantity,
            unit=r.unit,
            reason=x.reason,
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
    not_computable: list[NotComputableOut] = Field(
        default_factory=list, description="records no total counts: the engine cannot compute them now"
    )
    excluded_records: int = Field(0, description="how many records every total excludes (not computable)")

    @classmethod
    def of(cls, inv: OrganisationInventory) -> InventoryOut:
        return cls(
            organisation_id=inv.organisation.id,
            year=inv.year,
            gwp=inv.gwp.value,
            records=len(inv.records),
            synthetic=inv.synthetic,
            views={
                "ghgp": ViewOut.of(inv.ghgp),
                "iso14064": ViewOut.of(inv.iso14064),
                "cn-mee": ViewOut.of(inv.cn_mee),
            },
            reconciliations=[ReconciliationOut.of(inv.ghgp_vs_iso), ReconciliationOut.of(inv.ghgp_vs_mee)],
            co_pollutants_kg=co_pollutant_totals(inv.records),
            not_computable=[NotComputableOut.of(x) for x in inv.not_computable],
            excluded_records=len(inv.not_computable),
        )


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
    """One record's figures per basis: each gas's mass and CO2e (kg, every digit) and the trace
    (factors, the rule that chose each, equation, GWP set)."""

    record_id: str
    organisation_id: str = ""
    facility_id: str = ""
    period_start: date | None = None
    period_end: date | None = None
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
            organisation_id=e.record.organisation_id,
            facility_id=e.record.facility_id,
            period_start=e.record.period_start,
            period_end=e.record.period_end,
            activity=e.record.activity,
            quantity=e.record.quantity,
            unit=e.record.unit,
            year=e.record.year,
            bases=bases,
            co_pollutants_kg={p.pollutant: p.kg for p in e.co_pollutants},
        )


_WITHHELD = (
    "fields withheld from the public under disclosure control (docs/accounting.md), by name "
    "(`co2e_kg`, `by_gas.CO2`, `ipcc_total_kg`, `co_pollutants_kg.SO2` ...), with the reason: always "
    "`confidential` for the public, whose copy has `null` in their place; `threshold`, `dominance` or "
    "`secondary` for the regulator and administrators, who see the values"
)


class SectorOut(BaseModel):
    key: str
    label_en: str
    label_zh: str
    co2e_kg: Decimal | None = Field(description="kg CO2e; null when withheld (see `withheld`)")
    by_gas: dict[str, Decimal | None] = Field(description="kg CO2e per gas group; null when withheld")
    reported: bool
    withheld: dict[str, Withheld] = Field(description=_WITHHELD)

    @classmethod
    def of(cls, s: ReleasedSector) -> SectorOut:
        return cls(
            key=s.key,
            label_en=s.label_en,
            label_zh=s.label_zh,
            co2e_kg=s.co2e_kg,
            by_gas=dict(s.by_gas),
            reported=s.reported,
            withheld=dict(s.withheld),
        )


class CoverageOut(BaseModel):
    """Who a year's figures are summed from (docs/accounting.md, "Coverage"): counts of
    organisations, never one organisation's figures."""

    registered: int = Field(description="organisations registered on the platform")
    reporting: int = Field(description="organisations with activity records for the year")
    reporting_percent: Decimal | None = Field(description="reporting / registered, per cent (0.1)")
    finalised: int = Field(description="reporting organisations whose year's inventory is finalised")
    verified: int = Field(description="... and has a third-party verification statement")
    records: int = Field(description="current activity records of the year")
    excluded_records: int = Field(description="records of the year every figure excludes (not computable)")
    share_of_published: Decimal | None = Field(
        description="share of the region's published total; null: the platform holds no published total"
    )

    @classmethod
    def of(cls, c: Coverage) -> CoverageOut:
        return cls(
            registered=c.registered,
            reporting=c.reporting,
            reporting_percent=c.reporting_percent,
            finalised=c.finalised,
            verified=c.verified,
            records=c.records,
            excluded_records=c.excluded_records,
            share_of_published=c.share_of_published,
        )


class RegionalYearOut(BaseModel):
    year: int
    ipcc_total_kg: Decimal | None = Field(description="null when withheld (see `withheld`)")
    gpc_basic_kg: Decimal | None = Field(description="null when withheld")
    gpc_basic_plus_kg: Decimal | None = Field(description="null when withheld")
    population: Decimal | None
    gdp_10k_cny: Decimal | None
    per_capita_kg: Decimal | None = Field(description="null without population, or when withheld")
    per_10k_cny_kg: Decimal | None = Field(description="null without GDP, or when withheld")
    ipcc: list[SectorOut]
    gpc: list[SectorOut]
    outside_ipcc: list[SectorOut]
    withheld: dict[str, Withheld] = Field(description=_WITHHELD)
    coverage: CoverageOut | None = Field(None, description="who the year's figures are summed from")

    @classmethod
    def of(cls, y: ReleasedYear) -> RegionalYearOut:
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
            withheld=dict(y.withheld),
            coverage=None if y.coverage is None else CoverageOut.of(y.coverage),
        )


class RegionalNotComputableOut(BaseModel):
    """Records of a year the engine cannot compute now, grouped by activity and reason (no
    organisation, no quantity: the public sees only that figures exclude them)."""

    year: int
    activity: str
    records: int
    reason: str


class DisclosureOut(BaseModel):
    """How the figures were protected. The rule's parameters are given to the regulator only: the
    Handbook on Statistical Disclosure Control advises keeping concentration-rule parameters
    confidential."""

    masked: bool = Field(description="true: the public's copy, withheld figures are null")
    note_en: str
    note_zh: str
    min_reporters: int | None = Field(description="threshold rule (regulator only)")
    dominance_n: int | None = Field(description="n of the (n,k)-dominance rule (regulator only)")
    dominance_k_percent: Decimal | None = Field(description="k of the (n,k)-dominance rule (regulator only)")
    protection_percent: Decimal | None = Field(description="least protection interval (regulator only)")


class RegionalOut(BaseModel):
    region: str
    gwp: str
    synthetic: bool
    records: int
    years: list[RegionalYearOut]
    #: year -> pollutant -> kg (SO2, NOx, PM10, PM2.5; no CO2e); null when withheld
    co_pollutants_kg: dict[int, dict[str, Decimal | None]]
    disclosure: DisclosureOut
    not_computable: list[RegionalNotComputableOut] = Field(
        default_factory=list, description="records every figure excludes: the engine cannot compute them now"
    )
    excluded_records: int = Field(0, description="how many records every figure excludes (not computable)")
    per_capita_note_en: str = Field(PER_CAPITA_NOTE, description="what per capita and per GDP mean here")
    per_capita_note_zh: str = ""
    stale_since: datetime | None = Field(
        None,
        description="set while a full rebuild runs (the factor datasets or pins changed): the figures are "
        "the last complete statement, being recomputed since then",
    )
    stale_note_en: str | None = None
    stale_note_zh: str | None = None

    @classmethod
    def of(cls, result: ReleaseResult) -> RegionalOut:
        """A release as JSON (the REST API and ``carbonbridge inventory region --format json``)."""
        from carbonbridge.accounting.service.release import stale_note

        r, rules = result.release, result.release.rules
        note = publication.PUBLIC_NOTE if r.masked else publication.REGULATOR_NOTE
        values = {
            "min_reporters": rules.min_reporters,
            "dominance_n": rules.dominance_n,
            "dominance_k": rules.dominance_k,
            "protection_percent": rules.protection_percent,
        }
        return cls(
            region=result.region,
            gwp=result.gwp.value,
            synthetic=result.synthetic,
            records=result.record_count,
            years=[RegionalYearOut.of(y) for y in r.years],
            co_pollutants_kg={y.year: dict(y.co_pollutants_kg) for y in r.years},
            not_computable=[
                RegionalNotComputableOut(year=g.year, activity=g.activity, records=g.records, reason=g.reason)
                for g in result.not_computable
            ],
            excluded_records=result.excluded_records,
            per_capita_note_en=PER_CAPITA_NOTE,
            per_capita_note_zh=i18n.gettext("zh", PER_CAPITA_NOTE),
            stale_since=result.stale_since,
            stale_note_en=None if result.stale_since is None else stale_note("en", result.stale_since),
            stale_note_zh=None if result.stale_since is None else stale_note("zh", result.stale_since),
            disclosure=DisclosureOut(
                masked=r.masked,
                note_en=note.format(**values),
                note_zh=i18n.gettext("zh", note).format(**values),
                min_reporters=None if r.masked else rules.min_reporters,
                dominance_n=None if r.masked else rules.dominance_n,
                dominance_k_percent=None if r.masked else rules.dominance_k,
                protection_percent=None if r.masked else rules.protection_percent,
            ),
        )


class SubmissionOut(BaseModel):
    submission_id: str
    organisation_id: str
    rows: int
    sha256: str
    log_index: int = Field(description="index of the submission's event in the transparency log")
    receipt: str = Field(description="c2sp.org/tlog-proof receipt; check with `carbonbridge verify`")
    replaces: str | None = Field(None, description="the submission this one replaces (a correction)")


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


class ComputeFacilityIn(FacilityIn):
    organisation_id: str = Field(
        "adhoc",
        min_length=1,
        max_length=40,
        description="the organisation the facility belongs to (one of `organisations`); results are "
        "per organisation and year",
    )


class ComputeOrganisationIn(RequestBody):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str = "other"
    region: str = Field("CN-HI", min_length=2, max_length=20)


class ComputeIn(RequestBody):
    """A stateless calculation: rows plus the facilities they name (nothing is stored)."""

    organisation_kind: str = Field("other", description="kind of the ad-hoc organisation")
    organisations: list[ComputeOrganisationIn] = Field(
        default_factory=list, max_length=1000, description="organisations facilities may name"
    )
    facilities: list[ComputeFacilityIn] = Field(min_length=1, max_length=1000)
    rows: list[dict[str, object]] = Field(min_length=1, max_length=100_000)


class ComputeOut(BaseModel):
    """A stateless calculation: one inventory per organisation and reporting year (never a sum
    across years), and every record's per-gas masses with its trace."""

    gwp: str
    framework: str | None = Field(
        description="the canonical name of the framework asked for (`ghgp`, `iso14064`, `cn-mee`); "
        "null when none was named"
    )
    pinned_datasets: list[str] = Field(description="the region's pinned datasets, searched first")
    records: int
    years: list[int]
    inventories: list[InventoryOut] = Field(description="one per organisation and year")
    results: list[ExplainOut] = Field(description="per record: per-gas masses (kg) and the trace")

    @classmethod
    def of(cls, result: AdhocInventory, detail: str = "trace") -> ComputeOut:
        """The body of the API's stateless compute and of ``inventory compute --format json``.
        ``detail``: ``trace`` (per-gas masses and the trace of each record), ``gases`` (per-gas
        masses only: no factors, conversions or notes) or ``none`` (no per-record results)."""
        results = [] if detail == "none" else [ExplainOut.of(e) for e in result.records]
        if detail == "gases":
            results = [
                r.model_copy(
                    update={
                        "bases": [
                            b.model_copy(update={"factors": [], "conversions": [], "notes": []})
                            for b in r.bases
                        ]
                    }
                )
                for r in results
            ]
        return cls(
            gwp=result.gwp.value,
            framework=result.framework,
            pinned_datasets=list(result.pinned),
            records=len(result.records),
            years=list(result.years),
            inventories=[InventoryOut.of(p) for p in result.parts],
            results=results,
        )


class RecordOut(BaseModel):
    """A stored activity record: its id is what `GET /api/v1/records/{id}/explain` takes."""

    id: str
    submission_id: str
    facility_id: str
    period_start: date
    period_end: date
    year: int
    category: str
    activity: str
    quantity: Decimal
    unit: str
    instrument: str | None
    explain: str = Field(description="the record's explain address")


class RecordPageOut(BaseModel):
    organisation_id: str
    year: int | None
    total: int = Field(description="records in all (every page)")
    limit: int
    offset: int
    records: list[RecordOut]

    @classmethod
    def of(cls, page: RecordPage) -> RecordPageOut:
        return cls(
            organisation_id=page.organisation_id,
            year=page.year,
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            records=[
                RecordOut(
                    id=x.record.id,
                    submission_id=x.submission_id,
                    facility_id=x.record.facility_id,
                    period_start=x.record.period_start,
                    period_end=x.record.period_end,
                    year=x.record.year,
                    category=x.record.category.value,
                    activity=x.record.activity,
                    quantity=x.record.quantity,
                    unit=x.record.unit,
                    instrument=x.record.instrument,
                    explain=f"/api/v1/records/{x.record.id}/explain",
                )
                for x in page.records
            ],
        )


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
    revision: int = Field(0, description="revision of the year's inventory (one more per reopening)")
    superseded: bool = Field(False, description="a reopening of the year superseded this statement")


class SubmissionInfoOut(BaseModel):
    """One submission in an organisation's history (what replaced what, when, by whom)."""

    id: str
    filename: str
    rows: int
    sha256: str
    submitted_at: datetime
    submitted_by: str
    log_index: int | None = Field(description="its entry in the transparency log")
    years: list[int]
    replaces: str | None = Field(description="the submission it replaced")
    replaced_by: str | None = Field(description="the submission that replaced it (None: current)")


class ReopenIn(RequestBody):
    reason: str = Field(min_length=1, max_length=2000, description="why the finalised year is reopened")


class ReopeningOut(BaseModel):
    id: str
    organisation_id: str
    year: int
    revision: int = Field(description="the revision of the year's inventory the reopening starts")
    reason: str
    by: str
    at: datetime
    log_index: int
    receipt: str | None = None


class RosterLineOut(BaseModel):
    organisation: OrganisationOut
    stage: str = Field(description="not reported, reported, finalised or verified (the furthest reached)")
    records: int = Field(description="current activity records in the year")
    ghgp_co2e_kg: Decimal | None = Field(description="GHG Protocol headline total; null without data")
    cn_mee_co2e_kg: Decimal | None = Field(description="China MEE guideline total (CO2); null without data")
    not_computable: int = Field(description="records both totals exclude (not computable now)")


class RosterOut(BaseModel):
    """One page of the organisations the caller may see, with their stage and totals for a year."""

    year: int
    gwp: str
    q: str
    page: int
    per_page: int
    total: int = Field(description="organisations matching the search, on every page together")
    pages: int
    lines: list[RosterLineOut]


class ReportingStatusOut(BaseModel):
    """How many organisations reached each stage for a year (names no organisation)."""

    year: int
    organisations: int = Field(description="registered organisations")
    reported: int
    finalised: int = Field(description="finalised or verified")
    verified: int
    coverage_percent: Decimal | None = Field(description="reported / registered, to 0.1 %")

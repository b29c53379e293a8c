"""Storage of organisations, facilities, submissions and activity records.

An activity record is stored once: the same facility, activity, period and instrument cannot be
submitted twice (a unique constraint, so that nothing is double counted even under concurrent
uploads). Quantities are exact decimals (``platform.types.ExactDecimal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.accounting.model import (
    ActivityCategory,
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
)
from carbonbridge.platform.db import Base
from carbonbridge.platform.types import ExactDecimal


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(20))
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, unique=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class FacilityRow(Base):
    __tablename__ = "facilities"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(20))
    grid_region: Mapped[str] = mapped_column(String(40))


class SubmissionRow(Base):
    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(40))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActivityRow(Base):
    __tablename__ = "activity_records"
    __table_args__ = (
        UniqueConstraint(
            "facility_id",
            "activity",
            "period_start",
            "period_end",
            "unit",
            "instrument_key",
            name="uq_activity_records_once",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(40))
    activity: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit: Mapped[str] = mapped_column(String(60))
    region: Mapped[str] = mapped_column(String(20))
    grid_region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: the instrument, or "" (NULLs are never equal in a unique constraint)
    instrument_key: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class StatementRow(Base):
    """A finalised inventory or a verification statement on it, with the log entry recording it."""

    __tablename__ = "inventory_statements"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "kind", name="uq_inventory_statements_once"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    #: ``finalised`` or ``verified``
    kind: Mapped[str] = mapped_column(String(20))
    gwp: Mapped[str] = mapped_column(String(8))
    #: canonical JSON of the figures the statement fixes (framework totals, records digest)
    figures: Mapped[str] = mapped_column(Text)
    opinion: Mapped[str] = mapped_column(String(40), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    by_user: Mapped[str] = mapped_column(String(40))
    by_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    log_index: Mapped[int] = mapped_column(Integer)


class RegionStatisticsRow(Base):
    """Population and GDP of the territory by year, for per-capita and per-GDP indicators."""

    __tablename__ = "region_statistics"

    region: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)
    gdp_10k_cny: Mapped[Decimal] = mapped_column(ExactDecimal())
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="")


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation(
        id=row.id,
        name_en=row.name_en,
        name_zh=row.name_zh,
        kind=OrganisationKind(row.kind),
        region=row.region,
        credit_code=row.credit_code,
    )


def _facility(row: FacilityRow) -> Facility:
    return Facility(
        id=row.id,
        organisation_id=row.organisation_id,
        name=row.name,
        region=row.region,
        grid_region=row.grid_region,
    )


def _record(row: ActivityRow) -> ActivityRecord:
    return ActivityRecord(
        id=row.id,
        organisation_id=row.organisation_id,
        facility_id=row.facility_id,
        period_start=row.period_start,
        period_end=row.period_end,
        category=ActivityCategory(row.category),
        activity=row.activity,
        quantity=row.quantity,
        unit=row.unit,
        region=row.region,
        grid_region=row.grid_region,
        instrument=row.instrument_key or None,
        note=row.note,
    )


def add_organisation(session: Session, org: Organisation, *, synthetic: bool = False) -> None:
    session.add(
        OrganisationRow(
            id=org.id,
            name_en=org.name_en,
            name_zh=org.name_zh,
            kind=org.kind.value,
            region=org.region,
            credit_code=org.credit_code,
            synthetic=synthetic,
        )
    )
    session.flush()


def add_facility(session: Session, facility: Facility) -> None:
    session.add(
        FacilityRow(
            id=facility.id,
            organisation_id=facility.organisation_id,
            name=facility.name,
            region=facility.region,
            grid_region=facility.grid_region,
        )
    )
    session.flush()


def get_organisation(session: Session, organisation_id: str) -> Organisation | None:
    row = session.get(OrganisationRow, organisation_id)
    return _organisation(row) if row else None


def is_synthetic(session: Session, organisation_id: str) -> bool:
    row = session.get(OrganisationRow, organisation_id)
    return bool(row and row.synthetic)


def any_synthetic(session: Session) -> bool:
    """Whether any organisation is synthetic demo data (one query, for the regional label)."""
    return (
        session.scalar(select(OrganisationRow.id).where(OrganisationRow.synthetic.is_(True)).limit(1))
        is not None
    )


def list_organisations(session: Session, ids: Sequence[str] | None = None) -> list[Organisation]:
    query = select(OrganisationRow).order_by(OrganisationRow.name_en)
    if ids is not None:
        query = query.where(OrganisationRow.id.in_(ids))
    return [_organisation(r) for r in session.scalars(query)]


def count_organisations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OrganisationRow)) or 0)


def facilities_of(session: Session, organisation_id: str) -> dict[str, Facility]:
    rows = session.scalars(select(FacilityRow).where(FacilityRow.organisation_id == organisation_id))
    return {r.id: _facility(r) for r in rows}


def facilities_by_id(session: Session, ids: Sequence[str]) -> dict[str, Facility]:
    """The stored facilities among ``ids`` (of any organisation)."""
    if not ids:
        return {}
    rows = session.scalars(select(FacilityRow).where(FacilityRow.id.in_(list(ids))))
    return {r.id: _facility(r) for r in rows}


def all_facilities(session: Session) -> dict[str, Facility]:
    return {r.id: _facility(r) for r in session.scalars(select(FacilityRow))}


def add_submission(
    session: Session,
    *,
    submission_id: str,
    organisation_id: str,
    filename: str,
    sha256: str,
    records: Sequence[ActivityRecord],
    submitted_by: str,
    at: datetime,
) -> None:
    session.add(
        SubmissionRow(
            id=submission_id,
            organisation_id=organisation_id,
            filename=filename,
            sha256=sha256,
            row_count=len(records),
            submitted_by=submitted_by,
            submitted_at=at,
        )
    )
    session.flush()
    session.add_all(
        ActivityRow(
            id=r.id,
            submission_id=submission_id,
            organisation_id=r.organisation_id,
            facility_id=r.facility_id,
            period_start=r.period_start,
            period_end=r.period_end,
            year=r.year,
            category=r.category.value,
            activity=r.activity,
            quantity=r.quantity,
            unit=r.unit,
            region=r.region,
            grid_region=r.grid_region,
            instrument_key=r.instrument or "",
            note=r.note,
        )
        for r in records
    )
    session.flush()


def existing_keys(
    session: Session, records: Iterable[ActivityRecord]
) -> set[tuple[str, str, date, date, str, str]]:
    """The (facility, activity, start, end, unit, instrument) keys of ``records`` already stored."""
    keys = {
        (r.facility_id, r.activity, r.period_start, r.period_end, r.unit, r.instrument or "") for r in records
    }
    if not keys:
        return set()
    facility_ids = {k[0] for k in keys}
    rows = session.execute(
        select(
            ActivityRow.facility_id,
            ActivityRow.activity,
            ActivityRow.period_start,
            ActivityRow.period_end,
            ActivityRow.unit,
            ActivityRow.instrument_key,
        ).where(ActivityRow.facility_id.in_(facility_ids))
    )
    stored = {tuple(r) for r in rows}
    return {k for k in keys if k in stored}


def records_of(
    session: Session, organisation_ids: Sequence[str] | None = None, years: Sequence[int] | None = None
) -> list[ActivityRecord]:
    query = select(ActivityRow).order_by(
        ActivityRow.organisation_id, ActivityRow.period_start, ActivityRow.id
    )
    if organisation_ids is not None:
        query = query.where(ActivityRow.organisation_id.in_(organisation_ids))
    if years is not None:
        query = query.where(ActivityRow.year.in_(years))
    return [_record(r) for r in session.scalars(query)]


def records_by_ids(session: Session, ids: Sequence[str]) -> list[ActivityRecord]:
    return [_record(r) for r in session.scalars(select(ActivityRow).where(ActivityRow.id.in_(ids)))]


def years_with_data(session: Session) -> list[int]:
    return sorted(int(y) for y in session.scalars(select(ActivityRow.year).distinct()))


def set_region_statistics(
    session: Session,
    region: str,
    year: int,
    population: int,
    gdp_10k_cny: Decimal,
    *,
    synthetic: bool,
    source: str,
) -> None:
    row = session.get(RegionStatisticsRow, (region, year))
    if row is None:
        row = RegionStatisticsRow(region=region, year=year)
        session.add(row)
    row.population = population
    row.gdp_10k_cny = gdp_10k_cny
    row.synthetic = synthetic
    row.source = source
    session.flush()


def region_statistics(session: Session, region: str) -> dict[int, tuple[int, Decimal, bool, str]]:
    rows = session.scalars(select(RegionStatisticsRow).where(RegionStatisticsRow.region == region))
    return {r.year: (r.population, r.gdp_10k_cny, r.synthetic, r.source) for r in rows}


def years_of_organisation(session: Session, organisation_id: str) -> list[int]:
    rows = session.scalars(
        select(ActivityRow.year).where(ActivityRow.organisation_id == organisation_id).distinct()
    )
    return sorted(int(y) for y in rows)


def submission(session: Session, submission_id: str) -> tuple[dict[str, str], list[ActivityRecord]] | None:
    """A submission's header and its records."""
    head = session.get(SubmissionRow, submission_id)
    if head is None:
        return None
    rows = session.scalars(select(ActivityRow).where(ActivityRow.submission_id == submission_id))
    return (
        {"organisation_id": head.organisation_id, "sha256": head.sha256, "filename": head.filename},
        [_record(r) for r in rows],
    )


def add_statement(session: Session, row: StatementRow) -> None:
    session.add(row)
    session.flush()


def statements_of(session: Session, organisation_id: str, year: int | None = None) -> list[StatementRow]:
    query = select(StatementRow).where(StatementRow.organisation_id == organisation_id)
    if year is not None:
        query = query.where(StatementRow.year == year)
    return list(session.scalars(query.order_by(StatementRow.year, StatementRow.at)))


def statement(session: Session, statement_id: str) -> StatementRow | None:
    return session.get(StatementRow, statement_id)


def finalised_years(session: Session, facility_ids: Sequence[str]) -> set[tuple[str, int]]:
    """(organisation id, year) pairs finalised for the organisations owning ``facility_ids``."""
    owners = select(FacilityRow.organisation_id).where(FacilityRow.id.in_(facility_ids))
    rows = session.execute(
        select(StatementRow.organisation_id, StatementRow.year).where(
            StatementRow.kind == "finalised", StatementRow.organisation_id.in_(owners)
        )
    )
    return {(r[0], int(r[1])) for r in rows}

"""Storage of organisations, facilities, submissions and activity records.

An activity record is stored once: the same facility, activity, period and instrument cannot be
current twice (a partial unique index over the records no replacement superseded, so that nothing
is double counted even under concurrent uploads). Quantities are exact decimals
(``platform.types.ExactDecimal``).

Corrections keep history (``docs/accounting.md``, Corrections): a replacement is a new submission
naming the one it ``replaces`` (at most one replacement each); the replaced submission's records
stay, with ``superseded_by`` set to the replacement. A reopened year keeps its statements: each
statement belongs to a ``revision`` of the year's inventory (0, then one more per reopening).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from carbonbridge.accounting.model import (
    ActivityCategory,
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
)
from carbonbridge.kernel.clock import utc_now
from carbonbridge.platform.db import Base
from carbonbridge.platform.types import ExactDecimal, UtcDateTime


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
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: who submitted it, as the page shows them ("" for submissions stored before 0013)
    submitted_by_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: the submission this one corrects; each submission is replaced at most once
    replaces: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), nullable=True, unique=True)
    #: index of the submission's entry in the transparency log
    log_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


_CURRENT = text("superseded_by IS NULL")


class ActivityRow(Base):
    __tablename__ = "activity_records"
    __table_args__ = (
        Index(
            "uq_activity_records_current",
            "facility_id",
            "activity",
            "period_start",
            "period_end",
            "unit",
            "instrument_key",
            unique=True,
            sqlite_where=_CURRENT,
            postgresql_where=_CURRENT,
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
    #: the submission that replaced this record's submission (None: the record is current)
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)


class StatementRow(Base):
    """A finalised inventory or a verification statement on it, with the log entry recording it."""

    __tablename__ = "inventory_statements"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id", "year", "kind", "revision", name="uq_inventory_statements_revision"
        ),
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
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    log_index: Mapped[int] = mapped_column(Integer)
    #: the revision of the year's inventory the statement is on (0 until the year is reopened)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReopeningRow(Base):
    """The regulator reopening a finalised year, with the written reason and its log entry: the
    year's inventory enters ``revision`` and needs a new finalisation and verification."""

    __tablename__ = "inventory_reopenings"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "revision", name="uq_inventory_reopenings_revision"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    by_user: Mapped[str] = mapped_column(String(40))
    by_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    log_index: Mapped[int] = mapped_column(BigInteger)


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
    submitted_by_name: str = "",
    replaces: str | None = None,
) -> None:
    """A submission and its records (:func:`add_submission_head` then :func:`add_records`)."""
    add_submission_head(
        session,
        submission_id=submission_id,
        organisation_id=organisation_id,
        filename=filename,
        sha256=sha256,
        row_count=len(records),
        submitted_by=submitted_by,
        submitted_by_name=submitted_by_name,
        at=at,
        replaces=replaces,
    )
    add_records(session, submission_id, records)


def add_submission_head(
    session: Session,
    *,
    submission_id: str,
    organisation_id: str,
    filename: str,
    sha256: str,
    row_count: int,
    submitted_by: str,
    submitted_by_name: str,
    at: datetime,
    replaces: str | None = None,
) -> None:
    session.add(
        SubmissionRow(
            id=submission_id,
            organisation_id=organisation_id,
            filename=filename,
            sha256=sha256,
            row_count=row_count,
            submitted_by=submitted_by,
            submitted_by_name=submitted_by_name,
            submitted_at=at,
            replaces=replaces,
        )
    )
    session.flush()


def add_records(session: Session, submission_id: str, records: Sequence[ActivityRecord]) -> None:
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


def supersede(session: Session, replaced: str, replacement: str) -> None:
    """Mark the records of submission ``replaced`` as superseded by ``replacement`` (kept, not
    current)."""
    session.execute(
        update(ActivityRow)
        .where(ActivityRow.submission_id == replaced, ActivityRow.superseded_by.is_(None))
        .values(superseded_by=replacement)
    )
    session.flush()


def set_submission_log_index(session: Session, submission_id: str, index: int) -> None:
    row = session.get(SubmissionRow, submission_id)
    if row is not None:
        row.log_index = index
        session.flush()


def existing_keys(
    session: Session, records: Iterable[ActivityRecord]
) -> dict[tuple[str, str, date, date, str, str], str]:
    """The (facility, activity, start, end, unit, instrument) keys of ``records`` that a current
    record already holds, each with the id of the submission holding it."""
    keys = {
        (r.facility_id, r.activity, r.period_start, r.period_end, r.unit, r.instrument or "") for r in records
    }
    if not keys:
        return {}
    facility_ids = {k[0] for k in keys}
    rows = session.execute(
        select(
            ActivityRow.facility_id,
            ActivityRow.activity,
            ActivityRow.period_start,
            ActivityRow.period_end,
            ActivityRow.unit,
            ActivityRow.instrument_key,
            ActivityRow.submission_id,
        ).where(ActivityRow.facility_id.in_(facility_ids), ActivityRow.superseded_by.is_(None))
    )
    stored = {tuple(r[:6]): str(r[6]) for r in rows}
    return {k: stored[k] for k in keys if k in stored}


def records_of(
    session: Session, organisation_ids: Sequence[str] | None = None, years: Sequence[int] | None = None
) -> list[ActivityRecord]:
    """The current records (those no replacement superseded)."""
    query = (
        select(ActivityRow)
        .where(ActivityRow.superseded_by.is_(None))
        .order_by(ActivityRow.organisation_id, ActivityRow.period_start, ActivityRow.id)
    )
    if organisation_ids is not None:
        query = query.where(ActivityRow.organisation_id.in_(organisation_ids))
    if years is not None:
        query = query.where(ActivityRow.year.in_(years))
    return [_record(r) for r in session.scalars(query)]


def records_page(
    session: Session, organisation_id: str, year: int | None, limit: int, offset: int
) -> tuple[int, list[tuple[ActivityRecord, str]]]:
    """One page of an organisation's current records (oldest period first) with each record's
    submission id, and how many there are in all."""
    current = ActivityRow.superseded_by.is_(None) & (ActivityRow.organisation_id == organisation_id)
    if year is not None:
        current = current & (ActivityRow.year == year)
    total = session.scalar(select(func.count()).select_from(ActivityRow).where(current)) or 0
    query = (
        select(ActivityRow)
        .where(current)
        .order_by(ActivityRow.period_start, ActivityRow.facility_id, ActivityRow.activity, ActivityRow.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total), [(_record(r), r.submission_id) for r in session.scalars(query)]


def records_by_ids(session: Session, ids: Sequence[str]) -> list[ActivityRecord]:
    return [_record(r) for r in session.scalars(select(ActivityRow).where(ActivityRow.id.in_(ids)))]


def years_with_data(session: Session) -> list[int]:
    current = select(ActivityRow.year).where(ActivityRow.superseded_by.is_(None))
    return sorted(int(y) for y in session.scalars(current.distinct()))


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
        select(ActivityRow.year)
        .where(ActivityRow.organisation_id == organisation_id, ActivityRow.superseded_by.is_(None))
        .distinct()
    )
    return sorted(int(y) for y in rows)


def submission(session: Session, submission_id: str) -> tuple[dict[str, str], list[ActivityRecord]] | None:
    """A submission's header and all its records (current or superseded)."""
    head = session.get(SubmissionRow, submission_id)
    if head is None:
        return None
    rows = session.scalars(select(ActivityRow).where(ActivityRow.submission_id == submission_id))
    return (
        {"organisation_id": head.organisation_id, "sha256": head.sha256, "filename": head.filename},
        [_record(r) for r in rows],
    )


def submission_row(session: Session, submission_id: str) -> SubmissionRow | None:
    return session.get(SubmissionRow, submission_id)


def replacement_of(session: Session, submission_id: str) -> SubmissionRow | None:
    """The submission that replaced ``submission_id``, if any."""
    return session.scalar(select(SubmissionRow).where(SubmissionRow.replaces == submission_id))


def count_replacements(session: Session) -> int:
    query = select(func.count()).select_from(SubmissionRow).where(SubmissionRow.replaces.is_not(None))
    return int(session.scalar(query) or 0)


def submissions_of(session: Session, organisation_id: str) -> list[SubmissionRow]:
    """The organisation's submissions, oldest first."""
    query = select(SubmissionRow).where(SubmissionRow.organisation_id == organisation_id)
    return list(session.scalars(query.order_by(SubmissionRow.submitted_at, SubmissionRow.id)))


def submission_years(session: Session, submission_ids: Sequence[str]) -> dict[str, list[int]]:
    """The reporting years each submission holds records for."""
    rows = session.execute(
        select(ActivityRow.submission_id, ActivityRow.year)
        .where(ActivityRow.submission_id.in_(submission_ids))
        .distinct()
    )
    years: dict[str, list[int]] = {}
    for submission_id, year in rows:
        years.setdefault(str(submission_id), []).append(int(year))
    return {k: sorted(v) for k, v in years.items()}


def superseded_marks(session: Session, submission_id: str) -> set[str | None]:
    """The distinct ``superseded_by`` marks on a submission's records (audit: all must name the
    submission's replacement, or all be empty when it has none)."""
    rows = session.scalars(
        select(ActivityRow.superseded_by).where(ActivityRow.submission_id == submission_id).distinct()
    )
    return set(rows)


def add_statement(session: Session, row: StatementRow) -> None:
    session.add(row)
    session.flush()


def statements_of(session: Session, organisation_id: str, year: int | None = None) -> list[StatementRow]:
    """Every statement (superseded ones too), by year, revision and time."""
    query = select(StatementRow).where(StatementRow.organisation_id == organisation_id)
    if year is not None:
        query = query.where(StatementRow.year == year)
    order = (StatementRow.year, StatementRow.revision, StatementRow.at)
    return list(session.scalars(query.order_by(*order)))


def statement(session: Session, statement_id: str) -> StatementRow | None:
    return session.get(StatementRow, statement_id)


def revisions(session: Session, organisation_id: str) -> dict[int, int]:
    """Year -> current revision of the organisation's inventory (years never reopened are 0 and
    left out)."""
    rows = session.execute(
        select(ReopeningRow.year, func.max(ReopeningRow.revision))
        .where(ReopeningRow.organisation_id == organisation_id)
        .group_by(ReopeningRow.year)
    )
    return {int(year): int(revision) for year, revision in rows}


def finalised_years(session: Session, organisation_id: str) -> set[int]:
    """Years whose current revision of the organisation's inventory is finalised."""
    current = revisions(session, organisation_id)
    rows = session.execute(
        select(StatementRow.year, StatementRow.revision).where(
            StatementRow.kind == "finalised", StatementRow.organisation_id == organisation_id
        )
    )
    return {int(year) for year, revision in rows if revision == current.get(int(year), 0)}


def add_reopening(session: Session, row: ReopeningRow) -> None:
    session.add(row)
    session.flush()


def reopenings_of(session: Session, organisation_id: str, year: int | None = None) -> list[ReopeningRow]:
    query = select(ReopeningRow).where(ReopeningRow.organisation_id == organisation_id)
    if year is not None:
        query = query.where(ReopeningRow.year == year)
    return list(session.scalars(query.order_by(ReopeningRow.year, ReopeningRow.revision)))


def reopening(session: Session, organisation_id: str, year: int, revision: int) -> ReopeningRow | None:
    return session.scalar(
        select(ReopeningRow).where(
            ReopeningRow.organisation_id == organisation_id,
            ReopeningRow.year == year,
            ReopeningRow.revision == revision,
        )
    )


# --- the stored regional statement --------------------------------------------------------------


class RegionalVersionRow(Base):
    """The version of everything the regional statement is built from (current records,
    organisations, statements, statistics). Every such change adds one in its own transaction, so
    that every server process sees that a stored statement is stale (docs/accounting.md, "The
    stored regional statement"). One row (``id`` 1); no row reads as version 0."""

    __tablename__ = "regional_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class RegionalStatementRow(Base):
    """One year of the regional statement under one GWP set (year 0: the region's facts), as
    built at ``version`` with the factor library ``factors`` (digest of the loaded datasets and
    the pins) and the disclosure ``rules``: released figures, suppression pattern, coverage (JSON)."""

    __tablename__ = "regional_statements"

    region: Mapped[str] = mapped_column(String(20), primary_key=True)
    gwp: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    factors: Mapped[str] = mapped_column(String(64))
    rules: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime())


def bump_regional_version(session: Session) -> None:
    """Mark every stored regional statement stale, in the transaction of the change that makes
    it so (an upsert: the row exists after the first change)."""
    now = utc_now()
    bump = {"version": RegionalVersionRow.version + 1, "at": now}
    first = {"id": 1, "version": 1, "at": now}
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql_insert(RegionalVersionRow).values(**first)
        session.execute(pg.on_conflict_do_update(index_elements=[RegionalVersionRow.id], set_=bump))
    else:
        lite = sqlite_insert(RegionalVersionRow).values(**first)
        session.execute(lite.on_conflict_do_update(index_elements=[RegionalVersionRow.id], set_=bump))
    session.flush()


def regional_version(session: Session) -> int:
    """The current version of the regional data (0 before any change)."""
    found = session.scalar(select(RegionalVersionRow.version).where(RegionalVersionRow.id == 1))
    return int(found or 0)


def regional_statement_rows(
    session: Session, region: str, gwp: str | None = None
) -> list[RegionalStatementRow]:
    query = select(RegionalStatementRow).where(RegionalStatementRow.region == region)
    if gwp is not None:
        query = query.where(RegionalStatementRow.gwp == gwp)
    return list(session.scalars(query.order_by(RegionalStatementRow.gwp, RegionalStatementRow.year)))


def replace_regional_statement(session: Session, region: str, rows: Sequence[RegionalStatementRow]) -> None:
    """The region's stored statement becomes ``rows`` (every GWP set and year)."""
    session.execute(delete(RegionalStatementRow).where(RegionalStatementRow.region == region))
    session.add_all(rows)
    session.flush()


def count_reporting(session: Session) -> dict[int, int]:
    """Year -> organisations with a current activity record in it."""
    query = (
        select(ActivityRow.year, func.count(func.distinct(ActivityRow.organisation_id)))
        .where(ActivityRow.superseded_by.is_(None))
        .group_by(ActivityRow.year)
    )
    return {int(y): int(n) for y, n in session.execute(query)}


def count_statements(session: Session) -> dict[tuple[int, str], int]:
    """(year, kind) -> organisations with a statement of that kind in force (current revision)."""
    current = {
        (o, y): r
        for o, y, r in session.execute(
            select(ReopeningRow.organisation_id, ReopeningRow.year, func.max(ReopeningRow.revision)).group_by(
                ReopeningRow.organisation_id, ReopeningRow.year
            )
        )
    }
    found: dict[tuple[int, str], set[str]] = {}
    rows = session.execute(
        select(StatementRow.organisation_id, StatementRow.year, StatementRow.kind, StatementRow.revision)
    )
    for organisation, year, kind, revision in rows:
        if revision == current.get((organisation, year), 0):
            found.setdefault((int(year), str(kind)), set()).add(str(organisation))
    return {k: len(v) for k, v in found.items()}


# --- the roster: organisations with their reporting status (accounting/service/roster.py) -------


def _matching(query: str) -> list[ColumnElement[bool]]:
    """Conditions for organisations whose id or name contains ``query`` (any case; ``%`` and
    ``_`` are literal)."""
    if not query:
        return []
    columns = (OrganisationRow.id, OrganisationRow.name_en, OrganisationRow.name_zh)
    return [func.lower(c).contains(query.lower(), autoescape=True) for c in columns]


def organisations_page(
    session: Session, query: str, ids: Sequence[str] | None, offset: int, limit: int
) -> tuple[list[Organisation], int]:
    """One page of the organisations whose id or name contains ``query`` (among ``ids`` when
    given), by English name then id, and how many match in all."""
    conditions: list[ColumnElement[bool]] = []
    if query:
        conditions.append(or_(*_matching(query)))
    if ids is not None:
        conditions.append(OrganisationRow.id.in_(ids))
    total = session.scalar(select(func.count()).select_from(OrganisationRow).where(*conditions))
    rows = session.scalars(
        select(OrganisationRow)
        .where(*conditions)
        .order_by(OrganisationRow.name_en, OrganisationRow.id)
        .offset(offset)
        .limit(limit)
    )
    return [_organisation(r) for r in rows], int(total or 0)


def record_counts(
    session: Session, year: int, organisation_ids: Sequence[str] | None = None
) -> dict[str, int]:
    """Organisation -> its current activity records in ``year`` (organisations with none are left out)."""
    query = (
        select(ActivityRow.organisation_id, func.count())
        .where(ActivityRow.year == year, ActivityRow.superseded_by.is_(None))
        .group_by(ActivityRow.organisation_id)
    )
    if organisation_ids is not None:
        query = query.where(ActivityRow.organisation_id.in_(organisation_ids))
    return {str(org): int(n) for org, n in session.execute(query)}


def statement_kinds_in_force(
    session: Session, year: int, organisation_ids: Sequence[str] | None = None
) -> dict[str, set[str]]:
    """Organisation -> the kinds of statement (``finalised``, ``verified``) on the current
    revision of its ``year`` inventory (a reopening leaves the earlier ones out of force)."""
    reopened = select(ReopeningRow.organisation_id, func.max(ReopeningRow.revision)).where(
        ReopeningRow.year == year
    )
    statements = select(StatementRow.organisation_id, StatementRow.kind, StatementRow.revision).where(
        StatementRow.year == year
    )
    if organisation_ids is not None:
        reopened = reopened.where(ReopeningRow.organisation_id.in_(organisation_ids))
        statements = statements.where(StatementRow.organisation_id.in_(organisation_ids))
    current = {str(o): int(r) for o, r in session.execute(reopened.group_by(ReopeningRow.organisation_id))}
    kinds: dict[str, set[str]] = {}
    for org, kind, revision in session.execute(statements):
        if revision == current.get(str(org), 0):
            kinds.setdefault(str(org), set()).add(str(kind))
    return kinds


# --- the regional statement's contributions (migration 0016) ------------------------------------


class RegionalContributionRow(Base):
    """One organisation's share of one atom of the regional statement, one year and GWP set, in
    whole milligrams (``contribution.OrganisationContribution``; docs/accounting.md)."""

    __tablename__ = "regional_contributions"
    __table_args__ = (Index("ix_regional_contributions_year_gwp", "year", "gwp"),)

    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    gwp: Mapped[str] = mapped_column(String(8), primary_key=True)
    ipcc: Mapped[str] = mapped_column(String(16), primary_key=True)
    gpc: Mapped[str] = mapped_column(String(8), primary_key=True)
    gas: Mapped[str] = mapped_column(String(40), primary_key=True)
    co2e_mg: Mapped[int] = mapped_column(BigInteger)
    mass_mg: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(Integer)
    weight: Mapped[str] = mapped_column(String(40))


class RegionalExclusionRow(Base):
    """An organisation's current records the engine cannot compute now, per year, GWP set,
    activity and reason (every regional figure excludes them; the public sees the groups)."""

    __tablename__ = "regional_exclusions"

    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    gwp: Mapped[str] = mapped_column(String(8), primary_key=True)
    activity: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, primary_key=True)
    records: Mapped[int] = mapped_column(Integer)


class RegionalRebuildRow(Base):
    """The state of the contributions (one row, ``id`` 1): the factor digest every
    organisation's contributions were computed with (``None``: never completely), and the full
    rebuild running now, if any (``owner``, ``started_at``, ``heartbeat_at``): the guard that
    lets one process at a time rebuild."""

    __tablename__ = "regional_rebuild"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factors: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def lock_regional(session: Session) -> None:
    """Take the regional lock (the version row) for the rest of the transaction: every change
    to the contributions and the statement holds it, so they are applied one after the other and
    each sees the last one's rows (PostgreSQL: a row lock; SQLite: the write lock)."""
    found = session.execute(
        update(RegionalVersionRow)
        .where(RegionalVersionRow.id == 1)
        .values(version=RegionalVersionRow.version)
    )
    if not found.rowcount:  # type: ignore[attr-defined]
        bump_regional_version(session)


def replace_contributions(
    session: Session,
    organisation_ids: Sequence[str],
    rows: Sequence[object],
    exclusions: Sequence[tuple[str, int, str, str, str, int]],
) -> None:
    """The organisations' contribution rows become ``rows`` (``OrganisationContribution``s) and
    their exclusions ``(organisation, year, gwp, activity, reason, records)``."""
    for start in range(0, len(organisation_ids), 500):
        chunk = organisation_ids[start : start + 500]
        session.execute(
            delete(RegionalContributionRow).where(RegionalContributionRow.organisation_id.in_(chunk))
        )
        session.execute(delete(RegionalExclusionRow).where(RegionalExclusionRow.organisation_id.in_(chunk)))
    values = [
        {
            "organisation_id": c.organisation_id,  # type: ignore[attr-defined]
            "year": c.year,  # type: ignore[attr-defined]
            "gwp": c.gwp,  # type: ignore[attr-defined]
            "ipcc": c.ipcc,  # type: ignore[attr-defined]
            "gpc": c.gpc,  # type: ignore[attr-defined]
            "gas": c.gas,  # type: ignore[attr-defined]
            "co2e_mg": c.co2e_mg,  # type: ignore[attr-defined]
            "mass_mg": c.mass_mg,  # type: ignore[attr-defined]
            "records": c.records,  # type: ignore[attr-defined]
            "weight": c.weight,  # type: ignore[attr-defined]
        }
        for c in rows
    ]
    insert_contributions(session, values)
    if exclusions:
        session.execute(
            insert(RegionalExclusionRow),
            [
                {"organisation_id": o, "year": y, "gwp": g, "activity": a, "reason": r, "records": n}
                for o, y, g, a, r, n in exclusions
            ],
        )
    session.flush()


def insert_contributions(session: Session, values: Sequence[dict[str, object]]) -> None:
    """Bulk insert of contribution rows given as column dicts (the rebuild and the benchmark)."""
    for start in range(0, len(values), 20_000):
        session.execute(insert(RegionalContributionRow), values[start : start + 20_000])


def contribution_rows(
    session: Session,
    years: Iterable[int] | None = None,
    *,
    organisation_ids: Sequence[str] | None = None,
    gwp: str | None = None,
) -> list[tuple[object, ...]]:
    """Contribution rows as tuples in ``OrganisationContribution`` field order (only ``years``,
    ``organisation_ids``, ``gwp`` when given)."""
    c = RegionalContributionRow
    query = select(
        c.organisation_id, c.year, c.gwp, c.ipcc, c.gpc, c.gas, c.co2e_mg, c.mass_mg, c.records, c.weight
    )
    if years is not None:
        query = query.where(c.year.in_(list(years)))
    if organisation_ids is not None:
        query = query.where(c.organisation_id.in_(list(organisation_ids)))
    if gwp is not None:
        query = query.where(c.gwp == gwp)
    return [tuple(r) for r in session.execute(query)]


class RegionalAtomRow(Base):
    """Every organisation's contributions to one atom summed (one year, one GWP set): what the
    statement's figures are summed from, kept by delta (``contribution.OrganisationContribution``
    fields, without the organisation)."""

    __tablename__ = "regional_atoms"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    gwp: Mapped[str] = mapped_column(String(8), primary_key=True)
    ipcc: Mapped[str] = mapped_column(String(16), primary_key=True)
    gpc: Mapped[str] = mapped_column(String(8), primary_key=True)
    gas: Mapped[str] = mapped_column(String(40), primary_key=True)
    co2e_mg: Mapped[int] = mapped_column(BigInteger)
    mass_mg: Mapped[int] = mapped_column(BigInteger)
    records: Mapped[int] = mapped_column(Integer)
    weight: Mapped[str] = mapped_column(String(40))


def atom_totals(session: Session, year: int) -> list[tuple[object, ...]]:
    """The year's atom totals, in ``OrganisationContribution`` field order with organisation ``""``."""
    a = RegionalAtomRow
    query = select(a.year, a.gwp, a.ipcc, a.gpc, a.gas, a.co2e_mg, a.mass_mg, a.records, a.weight).where(
        a.year == year
    )
    return [("", *r) for r in session.execute(query)]


def add_to_atoms(
    session: Session, deltas: Sequence[tuple[int, str, str, str, str, int, int, int, str]]
) -> None:
    """Add (year, gwp, ipcc, gpc, gas, co2e mg, mass mg, records, weight) to the atom totals; an
    atom no record counts in any more is removed."""
    a = RegionalAtomRow
    for year, gwp, ipcc, gpc, gas, co2e, mass, records, weight in deltas:
        key = (a.year == year, a.gwp == gwp, a.ipcc == ipcc, a.gpc == gpc, a.gas == gas)
        row = session.execute(select(a.co2e_mg, a.mass_mg, a.records, a.weight).where(*key)).first()
        if row is None:
            session.execute(
                insert(a).values(
                    year=year, gwp=gwp, ipcc=ipcc, gpc=gpc, gas=gas,
                    co2e_mg=co2e, mass_mg=mass, records=records, weight=weight,
                )
            )  # fmt: skip
        elif row.records + records == 0:
            session.execute(delete(a).where(*key))
        else:
            session.execute(
                update(a)
                .where(*key)
                .values(
                    co2e_mg=row.co2e_mg + co2e, mass_mg=row.mass_mg + mass, records=row.records + records,
                    weight=weight or row.weight,
                )
            )  # fmt: skip
    session.flush()


def sum_atoms(session: Session) -> None:
    """The atom totals summed again from every contribution (a full rebuild)."""
    c = RegionalContributionRow
    session.execute(delete(RegionalAtomRow))
    summed = select(
        c.year, c.gwp, c.ipcc, c.gpc, c.gas,
        func.sum(c.co2e_mg), func.sum(c.mass_mg), func.sum(c.records), func.max(c.weight),
    ).group_by(c.year, c.gwp, c.ipcc, c.gpc, c.gas)  # fmt: skip
    columns = ["year", "gwp", "ipcc", "gpc", "gas", "co2e_mg", "mass_mg", "records", "weight"]
    session.execute(insert(RegionalAtomRow).from_select(columns, summed))
    session.flush()


class RegionalCellRow(Base):
    """What disclosure control needs of one published cell (one year, one GWP set): how many
    organisations contribute, the sum and the largest contributions (``contribution.CellSummary``;
    ``largest``: JSON ``[[organisation, mg], ...]``)."""

    __tablename__ = "regional_cells"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    gwp: Mapped[str] = mapped_column(String(8), primary_key=True)
    cell: Mapped[str] = mapped_column(String(80), primary_key=True)
    contributors: Mapped[int] = mapped_column(Integer)
    total_mg: Mapped[int] = mapped_column(BigInteger)
    largest: Mapped[str] = mapped_column(Text)


def cell_summary_rows(session: Session, years: Iterable[int]) -> list[RegionalCellRow]:
    return list(session.scalars(select(RegionalCellRow).where(RegionalCellRow.year.in_(list(years)))))


def put_cell_summaries(
    session: Session,
    changed: Sequence[tuple[int, str, str, int, int, str]],
    gone: Sequence[tuple[int, str, str]],
) -> None:
    """Write (year, gwp, cell, contributors, total mg, largest JSON) rows; delete ``gone`` keys."""
    r = RegionalCellRow
    for year, gwp, cell in gone:
        session.execute(delete(r).where(r.year == year, r.gwp == gwp, r.cell == cell))
    for year, gwp, cell, *_ in changed:
        session.execute(delete(r).where(r.year == year, r.gwp == gwp, r.cell == cell))
    if changed:
        session.execute(
            insert(r),
            [
                {"year": y, "gwp": g, "cell": c, "contributors": n, "total_mg": t, "largest": big}
                for y, g, c, n, t, big in changed
            ],
        )
    session.flush()


def replace_cell_summaries(
    session: Session,
    years: Iterable[int] | None,
    gwp: str | None,
    rows: Sequence[tuple[int, str, str, int, int, str]],
) -> None:
    """The summaries of ``years`` (all when ``None``) and ``gwp`` (all when ``None``) become ``rows``."""
    r = RegionalCellRow
    query = delete(r)
    if years is not None:
        query = query.where(r.year.in_(list(years)))
    if gwp is not None:
        query = query.where(r.gwp == gwp)
    session.execute(query)
    if rows:
        session.execute(
            insert(r),
            [
                {"year": y, "gwp": g, "cell": c, "contributors": n, "total_mg": t, "largest": big}
                for y, g, c, n, t, big in rows
            ],
        )
    session.flush()


def contribution_years(session: Session, organisation_id: str | None = None) -> set[int]:
    """Years with a contribution or an exclusion (of ``organisation_id``, or anyone's)."""
    found: set[int] = set()
    for table in (RegionalContributionRow, RegionalExclusionRow):
        query = select(table.year).distinct()
        if organisation_id is not None:
            query = query.where(table.organisation_id == organisation_id)
        found |= {int(y) for y in session.scalars(query)}
    return found


def exclusion_rows(session: Session) -> list[tuple[str, int, str, str, int]]:
    """(gwp, year, activity, reason, records) summed over organisations."""
    x = RegionalExclusionRow
    query = select(x.gwp, x.year, x.activity, x.reason, func.sum(x.records)).group_by(
        x.gwp, x.year, x.activity, x.reason
    )
    return [(str(g), int(y), str(a), str(r), int(n)) for g, y, a, r, n in session.execute(query)]


def count_records(session: Session) -> dict[int, int]:
    """Year -> current records."""
    query = (
        select(ActivityRow.year, func.count())
        .where(ActivityRow.superseded_by.is_(None))
        .group_by(ActivityRow.year)
    )
    return {int(y): int(n) for y, n in session.execute(query)}


def organisation_ids(session: Session) -> list[str]:
    return list(session.scalars(select(OrganisationRow.id).order_by(OrganisationRow.id)))


def rebuild_state(session: Session) -> RegionalRebuildRow | None:
    return session.get(RegionalRebuildRow, 1)


def claim_rebuild(session: Session, owner: str, now: datetime, expired: datetime) -> bool:
    """Claim the one full rebuild: true when no other owner holds it with a heartbeat after
    ``expired`` (a conditional update: two processes cannot both win)."""
    if session.get(RegionalRebuildRow, 1) is None:
        dialect = session.get_bind().dialect.name
        values = {"id": 1, "factors": None}
        if dialect == "postgresql":
            session.execute(postgresql_insert(RegionalRebuildRow).values(**values).on_conflict_do_nothing())
        else:
            session.execute(sqlite_insert(RegionalRebuildRow).values(**values).on_conflict_do_nothing())
    r = RegionalRebuildRow
    claimed = session.execute(
        update(r)
        .where(r.id == 1, or_(r.owner.is_(None), r.heartbeat_at.is_(None), r.heartbeat_at < expired))
        .values(owner=owner, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def heartbeat_rebuild(session: Session, owner: str, now: datetime) -> None:
    r = RegionalRebuildRow
    session.execute(
        update(r)
        .where(r.id == 1, r.owner == owner)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )


def finish_rebuild(session: Session, owner: str, factors: str | None, now: datetime) -> None:
    """Release the rebuild; ``factors``: the digest every contribution now has (``None``: not
    complete)."""
    r = RegionalRebuildRow
    session.execute(
        update(r)
        .where(r.id == 1, r.owner == owner)
        .values(owner=None, heartbeat_at=None, finished_at=now, factors=factors)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def statement_years(session: Session) -> set[int]:
    """Years with a computed contribution (a year with only records that cannot be computed has
    no figures)."""
    return {int(y) for y in session.scalars(select(RegionalContributionRow.year).distinct())}


def statement_regions(session: Session) -> list[str]:
    """Regions with a stored statement."""
    return list(session.scalars(select(RegionalStatementRow.region).distinct()))

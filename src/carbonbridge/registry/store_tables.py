"""The registry's tables (SQLAlchemy ORM classes) and their constraints; ``store.py`` imports and
re-exports them, so Alembic (``platform/migrate.py`` imports ``registry.store``) sees every table.
The guarantees they carry are described in ``store.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from carbonbridge.platform.db import Base
from carbonbridge.platform.types import UtcDateTime


class AccountRow(Base):
    __tablename__ = "registry_accounts"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", name="uq_registry_accounts_org_kind"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ProjectRow(Base):
    __tablename__ = "registry_projects"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    methodology: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(10))
    standard: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ReportRow(Base):
    __tablename__ = "registry_reports"
    __table_args__ = (
        UniqueConstraint("project_id", "period_start", name="uq_registry_reports_period"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    vintage: Mapped[int] = mapped_column(Integer)
    calculation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    opinion: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)


class SerialCounterRow(Base):
    """The next free serial of a project's vintage; advanced under its row lock."""

    __tablename__ = "registry_serial_counters"
    __table_args__ = (CheckConstraint("next_serial >= 1", name="next_positive"),)

    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), primary_key=True)
    vintage: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_serial: Mapped[int] = mapped_column(BigInteger)


class IssuanceRow(Base):
    __tablename__ = "registry_issuances"
    __table_args__ = (
        # an issuance that only converted planned units serialises nothing: its empty range
        # (quantity 0) may share its start with the next issuance, so only ranges are unique
        Index(
            "uq_registry_issuances_start",
            "project_id",
            "vintage",
            "serial_start",
            unique=True,
            sqlite_where=text("quantity > 0"),
            postgresql_where=text("quantity > 0"),
        ),
        CheckConstraint("quantity = serial_end - serial_start + 1", name="quantity_is_range"),
        CheckConstraint("serial_start >= 1", name="start_positive"),
        CheckConstraint("buffer >= 0 AND buffer <= quantity", name="buffer_within"),
        CheckConstraint("converted >= 0 AND quantity + converted >= 1", name="converted_within"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: the verified report issued; ``None`` for an ex-ante issuance of planned units
    report_id: Mapped[str | None] = mapped_column(
        ForeignKey("registry_reports.id"), unique=True, nullable=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"), index=True)
    vintage: Mapped[int] = mapped_column(Integer)
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    #: newly serialised tonnes (``serial_start..serial_end``, buffer included); 0 if the issuance
    #: only converted planned units
    quantity: Mapped[int] = mapped_column(BigInteger)
    buffer: Mapped[int] = mapped_column(BigInteger)
    #: planned (ex-ante) units of this project and vintage converted to held in place: counted as
    #: issued by their ex-ante issuance, never again here (a verified report's tonnes to holders
    #: are ``quantity - buffer + converted``)
    converted: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class BlockRow(Base):
    __tablename__ = "registry_blocks"
    __table_args__ = (
        CheckConstraint("serial_count = serial_end - serial_start + 1", name="count_is_range"),
        CheckConstraint("serial_start >= 1", name="start_positive"),
        Index(
            "uq_registry_blocks_open_start",
            "project_id",
            "vintage",
            "serial_start",
            unique=True,
            sqlite_where=text("closed_by IS NULL"),
            postgresql_where=text("closed_by IS NULL"),
        ),
        Index(
            "uq_registry_blocks_open_end",
            "project_id",
            "vintage",
            "serial_end",
            unique=True,
            sqlite_where=text("closed_by IS NULL"),
            postgresql_where=text("closed_by IS NULL"),
        ),
        # an account's open blocks by project, vintage and serial (every account query is on open
        # blocks); partial, so that an account's closed history (one closed block per past move)
        # is never scanned: migration 0009
        Index(
            "ix_registry_blocks_holding_open",
            "account_id",
            "project_id",
            "vintage",
            "serial_start",
            sqlite_where=text("closed_by IS NULL"),
            postgresql_where=text("closed_by IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("registry_projects.id"))
    vintage: Mapped[int] = mapped_column(Integer)
    serial_start: Mapped[int] = mapped_column(BigInteger)
    serial_end: Mapped[int] = mapped_column(BigInteger)
    serial_count: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(ForeignKey("registry_accounts.id"))
    state: Mapped[str] = mapped_column(String(20))
    opened_by: Mapped[str] = mapped_column(String(40), index=True)
    closed_by: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


class OperationRow(Base):
    __tablename__ = "registry_operations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    project_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_user: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    log_index: Mapped[int] = mapped_column(BigInteger, index=True)


def _table(row_class: type[Base]) -> Table:
    return cast(Table, row_class.__table__)

"""Storage of region-imported factor datasets and the region's pins.

Built-in datasets are package data (immutable with the code version); a dataset a region imports is
stored here, row by row, exactly as parsed. A stored dataset version is never edited: an erratum is
imported as a new version.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKeyConstraint, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.factors.model import Confidence, Dataset, Factor, Parameter
from carbonbridge.platform.db import Base
from carbonbridge.platform.types import ExactDecimal, UtcDateTime


class DatasetRow(Base):
    __tablename__ = "factor_datasets"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    publisher: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(200))
    supersedes: Mapped[str | None] = mapped_column(String(130), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FactorRow(Base):
    __tablename__ = "factor_rows"
    __table_args__ = (
        ForeignKeyConstraint(
            ["dataset_id", "dataset_version"],
            ["factor_datasets.id", "factor_datasets.version"],
            ondelete="CASCADE",
            name="fk_factor_rows_dataset",
        ),
    )

    dataset_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    dataset_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(20))
    activity: Mapped[str] = mapped_column(String(120), index=True)
    gas: Mapped[str | None] = mapped_column(String(40), nullable=True)
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit: Mapped[str] = mapped_column(String(60))
    region: Mapped[str] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    applies_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    applies_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sector: Mapped[str | None] = mapped_column(String(60), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(60), nullable=True)
    source_table: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(20))


class PinRow(Base):
    """The region's pinned datasets, in priority order."""

    __tablename__ = "factor_pins"

    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(130))


def dataset_exists(session: Session, dataset_id: str, version: str) -> bool:
    return session.get(DatasetRow, (dataset_id, version)) is not None


def add_dataset(
    session: Session, dataset: Dataset, factors: list[Factor], *, sha256: str, imported_by: str, at: datetime
) -> None:
    session.add(
        DatasetRow(
            id=dataset.id,
            version=dataset.version,
            publisher=dataset.publisher,
            title=dataset.title,
            year=dataset.year,
            url=dataset.url,
            licence=dataset.licence,
            supersedes=dataset.supersedes,
            notes=dataset.notes,
            sha256=sha256,
            imported_by=imported_by,
            imported_at=at,
        )
    )
    session.flush()
    session.add_all(
        FactorRow(
            dataset_id=dataset.id,
            dataset_version=dataset.version,
            row_id=f.row_id,
            parameter=f.parameter.value,
            activity=f.activity,
            gas=f.gas,
            value=f.value,
            unit=f.unit,
            region=f.region,
            year=f.year,
            applies_from=f.applies[0] if f.applies else None,
            applies_to=f.applies[1] if f.applies else None,
            sector=f.sector,
            variant=f.variant,
            source_table=f.table,
            note=f.note,
            confidence=f.confidence.value,
        )
        for f in factors
    )
    session.flush()


def imported_datasets(session: Session) -> list[tuple[Dataset, list[Factor]]]:
    """Every imported dataset with its factors, in import order."""
    result: list[tuple[Dataset, list[Factor]]] = []
    for d in session.scalars(select(DatasetRow).order_by(DatasetRow.imported_at, DatasetRow.id)):
        dataset = Dataset(
            id=d.id,
            version=d.version,
            publisher=d.publisher,
            title=d.title,
            year=d.year,
            url=d.url,
            licence=d.licence,
            supersedes=d.supersedes,
            notes=d.notes,
        )
        rows = session.scalars(
            select(FactorRow)
            .where(FactorRow.dataset_id == d.id, FactorRow.dataset_version == d.version)
            .order_by(FactorRow.row_id)
        )
        factors = [
            Factor(
                dataset=dataset,
                row_id=r.row_id,
                parameter=Parameter(r.parameter),
                activity=r.activity,
                gas=r.gas,
                value=r.value,
                unit=r.unit,
                region=r.region,
                year=r.year,
                applies=(r.applies_from, r.applies_to)
                if r.applies_from is not None and r.applies_to is not None
                else None,
                sector=r.sector,
                variant=r.variant,
                table=r.source_table,
                note=r.note,
                confidence=Confidence(r.confidence),
            )
            for r in rows
        ]
        result.append((dataset, factors))
    return result


def pins(session: Session) -> tuple[str, ...]:
    return tuple(session.scalars(select(PinRow.dataset).order_by(PinRow.position)))


def set_pins(session: Session, datasets: tuple[str, ...]) -> None:
    session.execute(delete(PinRow))
    session.add_all(PinRow(position=i, dataset=d) for i, d in enumerate(datasets))
    session.flush()

"""REST: the factor library (public read), dataset import and pins (regulator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from carbonbridge.factors import service
from carbonbridge.factors.model import Dataset, Factor, FactorQuery, Parameter, Resolution
from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.bodies import multipart_body, read_uploads
from carbonbridge.platform.deps import AppSettings, CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(prefix="/factors", tags=["factors"], route_class=GuardedRoute)


class DatasetOut(BaseModel):
    ref: str
    id: str
    version: str
    publisher: str
    title: str
    year: int
    url: str
    licence: str
    supersedes: str | None

    @classmethod
    def of(cls, d: Dataset) -> DatasetOut:
        return cls(
            ref=d.ref,
            id=d.id,
            version=d.version,
            publisher=d.publisher,
            title=d.title,
            year=d.year,
            url=d.url,
            licence=d.licence,
            supersedes=d.supersedes,
        )


class FactorOut(BaseModel):
    key: str
    dataset: str
    row_id: str
    parameter: str
    activity: str
    gas: str | None
    value: str
    unit: str
    region: str
    year: int | None
    applies: tuple[int, int] | None
    sector: str | None
    variant: str | None
    table: str
    citation: str
    #: the document this row is read from (its table's chapter or workbook, else the dataset's page)
    source_url: str
    confidence: str

    @classmethod
    def of(cls, f: Factor) -> FactorOut:
        return cls(
            key=f.key,
            dataset=f.dataset.ref,
            row_id=f.row_id,
            parameter=f.parameter.value,
            activity=f.activity,
            gas=f.gas,
            value=str(f.value),
            unit=f.unit,
            region=f.region,
            year=f.year,
            applies=f.applies,
            sector=f.sector,
            variant=f.variant,
            table=f.table,
            citation=f.citation(),
            source_url=f.source_url,
            confidence=f.confidence.value,
        )


class RejectedOut(BaseModel):
    key: str
    reason: str


class ResolutionOut(BaseModel):
    factor: FactorOut
    rule: str
    rejected: list[RejectedOut]
    fallback: str = Field(
        default="",
        description="why a factor for another reporting year stands in (year policy nearest-earlier)",
    )

    @classmethod
    def of(cls, r: Resolution) -> ResolutionOut:
        return cls(
            factor=FactorOut.of(r.factor),
            rule=r.rule,
            rejected=[RejectedOut(key=x.factor.key, reason=x.reason) for x in r.rejected],
            fallback=r.fallback,
        )


class Pins(RequestBody):
    datasets: list[str]


@router.get("", response_model=list[FactorOut])
@public
def search_factors(
    sessions: Sessions,
    q: Annotated[str, Query(max_length=200, description="text in activity, gas, row id, table or note")] = "",
    activity: Annotated[str, Query(max_length=120, description="activity code prefix")] = "",
    dataset: Annotated[str, Query(max_length=130, description="id or id@version")] = "",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[FactorOut]:
    return [
        FactorOut.of(f)
        for f in service.search(sessions, q, activity_prefix=activity, dataset=dataset)[:limit]
    ]


@router.get("/datasets", response_model=list[DatasetOut])
@public
def list_datasets(sessions: Sessions) -> list[DatasetOut]:
    return [DatasetOut.of(d) for d in service.library(sessions).datasets()]


@router.get("/resolve", response_model=ResolutionOut)
@public
def resolve(
    sessions: Sessions,
    parameter: Parameter,
    activity: Annotated[str, Query(min_length=1, max_length=120)],
    gas: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str, Query(max_length=40)] = "*",
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    sector: Annotated[str | None, Query(max_length=60)] = None,
    variant: Annotated[str | None, Query(max_length=60)] = None,
    dataset: Annotated[list[str] | None, Query()] = None,
) -> ResolutionOut:
    """Which factor a calculation with these keys would use, and why the others were not chosen."""
    query = FactorQuery(parameter, activity, gas, region, year, sector, variant, tuple(dataset or ()))
    return ResolutionOut.of(service.explain(service.library(sessions), query))


@router.post(
    "/datasets",
    response_model=DatasetOut,
    status_code=201,
    openapi_extra=multipart_body(manifest="dataset.json", factors="factors.csv"),
)
async def import_dataset(
    request: Request, sessions: Sessions, principal: CurrentPrincipal, settings: AppSettings
) -> DatasetOut:
    """Import a region's own dataset (docs/factor-datasets.md; ``multipart/form-data`` with the
    parts ``manifest`` and ``factors``); errata are new versions. Who may import is checked before
    the files are read."""
    service.check_importer(principal)
    uploads = await read_uploads(request, ("manifest", "factors"), settings.max_upload_bytes)
    texts: list[str] = []
    for name, upload in uploads.items():
        try:
            texts.append(upload.data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InvalidInput(
                f"{name} is not UTF-8", [FieldIssue((name,), upload.filename, "not UTF-8")]
            ) from None
    return DatasetOut.of(service.import_dataset(sessions, principal, texts[0], texts[1]))


@router.put("/pins", response_model=Pins)
def set_pins(sessions: Sessions, principal: CurrentPrincipal, body: Pins) -> Pins:
    """Pin datasets for the region's inventory, in priority order."""
    return Pins(datasets=list(service.pin(sessions, principal, tuple(body.datasets))))

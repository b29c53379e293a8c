"""REST: the methodology catalogue and the stateless calculator (public)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from carbonbridge.kernel.bounds import JsonObject
from carbonbridge.methodologies import service
from carbonbridge.methodologies.model import Methodology
from carbonbridge.platform.deps import Sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(tags=["methodologies"], route_class=GuardedRoute)


class MethodologyOut(BaseModel):
    id: str
    version: str
    ref: str
    kind: str
    title_en: str
    title_zh: str


class MethodologyDetailOut(MethodologyOut):
    example: dict[str, Any]


def _out(m: Methodology) -> MethodologyOut:
    return MethodologyOut(
        id=m.id,
        version=m.version,
        ref=f"{m.id}@{m.version}",
        kind=m.kind.value,
        title_en=m.title_en,
        title_zh=m.title_zh,
    )


@router.get("/methodologies", response_model=list[MethodologyOut])
@public
def list_methodologies() -> list[MethodologyOut]:
    """Every installed methodology (built-in and regional plug-ins)."""
    return [_out(m) for m in service.available()]


@router.get("/methodologies/{ref}", response_model=MethodologyDetailOut)
@public
def get_methodology(ref: str) -> MethodologyDetailOut:
    """One methodology (``id`` or ``id@version``) with its worked-example parameters."""
    m = service.get(ref)
    return MethodologyDetailOut(**_out(m).model_dump(), example=dict(m.example()))


@router.post("/methodologies/{ref}/calculate")
@public
def calculate(sessions: Sessions, ref: str, parameters: Annotated[JsonObject, Body()]) -> dict[str, Any]:
    """Run the calculator on ``parameters`` (the body) with the region's factor library; nothing is
    stored. Returns the calculation: every line with its equation and source, and the plausibility
    flags. Bad parameters are a 422 problem naming each parameter path."""
    return service.calculate_in_region(sessions, ref, parameters).as_dict()

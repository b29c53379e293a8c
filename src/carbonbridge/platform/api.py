"""Platform endpoints: health and the caller's identity."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from carbonbridge.platform import users_api
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(tags=["platform"], route_class=GuardedRoute)
router.include_router(users_api.router)


class Health(BaseModel):
    status: str
    database: str


class Me(BaseModel):
    name: str
    role: str
    organisation_id: str | None


@router.get("/health", response_model=Health)
@public
def health(sessions: Sessions) -> Health:
    with unit_of_work(sessions) as session:
        session.execute(text("SELECT 1"))
        dialect = session.get_bind().dialect.name
    return Health(status="ok", database=dialect)


@router.get("/me", response_model=Me)
@public
def me(principal: CurrentPrincipal) -> Me:
    return Me(name=principal.name, role=principal.role.value, organisation_id=principal.organisation_id)

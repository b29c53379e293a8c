"""FastAPI dependencies: the session factory and the current principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Unauthenticated
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import PUBLIC, Credentials, Principal, authenticate_all
from carbonbridge.platform.settings import Settings

SESSION_COOKIE = "cb_session"


def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def credentials_of(request: Request) -> Credentials | None:
    """The token a request presents, unchecked: ``Authorization: Bearer`` (API) or the session
    cookie (web); ``None`` for no credentials (the public). A malformed header is an error."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        return Credentials(value.strip(), from_header=True)
    cookie = request.cookies.get(SESSION_COOKIE)
    return Credentials(cookie, from_header=False) if cookie else None


def get_principal(request: Request) -> Principal:
    """Bearer token (API) or session cookie (web); no credentials = the public."""
    credentials = credentials_of(request)
    if credentials is None:
        request.state.principal_role = PUBLIC.role.value  # for the request log: the role, never who
        return PUBLIC
    with unit_of_work(get_sessions(request)) as session:
        found = authenticate_all(session, [credentials])[0]
    if isinstance(found, Unauthenticated):
        raise found
    request.state.principal_role = found.role.value
    return found


async def _sessions(request: Request) -> sessionmaker[Session]:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a hop that costs more
    # than this attribute read (half the throughput of a small endpoint, measured)
    return get_sessions(request)


Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _app_settings(request: Request) -> Settings:
    return get_app_settings(request)


AppSettings = Annotated[Settings, Depends(_app_settings)]

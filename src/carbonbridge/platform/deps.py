"""FastAPI dependencies: the session factory and the current principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import Unauthenticated
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import PUBLIC, Principal, authenticate_token
from carbonbridge.platform.settings import Settings

SESSION_COOKIE = "cb_session"


def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def get_principal(request: Request) -> Principal:
    """Bearer token (API) or session cookie (web); no credentials = the public."""
    header = request.headers.get("authorization", "")
    token: str | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <token>'")
        token = value.strip()
    else:
        token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return PUBLIC
    with unit_of_work(get_sessions(request)) as session:
        try:
            return authenticate_token(session, token)
        except Unauthenticated:
            if header:
                raise
            return PUBLIC  # a stale web cookie: treat as logged out


Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]

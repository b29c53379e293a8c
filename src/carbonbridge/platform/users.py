"""User and token administration: list, disable, enable, reset a password; list, issue and revoke
tokens; end a web session. One transaction per use case, for every face (REST, CLI, web).

Administrators do everything; any user may list and revoke their own tokens. A token is named by
its public id (``tok_...``), never by its secret or the secret's digest. Disabling a user stops
every token of theirs at once (the authenticating query checks it, ``platform/identity.py``);
resetting a password also revokes the user's web sessions, so that whoever knew the old one is
logged out. Last use is not recorded: it would add a write to every authenticated request,
including the registry's group-committed moves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import (
    Principal,
    Role,
    TokenKind,
    TokenRow,
    UserRow,
    _token_digest,
    hash_password,
    issue_token,
    revoke_presented,
)

SessionFactory = sessionmaker[Session]

#: administrators' actions, by opaque ids (never a secret, a password or a name)
log = logging.getLogger("carbonbridge.security")

#: every role of a user who logged in or holds a token (all but the public)
_ANY_USER = tuple(r for r in Role if r is not Role.PUBLIC)


@dataclass(frozen=True)
class UserView:
    """A user as an administrator sees them (never the password hash)."""

    id: str
    username: str
    display_name: str
    role: str
    organisation_id: str | None
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class TokenView:
    """A token as its owner or an administrator sees it (never the secret)."""

    id: str
    username: str
    kind: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``live`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "live"


def _utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time (SQLite returns the stored UTC time without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _user_view(row: UserRow) -> UserView:
    disabled = _utc(row.disabled_at) if row.disabled_at else None
    return UserView(
        row.id, row.username, row.display_name, row.role, row.organisation_id, _utc(row.created_at), disabled
    )


def _token_view(row: TokenRow, username: str) -> TokenView:
    revoked = _utc(row.revoked_at) if row.revoked_at else None
    return TokenView(
        row.id, username, row.kind, row.label, _utc(row.created_at), _utc(row.expires_at), revoked
    )


def _user(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise NotFound(f"no user {username!r}")
    return row


def list_users(sessions: SessionFactory, principal: Principal) -> list[UserView]:
    """Every user, by user name (administrators)."""
    principal.require(Role.ADMIN)
    with unit_of_work(sessions) as session:
        return [_user_view(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]


def list_tokens(
    sessions: SessionFactory, principal: Principal, username: str, *, include_ended: bool = False
) -> list[TokenView]:
    """The tokens of ``username``, newest first (the user themself, or an administrator); by
    default only those still live (neither revoked nor expired)."""
    principal.require(*_ANY_USER)
    with unit_of_work(sessions) as session:
        user = _user(session, username)
        if user.id != principal.user_id:
            principal.require(Role.ADMIN)
        query = select(TokenRow).where(TokenRow.user_id == user.id)
        if not include_ended:
            query = query.where(TokenRow.revoked_at.is_(None), TokenRow.expires_at > utc_now())
        rows = session.scalars(query.order_by(TokenRow.created_at.desc(), TokenRow.id.desc()))
        return [_token_view(r, user.username) for r in rows]


def revoke_token(sessions: SessionFactory, principal: Principal, token_id: str) -> TokenView:
    """Revoke the token ``token_id`` (its owner, or an administrator); revoking a revoked token
    changes nothing. Another user's token is 'not found' to a non-administrator."""
    principal.require(*_ANY_USER)
    with unit_of_work(sessions) as session:
        found = session.execute(
            select(TokenRow, UserRow.username)
            .join(UserRow, TokenRow.user_id == UserRow.id)
            .where(TokenRow.id == token_id)
        ).first()
        if found is None or (found[0].user_id != principal.user_id and principal.role is not Role.ADMIN):
            raise NotFound(f"no token {token_id!r} of yours")
        row, username = found
        if row.revoked_at is None:
            row.revoked_at = utc_now()
            session.flush()
            log.info("token %s of user %s revoked by %s", row.id, row.user_id, principal.user_id)
        return _token_view(row, username)


def revoke_all(sessions: SessionFactory, principal: Principal, username: str) -> int:
    """Revoke every live token of ``username`` (administrators); returns how many."""
    principal.require(Role.ADMIN)
    with unit_of_work(sessions) as session:
        user = _user(session, username)
        count = _revoke(session, user.id, None)
        log.info("%d token(s) of user %s revoked by %s", count, user.id, principal.user_id)
        return count


def _revoke(session: Session, user_id: str, kind: TokenKind | None) -> int:
    statement = update(TokenRow).where(TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None))
    if kind is not None:
        statement = statement.where(TokenRow.kind == kind.value)
    return session.connection().execute(statement.values(revoked_at=utc_now())).rowcount


def issue_api_token(
    sessions: SessionFactory, principal: Principal, username: str, label: str, lifetime: timedelta
) -> tuple[str, TokenView]:
    """A new API token for ``username`` (administrators): the secret, shown once, and its view."""
    principal.require(Role.ADMIN)
    with unit_of_work(sessions) as session:
        user = _user(session, username)
        if user.disabled_at is not None:
            raise Conflict(f"user {username!r} is disabled; enable them first")
        secret = issue_token(session, user.id, label, kind=TokenKind.API, lifetime=lifetime)
        row = session.get_one(TokenRow, _token_digest(secret))
        log.info("token %s issued to user %s by %s", row.id, user.id, principal.user_id)
        return secret, _token_view(row, user.username)


def set_disabled(sessions: SessionFactory, principal: Principal, username: str, disabled: bool) -> UserView:
    """Disable ``username`` (every token of theirs stops working at once, and they cannot log in)
    or enable them again (their unexpired, unrevoked tokens work again); administrators. An
    administrator cannot disable themself (nobody might be left to enable them)."""
    principal.require(Role.ADMIN)
    with unit_of_work(sessions) as session:
        user = _user(session, username)
        if disabled and user.id == principal.user_id:
            raise Conflict("you cannot disable yourself; ask another administrator")
        if disabled and user.disabled_at is None:
            user.disabled_at = utc_now()
        elif not disabled:
            user.disabled_at = None
        session.flush()
        log.info("user %s %s by %s", user.id, "disabled" if disabled else "enabled", principal.user_id)
        return _user_view(user)


def reset_password(sessions: SessionFactory, principal: Principal, username: str, password: str) -> UserView:
    """Set ``username``'s password (administrators) and revoke their web sessions."""
    principal.require(Role.ADMIN)
    hashed = hash_password(password)
    with unit_of_work(sessions) as session:
        user = _user(session, username)
        user.password_hash = hashed
        ended = _revoke(session, user.id, TokenKind.SESSION)
        session.flush()
        log.info(
            "password of user %s reset by %s; %d web session(s) ended", user.id, principal.user_id, ended
        )
        return _user_view(user)


def end_session(sessions: SessionFactory, token: str) -> bool:
    """Log out: revoke the token the caller presents (``False`` if it was not live)."""
    with unit_of_work(sessions) as session:
        return revoke_presented(session, token)

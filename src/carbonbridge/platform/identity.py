"""Who is calling: users, roles, API tokens and password login.

Tokens are random 256-bit secrets shown once; only their SHA-256 is stored. Every token expires
(API tokens after days, web sessions after hours: ``Settings``); a token stops working when it is
revoked (logout revokes the session's), when it expires, or when its user is disabled, all checked
by the one query that authenticates (:func:`authenticate_all`). Passwords are hashed with
argon2id. Roles are checked in services (``require``), not only in routers (DESIGN.md). Listing,
revoking and user administration are in ``platform/users.py``. The roles and the caller
(:class:`Role`, :class:`Principal`) live in ``platform/principals.py``, which needs neither the
database nor argon2 (a command's ``--help`` reads the roles; docs/cli.md), and are re-exported here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import (
    Conflict,
    FieldIssue,
    InvalidInput,
    Unauthenticated,
)
from carbonbridge.kernel.ids import new_id
from carbonbridge.platform.db import Base
from carbonbridge.platform.principals import ORGANISATION_ROLES as ORGANISATION_ROLES
from carbonbridge.platform.principals import PUBLIC as PUBLIC
from carbonbridge.platform.principals import Principal as Principal
from carbonbridge.platform.principals import Role as Role
from carbonbridge.platform.types import UtcDateTime


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: when an administrator disabled the user (every token stops working); ``None`` = active
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TokenKind(StrEnum):
    """What a token was issued for: an API client (``api``) or a browser's login (``session``)."""

    API = "api"
    SESSION = "session"


#: how long a token lives unless the installation says otherwise (``Settings``)
API_TOKEN_LIFETIME = timedelta(days=90)
SESSION_LIFETIME = timedelta(hours=12)


class TokenRow(Base):
    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the token's public name (listing, revoking); never the secret nor its digest
    id: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


_hasher = PasswordHasher()


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    display_name: str = "",
    organisation_id: str | None = None,
    password: str | None = None,
) -> str:
    """Create a user; returns its id. Reporters must name their organisation."""
    issues: list[FieldIssue] = []
    if (
        not username
        or len(username) > 80
        or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        issues.append(FieldIssue(("username",), username, "1-80 letters, digits, '-', '_' or '.'"))
    if role in ORGANISATION_ROLES and not organisation_id:
        issues.append(
            FieldIssue(("organisation_id",), organisation_id, f"a {role.value} acts for one organisation")
        )
    if password is not None and len(password) < 10:
        issues.append(FieldIssue(("password",), "***", "at least 10 characters"))
    if issues:
        raise InvalidInput("cannot create user", issues)
    if session.scalar(select(UserRow.id).where(UserRow.username == username)):
        raise Conflict(f"user {username!r} already exists")
    row = UserRow(
        id=new_id("usr"),
        username=username,
        display_name=display_name or username,
        role=role.value,
        organisation_id=organisation_id,
        password_hash=_hasher.hash(password) if password else None,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    return row.id


def issue_token(
    session: Session,
    user_id: str,
    label: str = "api",
    *,
    kind: TokenKind = TokenKind.API,
    lifetime: timedelta | None = None,
) -> str:
    """A new bearer token for ``user_id`` that expires after ``lifetime`` (by default
    :data:`API_TOKEN_LIFETIME` or :data:`SESSION_LIFETIME`); the secret is returned once and
    never stored."""
    if lifetime is None:
        lifetime = SESSION_LIFETIME if kind is TokenKind.SESSION else API_TOKEN_LIFETIME
    if lifetime <= timedelta(0):
        raise InvalidInput(
            "cannot issue token", [FieldIssue(("lifetime",), str(lifetime), "must be positive")]
        )
    token = "cb_" + secrets.token_urlsafe(32)
    now = utc_now()
    session.add(
        TokenRow(
            token_sha256=_token_digest(token),
            id=new_id("tok"),
            user_id=user_id,
            kind=kind.value,
            label=label[:200],
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def revoke_presented(session: Session, token: str) -> bool:
    """Revoke the token a caller presents (logout); ``False`` if it was unknown or already revoked."""
    row = session.get(TokenRow, _token_digest(token))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utc_now()
    session.flush()
    return True


def authenticate_token(session: Session, token: str) -> Principal:
    """The principal a bearer token stands for; :class:`Unauthenticated` if unknown, revoked,
    expired or its user disabled."""
    found = authenticate_all(session, [Credentials(token, from_header=True)])[0]
    if isinstance(found, Unauthenticated):
        raise found
    return found


@dataclass(frozen=True)
class Credentials:
    """A token a request presented, not yet checked: from the ``Authorization: Bearer`` header
    (``from_header``: unknown or revoked is an error) or from the web session cookie (a stale
    cookie means logged out: the public). Checked by :func:`authenticate_all`, e.g. inside the
    transaction of the write it authorises (the registry's group commit)."""

    token: str
    from_header: bool

    def __repr__(self) -> str:  # never print a secret
        return f"Credentials(from_header={self.from_header})"


#: the users of live tokens by digest: not revoked, not expired, user not disabled, all in this one
#: query (the registry's group commit runs it once per batch: no second round trip). Built once: a
#: statement built per call costs a cache key.
_LIVE_TOKENS = (
    select(TokenRow.token_sha256, UserRow.id, UserRow.display_name, UserRow.role, UserRow.organisation_id)
    .join(UserRow, TokenRow.user_id == UserRow.id)
    .where(
        TokenRow.token_sha256.in_(bindparam("digests", expanding=True)),
        TokenRow.revoked_at.is_(None),
        TokenRow.expires_at > bindparam("now"),
        UserRow.disabled_at.is_(None),
    )
)


def authenticate_all(
    session: Session, credentials: Sequence[Credentials]
) -> list[Principal | Unauthenticated]:
    """The principal each of ``credentials`` stands for, in one query: the public for a stale
    cookie, :class:`Unauthenticated` (returned, not raised) for a bearer token that is unknown,
    revoked, expired or whose user is disabled."""
    digests = {c.token: _token_digest(c.token) for c in credentials}
    parameters = {"digests": sorted(set(digests.values())), "now": utc_now()}
    rows = session.connection().execute(_LIVE_TOKENS, parameters).all()
    users = {r[0]: Principal(r[1], r[2], Role(r[3]), r[4]) for r in rows}
    found: list[Principal | Unauthenticated] = []
    for c in credentials:
        user = users.get(digests[c.token])
        if user is not None:
            found.append(user)
        elif c.from_header:
            found.append(Unauthenticated("the token is unknown, revoked or expired, or its user is disabled"))
        else:
            found.append(PUBLIC)
    return found


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (at least 10 characters)."""
    if len(password) < 10:
        raise InvalidInput("password too short", [FieldIssue(("password",), "***", "at least 10 characters")])
    return _hasher.hash(password)


def login(session: Session, username: str, password: str, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """Check a password and issue a session token (the web UI's cookie) that expires after
    ``lifetime``. A disabled user cannot log in; the message does not say which check failed."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or user.password_hash is None:
        _hasher.hash(password)  # as slow as a real check: the answer's timing does not tell who exists
        raise Unauthenticated("unknown user or wrong password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("unknown user or wrong password") from None
    if user.disabled_at is not None:
        raise Unauthenticated("unknown user or wrong password")
    return issue_token(session, user.id, label="web session", kind=TokenKind.SESSION, lifetime=lifetime)

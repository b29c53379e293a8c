"""Who is calling: users, roles, API tokens and password login.

Tokens are random 256-bit secrets shown once; only their SHA-256 is stored. Passwords are hashed
with argon2id. Roles are checked in services (``require``), not only in routers (DESIGN.md).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import (
    Conflict,
    FieldIssue,
    Forbidden,
    InvalidInput,
    Unauthenticated,
)
from carbonbridge.kernel.ids import new_id
from carbonbridge.platform.db import Base


class Role(StrEnum):
    ADMIN = "admin"
    REGULATOR = "regulator"
    REPORTER = "reporter"
    VERIFIER = "verifier"
    DEVELOPER = "developer"
    INVESTOR = "investor"
    VPP_OPERATOR = "vpp_operator"
    WITNESS = "witness"
    PUBLIC = "public"


#: roles that act for one organisation and see only its data
ORGANISATION_ROLES = frozenset({Role.REPORTER, Role.DEVELOPER, Role.VPP_OPERATOR})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (or the anonymous public)."""

    user_id: str | None
    name: str
    role: Role
    organisation_id: str | None = None

    def require(self, *roles: Role) -> None:
        """Raise :class:`Forbidden` (or :class:`Unauthenticated` for the public) unless the caller
        has one of ``roles``; admins pass every check."""
        if self.role == Role.ADMIN or self.role in roles:
            return
        if self.role == Role.PUBLIC:
            raise Unauthenticated("this operation needs a token (Authorization: Bearer ...)")
        wanted = ", ".join(r.value for r in roles)
        raise Forbidden(f"role {self.role.value!r} may not do this; needs one of: {wanted}")

    def require_organisation(self, organisation_id: str) -> None:
        """Organisation scoping: reporters (and developers, VPP operators) act only for their own."""
        if self.role in ORGANISATION_ROLES and self.organisation_id != organisation_id:
            raise Forbidden(
                f"{self.role.value} of organisation {self.organisation_id!r} "
                f"may not access organisation {organisation_id!r}"
            )

    def can_see_all_organisations(self) -> bool:
        return self.role in {Role.ADMIN, Role.REGULATOR, Role.VERIFIER}


PUBLIC = Principal(user_id=None, name="public", role=Role.PUBLIC)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


def issue_token(session: Session, user_id: str, label: str = "api") -> str:
    """A new bearer token for ``user_id``; the secret is returned once and never stored."""
    token = "cb_" + secrets.token_urlsafe(32)
    session.add(
        TokenRow(token_sha256=_token_digest(token), user_id=user_id, label=label, created_at=utc_now())
    )
    session.flush()
    return token


def authenticate_token(session: Session, token: str) -> Principal:
    """The principal a bearer token stands for; :class:`Unauthenticated` if unknown or revoked."""
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


#: the users of live tokens by digest (built once: a statement built per call costs a cache key)
_LIVE_TOKENS = (
    select(TokenRow.token_sha256, UserRow.id, UserRow.display_name, UserRow.role, UserRow.organisation_id)
    .join(UserRow, TokenRow.user_id == UserRow.id)
    .where(TokenRow.token_sha256.in_(bindparam("digests", expanding=True)), TokenRow.revoked_at.is_(None))
)


def authenticate_all(
    session: Session, credentials: Sequence[Credentials]
) -> list[Principal | Unauthenticated]:
    """The principal each of ``credentials`` stands for, in one query: the public for a stale
    cookie, :class:`Unauthenticated` (returned, not raised) for an unknown or revoked bearer token."""
    digests = {c.token: _token_digest(c.token) for c in credentials}
    rows = session.connection().execute(_LIVE_TOKENS, {"digests": sorted(set(digests.values()))}).all()
    users = {r[0]: Principal(r[1], r[2], Role(r[3]), r[4]) for r in rows}
    found: list[Principal | Unauthenticated] = []
    for c in credentials:
        user = users.get(digests[c.token])
        if user is not None:
            found.append(user)
        elif c.from_header:
            found.append(Unauthenticated("the token is unknown or revoked"))
        else:
            found.append(PUBLIC)
    return found


def login(session: Session, username: str, password: str) -> str:
    """Check a password and issue a session token (the web UI's cookie)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or user.password_hash is None:
        raise Unauthenticated("unknown user or wrong password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("unknown user or wrong password") from None
    return issue_token(session, user.id, label="web session")

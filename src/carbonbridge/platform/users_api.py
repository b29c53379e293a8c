"""REST: users and tokens (administrators; any user lists and revokes their own tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.kernel.clock import utc_now
from carbonbridge.platform import users
from carbonbridge.platform.deps import CurrentPrincipal, Sessions
from carbonbridge.platform.guard import GuardedRoute

router = APIRouter(tags=["users"], route_class=GuardedRoute)

Username = Annotated[str, Path(min_length=1, max_length=80)]
TokenId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    organisation_id: str | None
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, u: users.UserView) -> UserOut:
        return cls(**u.__dict__)


class TokenOut(BaseModel):
    """A token without its secret: ``state`` is ``live``, ``expired`` or ``revoked``."""

    id: str
    username: str
    kind: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: str

    @classmethod
    def of(cls, t: users.TokenView) -> TokenOut:
        return cls(**t.__dict__, state=t.state(utc_now()))


class PasswordIn(RequestBody):
    password: str = Field(min_length=10, max_length=1024, description="the new password (10+ characters)")


@router.get("/users", response_model=list[UserOut])
def list_users(sessions: Sessions, principal: CurrentPrincipal) -> list[UserOut]:
    """Every user (administrators)."""
    return [UserOut.of(u) for u in users.list_users(sessions, principal)]


@router.get("/users/{username}/tokens", response_model=list[TokenOut])
def list_tokens(
    sessions: Sessions, principal: CurrentPrincipal, username: Username, include_ended: bool = False
) -> list[TokenOut]:
    """A user's tokens, newest first, without secrets (the user, or an administrator);
    ``include_ended`` adds the revoked and expired ones."""
    found = users.list_tokens(sessions, principal, username, include_ended=include_ended)
    return [TokenOut.of(t) for t in found]


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def revoke_token(sessions: Sessions, principal: CurrentPrincipal, token_id: TokenId) -> TokenOut:
    """Revoke a token now (its owner, or an administrator): it stops working at once."""
    return TokenOut.of(users.revoke_token(sessions, principal, token_id))


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_user(sessions: Sessions, principal: CurrentPrincipal, username: Username) -> UserOut:
    """Disable a user (administrators): every token of theirs stops working, and they cannot log in."""
    return UserOut.of(users.set_disabled(sessions, principal, username, disabled=True))


@router.post("/users/{username}/enable", response_model=UserOut)
def enable_user(sessions: Sessions, principal: CurrentPrincipal, username: Username) -> UserOut:
    """Enable a disabled user again (administrators): their live tokens work again."""
    return UserOut.of(users.set_disabled(sessions, principal, username, disabled=False))


@router.post("/users/{username}/password", response_model=UserOut)
def reset_password(
    sessions: Sessions, principal: CurrentPrincipal, username: Username, body: PasswordIn
) -> UserOut:
    """Set a user's password (administrators); their web sessions are revoked."""
    return UserOut.of(users.reset_password(sessions, principal, username, body.password))

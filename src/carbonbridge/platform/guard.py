"""Who may send a body: an operation's token check and body cap, before FastAPI reads the body.

FastAPI reads and parses a request's body, and validates its parameters, before it resolves the
operation's dependencies; a token checked by a dependency or by the service is checked after all
that. So an anonymous caller got 422 for a malformed body, and a 1 GB upload was read in full
before its 401. :class:`GuardedRoute`, the ``route_class`` of every API router, runs first:

1. an operation that is not marked :func:`public` needs credentials (a bearer token or the web
   session cookie): a request that presents none gets 401 before its body or parameters are read;
2. the body is capped at ``Settings.max_upload_bytes`` (``platform/bodies.py``): 413 as soon as it
   passes the cap, the rest unread.

Nothing here touches the database: whether a token is live, and what its role may do, is checked
by the operation as before (the registry's moves check their tokens in the group commit's own
transaction). Operations are protected unless marked public, so a new operation needs a token
until someone decides otherwise (``tests/platform/test_guard.py`` walks every operation).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from carbonbridge.kernel.errors import Unauthenticated
from carbonbridge.platform.bodies import OverCap, capped
from carbonbridge.platform.deps import credentials_of, get_app_settings

_PUBLIC = "__carbonbridge_public__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def public(endpoint: Endpoint) -> Endpoint:
    """Mark an operation anyone may call without a token (health, public reads, calculators).
    Put it under the router's decorator: ``@router.get(...)`` then ``@public``."""
    setattr(endpoint, _PUBLIC, True)
    return endpoint


def is_public(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, _PUBLIC, False))


def require_credentials(request: Request) -> None:
    """:class:`Unauthenticated` unless ``request`` presents a token (not yet checked)."""
    if credentials_of(request) is None:
        raise Unauthenticated("this operation needs a token (Authorization: Bearer ...)")


class GuardedRoute(APIRoute):
    """An API operation whose caller must present a token (unless :func:`public`) and whose body
    is capped, both before FastAPI reads the body or validates a parameter."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        open_to_all = is_public(self.endpoint)

        async def guarded(request: Request) -> Response:
            if not open_to_all:
                require_credentials(request)
            try:
                return await handler(capped(request, get_app_settings(request).max_upload_bytes))
            except OverCap as exc:
                raise exc.error() from None

        return guarded

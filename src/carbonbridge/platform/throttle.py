"""Login throttling: attempts per user name and per client address, counted with ``limits``.

Every attempt counts against both limits *before* the password is checked, so a burst of parallel
guesses cannot slip past a check-then-count window, and a refused attempt costs no argon2 work; a
successful login starts its user name's count again (the address's count keeps every attempt).
The windows move (``limits``' moving-window strategy: no double burst at a fixed window's edge).
The defaults (``Settings.login_limit_per_user`` = 5 a minute and 30 an hour per user name,
``login_limit_per_address`` = 30 a minute and 500 a day per address) leave a person who mistypes
room to retry and an office behind one NAT address room to log in, while a guesser gets a few
hundred tries a day instead of millions. A refusal is :class:`TooManyRequests`, which says in how
many seconds the next attempt is accepted (``Retry-After``).

Counts live in ``Settings.throttle_storage``: ``memory://`` counts per process (one server
process: the default); several workers (``serve --workers N``) or machines must share a store,
e.g. ``redis://host:6379`` (``limits`` then needs the ``redis`` client package), or each worker
would allow the limits again. ``limits`` was chosen over a hand-written counter for its tested
window strategies and storage back-ends.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import DependencyUnavailable, TooManyRequests
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import login
from carbonbridge.platform.settings import Settings

#: refusals, without the user name or the address (personal data)
log = logging.getLogger("carbonbridge.security")

#: a user name longer than any user's is counted by its first characters (no unbounded keys)
_KEY_LENGTH = 80


@dataclass
class LoginThrottle:
    """Counts login attempts per user name and per address; refuses past a limit."""

    per_user: list[RateLimitItem]
    per_address: list[RateLimitItem]
    limiter: MovingWindowRateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(
            parse_many(settings.login_limit_per_user),
            parse_many(settings.login_limit_per_address),
            MovingWindowRateLimiter(storage_from_string(settings.throttle_storage, wrap_exceptions=True)),
        )

    def attempt(self, username: str, address: str) -> None:
        """Count one attempt by ``username`` from ``address``; :class:`TooManyRequests` if either
        has used up a limit (the attempt is then not counted)."""
        checks = [(item, "address", ("login-address", address)) for item in self.per_address]
        checks += [(item, "user", ("login-user", username[:_KEY_LENGTH])) for item in self.per_user]
        try:
            for item, who, key in checks:
                if not self.limiter.hit(item, *key):
                    wait = self.limiter.get_window_stats(item, *key).reset_time - time.time()
                    seconds = max(1, math.ceil(wait))
                    log.warning("login attempt refused: the %s limit %s is used up", who, item)
                    raise TooManyRequests(
                        f"too many login attempts for this {who} ({item}); try again in {seconds} s",
                        retry_after=seconds,
                    )
        except StorageError as exc:
            raise DependencyUnavailable(f"the login throttle's storage failed: {exc.storage_error}") from exc

    def succeeded(self, username: str) -> None:
        """A login of ``username`` succeeded: its count starts again (so a person who logs in
        often is never refused), while the address's count keeps every attempt (so one valid
        account cannot be used to reset the count of guesses at the others)."""
        try:
            for item in self.per_user:
                self.limiter.clear(item, "login-user", username[:_KEY_LENGTH])
        except StorageError as exc:
            raise DependencyUnavailable(f"the login throttle's storage failed: {exc.storage_error}") from exc


_CREATING = threading.Lock()


def of(app: Any) -> LoginThrottle:
    """The app's login throttle, made from its settings on first use."""
    throttle: LoginThrottle | None = getattr(app.state, "login_throttle", None)
    if throttle is None:
        with _CREATING:
            throttle = getattr(app.state, "login_throttle", None)
            if throttle is None:
                throttle = LoginThrottle.from_settings(app.state.settings)
                app.state.login_throttle = throttle
    return throttle


def sign_in(
    throttle: LoginThrottle,
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    address: str,
    lifetime: timedelta,
) -> str:
    """Password login, throttled: the attempt is counted first (:class:`TooManyRequests`), then
    the password checked (:class:`Unauthenticated`); returns the new session token."""
    throttle.attempt(username, address)
    with unit_of_work(sessions) as session:
        token = login(session, username, password, lifetime)
    throttle.succeeded(username)
    return token

"""Group commit for single transfers, retirements and cancellations (issue 4): the requests of many
concurrent callers are written by one thread, a batch at a time, in ONE transaction with one
``append_events`` call, and each caller is answered with its own receipt once that transaction
has committed (acknowledged only once durable).

Each request runs in its own SAVEPOINT (SQL:2016 ``SAVEPOINT`` / ``ROLLBACK TO SAVEPOINT``, as on
SQLite and PostgreSQL): a request refused with a :class:`CarbonbridgeError` (insufficient units,
forbidden, invalid) rolls back only its savepoint and gets that error, as it would have alone;
the requests after it see exactly the state the requests before it left. The successful ones are
then logged (one entry and receipt each, as :func:`movements.retire` logs them), the operations
stored, and the transaction committed. If anything else fails (the log append, the commit, a
database error), the whole transaction rolls back and every caller of the batch gets the error:
nothing of it is stored.

No in-process state outlives a rolled-back savepoint: the batch reads accounts, projects and
holdings once (:class:`~carbonbridge.registry.movements.UnitMover`, as a batch of
:func:`movements.apply_batch` does); a move writes no account or project, and the holdings a
refused request changed are restored to what they were before it (``snapshot``/``restore``;
``tests/registry/test_coalescer.py`` refuses a request after its blocks were written and checks
the next one sees its units). The registry keeps no cache across transactions, and the log is
appended only after every savepoint has been settled (the ledger's pending hashes live in that
one append; its tile cache only ever holds full tiles read from committed state).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.clock import Clock, utc_now
from carbonbridge.kernel.errors import CarbonbridgeError, DependencyUnavailable
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry.model import Receipt
from carbonbridge.registry.movements import UnitMover
from carbonbridge.registry.writes import PendingOperation, UnitRequest, log_steps, store_blocks

#: who may move units at all (each source account's holder is checked per request)
_MOVERS = (Role.DEVELOPER, Role.REPORTER, Role.REGULATOR)


@dataclass
class _Ticket:
    principal: Principal
    request: UnitRequest
    future: Future[Receipt] = field(default_factory=Future)


class Coalescer:
    """One writer thread committing queued unit requests in batches of up to ``max_batch``.

    :meth:`submit` blocks until the caller's request is committed (or refused);
    :meth:`submit_async` awaits the same from an event loop; :meth:`shutdown` drains the queue
    and stops the writer."""

    def __init__(
        self, sessions: sessionmaker[Session], *, max_batch: int = 64, clock: Clock = utc_now
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._sessions = sessions
        self._max_batch = max_batch
        self._clock = clock
        self._queue: list[_Ticket] = []
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="registry-coalescer", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def submit_future(self, principal: Principal, request: UnitRequest) -> Future[Receipt]:
        """Queue a request; the future resolves to its receipt after the commit, or to its error."""
        ticket = _Ticket(principal, request)
        with self._ready:
            if self._closed:
                raise DependencyUnavailable("the registry is shutting down; retry the request")
            self._queue.append(ticket)
            self._ready.notify()
        return ticket.future

    def submit(self, principal: Principal, request: UnitRequest) -> Receipt:
        """Write one transfer, retirement or cancellation; returns its receipt once committed."""
        return self.submit_future(principal, request).result()

    async def submit_async(self, principal: Principal, request: UnitRequest) -> Receipt:
        """:meth:`submit` for an event loop (does not block the loop while waiting)."""
        return await asyncio.wrap_future(self.submit_future(principal, request))

    def shutdown(self, timeout: float | None = None) -> None:
        """Refuse new requests, write every queued one, then stop the writer thread."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # --- the writer -----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return  # closed and drained
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            live = [t for t in batch if t.future.set_running_or_notify_cancel()]
            try:
                self._write(live)
            except BaseException as exc:  # never let the writer die with callers waiting
                for t in live:
                    if not t.future.done():
                        t.future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise

    def _write(self, batch: Sequence[_Ticket]) -> None:
        if not batch:
            return
        try:
            outcomes = commit_batch(self._sessions, [(t.principal, t.request) for t in batch], self._clock)
        except Exception as failure:
            for ticket in batch:
                ticket.future.set_exception(failure)
            return
        for ticket, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Receipt):
                ticket.future.set_result(outcome)
            else:
                ticket.future.set_exception(outcome)


def commit_batch(
    sessions: sessionmaker[Session],
    requests: Sequence[tuple[Principal, UnitRequest]],
    clock: Clock = utc_now,
) -> list[Receipt | CarbonbridgeError]:
    """Write ``requests`` (each by its principal) in arrival order in ONE transaction, each in its
    own savepoint; log the successful ones in one ``append_events`` call (one entry and receipt
    each) and commit. Returns, per request, its receipt or the :class:`CarbonbridgeError` that
    refused it (its savepoint rolled back, nothing of it stored). Any other failure, or a failed
    commit, raises: then nothing of the batch is stored."""
    if not requests:
        return []
    outcomes: list[Receipt | CarbonbridgeError | None] = [None] * len(requests)
    moved: list[tuple[int, Principal, PendingOperation]] = []
    with unit_of_work(sessions) as session:
        # every source account first, sorted (UnitMover locks them): it serialises this batch
        # against other writers, and its UPDATE opens the transaction, so that on SQLite (pysqlite
        # emits BEGIN only before DML) the savepoints below nest in it instead of each starting
        # and, on RELEASE, committing a transaction of its own
        mover = UnitMover(session, clock, {r.units.account_id for _, r in requests})
        mover.read([r for _, r in requests])
        for n, (principal, request) in enumerate(requests):
            saved = mover.snapshot()
            try:
                with session.begin_nested():
                    principal.require(*_MOVERS)
                    step = mover.move(principal, request)
                    store_blocks(session, [step])
            except CarbonbridgeError as exc:
                mover.restore(saved)  # the holdings as they were before this request
                outcomes[n] = exc
                continue
            moved.append((n, principal, step))
        receipts = log_steps(session, [p for _, p, _ in moved], [s for _, _, s in moved])
    for (n, _, _), receipt in zip(moved, receipts, strict=True):
        outcomes[n] = receipt
    return [o for o in outcomes if o is not None]


_coalescers: dict[sessionmaker[Session], Coalescer] = {}
_coalescers_lock = threading.Lock()


def coalescer_for(sessions: sessionmaker[Session]) -> Coalescer:
    """The process's coalescer for a session factory (created on first use, or again after a
    shutdown)."""
    with _coalescers_lock:
        found = _coalescers.get(sessions)
        if found is None or found.closed:
            found = _coalescers[sessions] = Coalescer(sessions)
        return found


def submit_future(
    sessions: sessionmaker[Session], principal: Principal, request: UnitRequest
) -> Future[Receipt]:
    """Queue a request on the process's coalescer for ``sessions`` (a coalescer shut down between
    the look-up and the enqueue, e.g. by another app's shutdown in the same process, is replaced)."""
    for _ in range(3):
        found = coalescer_for(sessions)
        try:
            return found.submit_future(principal, request)
        except DependencyUnavailable:
            if not found.closed:
                raise
    raise DependencyUnavailable("the registry is shutting down; retry the request")


async def submit_async(
    sessions: sessionmaker[Session], principal: Principal, request: UnitRequest
) -> Receipt:
    """:func:`submit_future`, awaited from an event loop (the API's write path)."""
    return await asyncio.wrap_future(submit_future(sessions, principal, request))


def shutdown_all(timeout: float | None = None) -> None:
    """Drain and stop every coalescer of the process (app shutdown)."""
    with _coalescers_lock:
        found = list(_coalescers.values())
        _coalescers.clear()
    for c in found:
        c.shutdown(timeout)

"""Group commit (issue 4): the requests of many concurrent callers are written by one thread, a
batch at a time, each caller answered with its own outcome once its batch's transaction has
committed (acknowledged only once durable). How the requests are written is not this module's
business: :class:`Coalescer` takes the function that writes a batch (for unit movements,
:func:`carbonbridge.registry.units.service.commit_batch`, the same decision and write code the
synchronous use cases run on a batch of one). This is the service's performance device, behind
its functions (``retire_async`` and the others), never beside them (issue 11 §3).

:func:`write_split` is the isolation rule a batch writer follows (issue 9): a failure before the
commit that one request may have caused is retried on the two halves of the batch, recursively,
until the failing request is alone, so one request never fails another's.

Generic and pure: threads, futures and event loops only; no database, no registry rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from carbonbridge.kernel.errors import DependencyUnavailable

C = TypeVar("C")  # who asks
Q = TypeVar("Q")  # what is asked
R = TypeVar("R")  # the answer to one request (its receipt)

#: writes a batch of ``(caller, request)`` in arrival order; per request its answer or the error
#: that refused it; raises if the whole batch failed (every caller then gets that error)
BatchWriter = Callable[[Sequence[tuple[C, Q]]], Sequence[R | Exception]]


@dataclass
class _Ticket(Generic[C, Q, R]):
    """A queued request and how its caller is answered: a thread's :class:`Future`, or an event
    loop's future (``waiter``, resolved on its ``loop``: no thread, lock or condition per request)."""

    caller: C
    request: Q
    future: Future[R] | None = None
    waiter: asyncio.Future[R] | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def live(self) -> bool:
        """False if the caller has gone (cancelled) before the writer took the request: it is not
        written. Once taken, a request is written whatever its caller does."""
        if self.waiter is not None:
            return not self.waiter.cancelled()
        assert self.future is not None
        return self.future.set_running_or_notify_cancel()

    def settle(self, outcome: R | BaseException) -> None:
        if self.waiter is not None:
            assert self.loop is not None
            # a closed loop (RuntimeError) has nobody waiting any more
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_resolve, self.waiter, outcome)
            return
        assert self.future is not None
        if self.future.done():
            return
        if isinstance(outcome, BaseException):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


def _resolve(waiter: asyncio.Future[R], outcome: R | BaseException) -> None:
    """On the waiter's loop: answer it (unless its caller has gone)."""
    if waiter.done():
        return
    if isinstance(outcome, BaseException):
        waiter.set_exception(outcome)
    else:
        waiter.set_result(outcome)


class Coalescer(Generic[C, Q, R]):
    """One writer thread writing queued requests with ``write``, in batches of up to ``max_batch``.

    :meth:`submit` blocks until the caller's request is committed (or refused);
    :meth:`submit_async` awaits the same from an event loop; :meth:`shutdown` drains the queue
    and stops the writer."""

    def __init__(self, write: BatchWriter[C, Q, R], *, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write_batch = write
        self._max_batch = max_batch
        self._queue: list[_Ticket[C, Q, R]] = []
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="registry-coalescer", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def _enqueue(self, ticket: _Ticket[C, Q, R]) -> None:
        with self._ready:
            if self._closed:
                raise DependencyUnavailable("the registry is shutting down; retry the request")
            self._queue.append(ticket)
            self._ready.notify()

    def submit_future(self, caller: C, request: Q) -> Future[R]:
        """Queue a request; the future resolves to its answer after the commit, or to its error."""
        future: Future[R] = Future()
        self._enqueue(_Ticket(caller, request, future=future))
        return future

    def submit(self, caller: C, request: Q) -> R:
        """Write one request; returns its answer once committed."""
        return self.submit_future(caller, request).result()

    async def submit_async(self, caller: C, request: Q) -> R:
        """:meth:`submit` for an event loop (does not block the loop while waiting)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[R] = loop.create_future()
        self._enqueue(_Ticket(caller, request, waiter=waiter, loop=loop))
        return await waiter

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
            live = [t for t in batch if t.live()]
            try:
                self._write(live)
            except BaseException as exc:  # never let the writer die with callers waiting
                for t in live:
                    t.settle(exc)
                if not isinstance(exc, Exception):
                    raise

    def _write(self, batch: Sequence[_Ticket[C, Q, R]]) -> None:
        if not batch:
            return
        try:
            outcomes = self._write_batch([(t.caller, t.request) for t in batch])
        except Exception as failure:
            for ticket in batch:
                ticket.settle(failure)
            return
        for ticket, outcome in zip(batch, outcomes, strict=True):
            ticket.settle(outcome)


class Coalescers(Generic[C, Q, R]):
    """The process's coalescers, one per key (a session factory), each made by ``make`` on first
    use, or again after a shutdown (e.g. another app of the process shut down)."""

    def __init__(self, make: Callable[[Hashable], Coalescer[C, Q, R]]) -> None:
        self._make = make
        self._found: dict[Hashable, Coalescer[C, Q, R]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Coalescer[C, Q, R]:
        with self._lock:
            found = self._found.get(key)
            if found is None or found.closed:
                found = self._found[key] = self._make(key)
            return found

    def submit_future(self, key: Hashable, caller: C, request: Q) -> Future[R]:
        """Queue a request on ``key``'s coalescer (one shut down between the look-up and the
        enqueue, e.g. by another app's shutdown in the same process, is replaced)."""
        for _ in range(3):
            found = self.get(key)
            try:
                return found.submit_future(caller, request)
            except DependencyUnavailable:
                if not found.closed:
                    raise
        raise DependencyUnavailable("the registry is shutting down; retry the request")

    async def submit_async(self, key: Hashable, caller: C, request: Q) -> R:
        """Queue a request on ``key``'s coalescer and await its answer."""
        for _ in range(3):
            found = self.get(key)
            try:
                return await found.submit_async(caller, request)
            except DependencyUnavailable:
                if not found.closed:
                    raise
        raise DependencyUnavailable("the registry is shutting down; retry the request")

    def shutdown_all(self, timeout: float | None = None) -> None:
        """Drain and stop every coalescer (app shutdown)."""
        with self._lock:
            found = list(self._found.values())
            self._found.clear()
        for c in found:
            c.shutdown(timeout)


class FailedBeforeCommit(Exception):
    """A batch's transaction failed (and rolled back) before its commit: nothing of it is stored,
    so its requests may be written again."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def write_split(
    write_once: Callable[[Sequence[tuple[C, Q]]], list[R | Exception]],
    requests: Sequence[tuple[C, Q]],
) -> list[R | Exception]:
    """Write ``requests`` with ``write_once`` (one transaction); if it raises
    :class:`FailedBeforeCommit` (nothing stored), write the two halves of the batch in turn, each
    the same way, recursively, until the failing request is alone: only it gets the error (as its
    outcome), every other request is written exactly once. One failing request among ``n`` costs
    about ``2 log2(n)`` more transactions. Any other exception propagates (a failure that is no
    request's doing, or one in the commit itself, whose outcome is unknown)."""
    if not requests:
        return []
    try:
        return write_once(requests)
    except FailedBeforeCommit as failed:
        if len(requests) == 1:
            return [failed.cause]
        half = len(requests) // 2
        return write_split(write_once, requests[:half]) + write_split(write_once, requests[half:])

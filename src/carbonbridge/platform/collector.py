"""The process's cyclic garbage collector: paused around bulk work (here), tuned for serving
(``platform.app.prepare_for_serving``).

A batch that builds many objects which all stay alive until it ends (a registry batch of 10,000
transfers and retirements holds its blocks, operations, log entries and receipts until the
commit) makes the collector promote them and then walk the whole, growing heap again and again:
full collections triggered by the growth itself, with nothing to collect. Reference counting
still frees every object that is dropped; only reference cycles wait for the collector, and they
are collected as soon as it runs again. Measured on ``benchmarks/bench_registry.py`` (this
machine, 100,000 operations, batches of 1,000 and 10,000): 8,500–9,100 operations/s with the
collector running, 12,760–12,840 with it paused around each batch.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # how many bulk_work blocks are running (in any thread)
_was_enabled = False


@contextmanager
def bulk_work() -> Iterator[None]:
    """Pause the cyclic collector while the block runs (reference counting goes on); it resumes
    when the last concurrent block ends, and only if it was enabled before the first began."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()

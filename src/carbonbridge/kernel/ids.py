"""Identifiers: opaque, URL-safe, time-ordered."""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    """A sortable unique id: ``prefix_`` + 12 hex digits of milliseconds + 10 random hex digits."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{os.urandom(5).hex()}"

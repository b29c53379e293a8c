"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for events and commitments.

Decimals are serialised as strings so that no quantity ever passes through a binary float.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import rfc8785


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: object) -> bytes:
    """RFC 8785 bytes of ``value`` (Decimals as strings, datetimes as ISO 8601)."""
    return bytes(rfc8785.dumps(_plain(value)))  # type: ignore[arg-type]


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()

"""Domain types of the regional ETS: an allocation of allowances and a compliance surrender, as
stored (``compliance/store.py``) and logged (``compliance/service.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Allocation:
    """Allowances (whole tonnes) allocated to a covered entity for a compliance period."""

    id: str
    organisation_id: str
    period: int
    quantity: int
    basis: str
    at: datetime
    actor_name: str
    log_index: int


@dataclass(frozen=True)
class Surrender:
    """One compliance surrender: allowances and offsets (credits retired for compliance by the
    registry operations ``retirement_operations``) against the verified emissions of
    ``statement_id``; ``offset_share`` is the decimal share of offsets, as text."""

    id: str
    organisation_id: str
    period: int
    allowances: int
    offsets: int
    obligation: int
    offset_share: str
    statement_id: str
    retirement_operations: tuple[str, ...]
    at: datetime
    actor_name: str
    log_index: int

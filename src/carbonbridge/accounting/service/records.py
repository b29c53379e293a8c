"""An organisation's stored activity records, paged: the ids ``explain`` takes, on every surface
(``carbonbridge records list``, ``GET /api/v1/organisations/{id}/records``).

Scoped like the organisation's inventory: the regulator, verifiers and administrators see every
organisation, a reporter its own, the public none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carbonbridge.accounting import store
from carbonbridge.accounting.model import ActivityRecord
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

if TYPE_CHECKING:
    from carbonbridge.accounting.service import SessionFactory

__all__ = ["MAX_LIMIT", "RecordPage", "StoredRecord", "list_records"]

#: the most records one page holds
MAX_LIMIT = 1000


@dataclass(frozen=True)
class StoredRecord:
    record: ActivityRecord
    submission_id: str


@dataclass(frozen=True)
class RecordPage:
    organisation_id: str
    year: int | None
    total: int
    limit: int
    offset: int
    records: tuple[StoredRecord, ...]


def list_records(
    sessions: SessionFactory,
    principal: Principal,
    organisation_id: str,
    *,
    year: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RecordPage:
    """One page of ``organisation_id``'s current records (those no correction replaced)."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    issues = []
    if not 1 <= limit <= MAX_LIMIT:
        issues.append(FieldIssue(("limit",), limit, f"between 1 and {MAX_LIMIT}"))
    if offset < 0:
        issues.append(FieldIssue(("offset",), offset, "0 or more"))
    if year is not None and not 1990 <= year <= 2100:
        issues.append(FieldIssue(("year",), year, "a year between 1990 and 2100"))
    if issues:
        raise InvalidInput("invalid page of records", issues)
    with unit_of_work(sessions) as session:
        if store.get_organisation(session, organisation_id) is None:
            raise NotFound(f"organisation {organisation_id} does not exist")
        total, found = store.records_page(session, organisation_id, year, limit, offset)
    rows = tuple(StoredRecord(r, s) for r, s in found)
    return RecordPage(organisation_id, year, total, limit, offset, rows)

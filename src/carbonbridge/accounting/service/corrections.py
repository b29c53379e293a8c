"""Corrections without losing history: replacement submissions and their history.

A reporter corrects data by submitting a **replacement** of an earlier submission (the upload with
``replaces``, through the one write path ``service.submit_upload`` / ``submit_rows``). Both stay:
the replaced submission and its records are kept and marked superseded, the replacement is a new
private log entry that names the replaced submission's entry and commitment
(``events.replaced_entry``), and inventories use the latest version. A replacement is refused when
the replaced submission was already replaced (replace the latest version), belongs to another
organisation, or holds data of a finalised year; the replacement's own rows pass every intake
rule. Reopening a finalised year is in :mod:`carbonbridge.accounting.service.statements`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import store
from carbonbridge.accounting.errors import SubmissionReplaced
from carbonbridge.kernel.errors import FieldIssue, NotFound
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.identity import Principal, Role

#: Where a finalised year's data can change again (docs/accounting.md, Corrections).
REOPEN_HINT = (
    "To change it, the regulator reopens the year with a written reason (organisation page, "
    "POST /api/v1/organisations/<id>/inventory/<year>/reopen, or carbonbridge inventory reopen); "
    "the year then needs a new finalisation and verification"
)


@dataclass(frozen=True)
class SubmissionInfo:
    """One submission in an organisation's history: who sent what when, and what replaced what."""

    id: str
    filename: str
    rows: int
    sha256: str
    submitted_at: datetime
    submitted_by: str
    #: index of its entry in the transparency log (None if stored without one)
    log_index: int | None
    #: reporting years it holds records for
    years: tuple[int, ...]
    replaces: str | None
    replaced_by: str | None

    @property
    def current(self) -> bool:
        return self.replaced_by is None


def replaceable(session: Session, organisation_id: str, submission_id: str) -> store.SubmissionRow:
    """The submission ``submission_id`` if ``organisation_id`` may replace it now."""
    row = store.submission_row(session, submission_id)
    if row is None or row.organisation_id != organisation_id:
        raise NotFound(
            f"submission {submission_id} does not exist for organisation {organisation_id}",
            [FieldIssue(("replaces",), submission_id, "no such submission of this organisation")],
        )
    replacement = store.replacement_of(session, submission_id)
    if replacement is not None:
        latest = _latest(session, replacement.id)
        raise SubmissionReplaced(
            f"submission {submission_id} was already replaced by {replacement.id}; "
            f"replace the latest version, {latest}",
            [FieldIssue(("replaces",), submission_id, f"already replaced; the latest version is {latest}")],
        )
    return row


def _latest(session: Session, submission_id: str) -> str:
    """The end of the replacement chain starting at ``submission_id``."""
    seen = {submission_id}
    while (nxt := store.replacement_of(session, submission_id)) is not None and nxt.id not in seen:
        submission_id = nxt.id
        seen.add(submission_id)
    return submission_id


def years_of_submission(session: Session, submission_id: str) -> list[int]:
    return store.submission_years(session, [submission_id]).get(submission_id, [])


def submission_history(
    sessions: sessionmaker[Session], principal: Principal, organisation_id: str
) -> list[SubmissionInfo]:
    """Every submission of ``organisation_id``, oldest first, with what replaced what (scoped like
    its inventory)."""
    principal.require(Role.REGULATOR, Role.VERIFIER, Role.REPORTER)
    principal.require_organisation(organisation_id)
    with unit_of_work(sessions) as session:
        if store.get_organisation(session, organisation_id) is None:
            raise NotFound(f"organisation {organisation_id} does not exist")
        rows = store.submissions_of(session, organisation_id)
        years = store.submission_years(session, [r.id for r in rows])
    replaced_by = {r.replaces: r.id for r in rows if r.replaces}
    return [
        SubmissionInfo(
            id=r.id,
            filename=r.filename,
            rows=r.row_count,
            sha256=r.sha256,
            submitted_at=r.submitted_at,
            submitted_by=r.submitted_by_name or r.submitted_by,
            log_index=r.log_index,
            years=tuple(years.get(r.id, ())),
            replaces=r.replaces,
            replaced_by=replaced_by.get(r.id),
        )
        for r in rows
    ]

"""Concurrent replacements of one submission, with real commits on both databases: exactly one
wins, every other gets a conflict (409) and stores nothing (issue 9 §6)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service
from carbonbridge.accounting.model import Facility, Organisation, OrganisationKind
from carbonbridge.accounting.store import ActivityRow, SubmissionRow
from carbonbridge.kernel.errors import CarbonbridgeError
from carbonbridge.platform.identity import Principal, Role

ORG = Organisation("race-org", "Race Hotel", "竞速酒店", OrganisationKind.HOTEL, "CN-HI")
SITE = Facility("race-hq", ORG.id, "HQ", "CN-HI", "CN-GRID-SOUTH")
REPORTER = Principal("rep", "Reporter", Role.REPORTER, ORG.id)


def _rows(quantity: int) -> list[dict[str, object]]:
    return [
        {
            "facility_id": SITE.id,
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "category": "stationary_combustion",
            "activity": "fuel.natural_gas",
            "quantity": str(quantity),
            "unit": "Nm3",
        }
    ]


def test_concurrent_replacements_of_one_submission_leave_one_winner(sessions: sessionmaker[Session]) -> None:
    service.register_organisation(sessions, Principal("reg", "Regulator", Role.REGULATOR), ORG, [SITE])
    original = service.submit_rows(sessions, REPORTER, ORG.id, _rows(1000)).submission_id
    racers = 4
    start = threading.Barrier(racers)
    outcomes: list[object] = []
    lock = threading.Lock()

    def replace(n: int) -> None:
        start.wait()
        try:
            result: object = service.submit_rows(
                sessions, REPORTER, ORG.id, _rows(2000 + n), replaces=original
            )
        except CarbonbridgeError as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=replace, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    won = [o for o in outcomes if isinstance(o, service.SubmissionResult)]
    lost = [o for o in outcomes if isinstance(o, CarbonbridgeError)]
    assert len(won) == 1
    assert [e.status for e in lost] == [409] * (racers - 1)
    with sessions() as session:
        submissions = int(session.scalar(select(func.count()).select_from(SubmissionRow)) or 0)
        current = session.scalars(
            select(ActivityRow.quantity).where(ActivityRow.superseded_by.is_(None))
        ).all()
    assert submissions == 2
    assert len(current) == 1

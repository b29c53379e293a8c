"""Property (issue 9 §6): for any sequence of submissions and replacements, on both databases, the
inventory equals the computation over the latest version of each submission, a submission is
refused exactly when it would restate data another current submission holds, and nothing is ever
deleted: every earlier log entry stays byte for byte, every submitted record stays stored, and the
ledger audit passes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from carbonbridge.accounting import service
from carbonbridge.accounting.model import (
    ActivityCategory,
    ActivityRecord,
    Facility,
    Organisation,
    OrganisationKind,
)
from carbonbridge.accounting.store import ActivityRow
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.service import library
from carbonbridge.kernel.errors import Conflict
from carbonbridge.ledger import service as ledger
from carbonbridge.ledger.cli import register_context_auditors
from carbonbridge.ledger.service import keys
from carbonbridge.ledger.store import LogEntryRow
from carbonbridge.platform.db import Base, session_factory
from carbonbridge.platform.identity import Principal, Role
from tests.conftest import init_log_key

ORG = Organisation("prop-org", "Property Hotel", "性质酒店", OrganisationKind.HOTEL, "CN-HI")
SITE = Facility("prop-hq", ORG.id, "HQ", "CN-HI", "CN-GRID-SOUTH")
REGULATOR = Principal("reg", "Regulator", Role.REGULATOR)
REPORTER = Principal("rep", "Reporter", Role.REPORTER, ORG.id)
#: (activity, category, unit): each with one slot per month of 2024
ACTIVITIES = (
    ("fuel.diesel", "stationary_combustion", "t"),
    ("electricity.grid", "purchased_electricity", "MWh"),
)
Slot = tuple[int, int]  # (activity index, month)

slots = st.tuples(st.integers(0, len(ACTIVITIES) - 1), st.integers(1, 12))
payloads = st.dictionaries(slots, st.integers(1, 10**7), min_size=1, max_size=4)
operations = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(0, 9)), payloads),  # (replace which earlier, rows)
    min_size=1,
    max_size=5,
)


def _row(slot: Slot, quantity: int) -> dict[str, object]:
    activity, category, unit = ACTIVITIES[slot[0]]
    end = date(2024, slot[1] + 1, 1).toordinal() - 1 if slot[1] < 12 else date(2024, 12, 31).toordinal()
    return {
        "facility_id": SITE.id,
        "period_start": str(date(2024, slot[1], 1)),
        "period_end": str(date.fromordinal(end)),
        "category": category,
        "activity": activity,
        "quantity": str(quantity),
        "unit": unit,
    }


def _record(slot: Slot, quantity: int) -> ActivityRecord:
    row = _row(slot, quantity)
    return ActivityRecord(
        f"m{slot[0]}-{slot[1]}",
        ORG.id,
        SITE.id,
        date.fromisoformat(str(row["period_start"])),
        date.fromisoformat(str(row["period_end"])),
        ActivityCategory(str(row["category"])),
        str(row["activity"]),
        Decimal(quantity),
        str(row["unit"]),
        SITE.region,
        SITE.grid_region,
    )


@dataclass
class Model:
    """What the platform should hold: every accepted submission's rows, and which are current."""

    rows: dict[str, dict[Slot, int]] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)

    def held_by_others(self, payload: dict[Slot, int], replaced: str | None) -> bool:
        return any(s in self.rows[sub] for sub in self.current if sub != replaced for s in payload)


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_inventory_is_the_latest_version_of_each_submission_and_nothing_is_deleted(
    engine: Engine, ops: list[tuple[int | None, dict[Slot, int]]]
) -> None:
    _empty(engine)
    init_log_key(engine)
    sessions = session_factory(engine)
    service.register_organisation(sessions, REGULATOR, ORG, [SITE])
    model = Model()
    accepted: list[str] = []
    logs: list[list[bytes]] = []
    for replace_index, payload in ops:
        replaced = (
            model.current[replace_index % len(model.current)]
            if replace_index is not None and model.current
            else None
        )
        rows = [_row(slot, q) for slot, q in sorted(payload.items())]
        expected_ok = not model.held_by_others(payload, replaced)
        try:
            result = service.submit_rows(sessions, REPORTER, ORG.id, rows, replaces=replaced)
        except Conflict:
            assert not expected_ok
            event("refused: restates current data")
        else:
            assert expected_ok
            event("replacement" if replaced else "new submission")
            model.rows[result.submission_id] = dict(payload)
            model.current = [s for s in model.current if s != replaced] + [result.submission_id]
            accepted.append(result.submission_id)
        with sessions() as session:
            logs.append(list(session.scalars(select(LogEntryRow.entry).order_by(LogEntryRow.index))))

    inventory = service.organisation_inventory(sessions, REPORTER, ORG.id, 2024, GwpSet.AR6)
    latest = [_record(slot, q) for sub in model.current for slot, q in model.rows[sub].items()]
    expected = service.inventory_of(ORG, latest, library(sessions), GwpSet.AR6)
    assert sorted(
        (r.record.activity, r.record.period_start, r.record.quantity) for r in inventory.records
    ) == sorted((r.activity, r.period_start, r.quantity) for r in latest)
    assert inventory.ghgp.total_co2e_kg == expected.ghgp.total_co2e_kg
    assert inventory.cn_mee.total_co2e_kg == expected.cn_mee.total_co2e_kg
    assert inventory.not_computable == ()
    for earlier, later in itertools.pairwise(logs):
        assert later[: len(earlier)] == earlier  # the log only grows
    assert len(logs[-1]) == 1 + len(accepted)
    with sessions() as session:
        stored = int(session.scalar(select(func.count()).select_from(ActivityRow)) or 0)
    assert stored == sum(len(model.rows[s]) for s in accepted)
    register_context_auditors()
    assert ledger.audit(sessions, verifier=keys.log_signer().verifier()).findings == ()
    _empty(engine)

"""Random sequences of transfers, retirements, cancellations, batches, reversals, export requests
(confirmed or rejected) and expiries through the
real service and database, against a simple model of who holds how many tonnes: every call either
does exactly what the model says or is refused and changes nothing."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from carbonbridge.platform.identity import Principal
from carbonbridge.registry import movements, service
from carbonbridge.registry.errors import InsufficientUnits, InvalidTransition
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    AccountKind,
    Cancellation,
    ExpiryRequest,
    ExportRequest,
    ProjectDraft,
    Retirement,
    Transfer,
    Units,
    UnitState,
)
from tests.registry.conftest import ADMIN, BUYER, DEVELOPER, OUTSIDER, REGULATOR, VERIFIER, World

HOLDERS = ("dev", "buyer", "other")
_codes = itertools.count(1)


def test_random_sequences_through_the_service(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(movements._Holding, "PAGE", 2)  # blocks are read a page at a time: exercise it
    principals: dict[str, Principal] = {"dev": DEVELOPER, "buyer": BUYER, "other": OUTSIDER}
    holding = {
        "dev": world.dev[AccountKind.HOLDING].id,
        "buyer": world.buyer[AccountKind.HOLDING].id,
        "other": world.other[AccountKind.HOLDING].id,
    }
    s = world.sessions

    class ServiceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            code = f"SM{next(_codes)}"
            draft = ProjectDraft(code, "mangrove-dev", "Stateful", "状态", "TEST-REMOVAL", "CN-HI", "CCER")
            project, _ = service.draft_project(s, DEVELOPER, draft)
            service.validate_project(s, VERIFIER, project.id, "ok")
            service.register_project(s, REGULATOR, project.id, "ok")
            report, _ = service.submit_report(
                s, DEVELOPER, project.id, date(2025, 1, 1), date(2025, 12, 31), {"net_t": "50"}
            )
            service.verify_report(s, VERIFIER, report.id, "ok")
            service.issue(s, REGULATOR, report.id)
            self.project = project.id
            self.held = Counter({"dev": 40})
            self.retired = 0
            self.cancelled = 0
            self.buffer = 10
            self.pending: list[tuple[str, str, int]] = []  # (request operation, holder, tonnes)
            self.exported = 0
            self.expired = 0
            self.pool_before = self._pool_other_projects()

        def _pool_other_projects(self) -> int:
            return sum(
                b.tonnes
                for b in service.balances(s, ADMIN, BUFFER_POOL_ACCOUNT)
                if b.project_id != self.project
            )

        def _units(self, holder: str, quantity: int) -> Units:
            return Units(holding[holder], self.project, 2025, quantity=quantity)

        @rule(source=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), quantity=st.integers(1, 30))
        def transfer(self, source: str, to: str, quantity: int) -> None:
            if source == to:
                return
            try:
                service.transfer(s, principals[source], Transfer(self._units(source, quantity), holding[to]))
            except InsufficientUnits:
                assert quantity > self.held[source]
                return
            self.held[source] -= quantity
            self.held[to] += quantity

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def retire(self, source: str, quantity: int) -> None:
            try:
                service.retire(s, principals[source], Retirement(self._units(source, quantity), "b", "p"))
            except InsufficientUnits:
                assert quantity > self.held[source]
                return
            self.held[source] -= quantity
            self.retired += quantity

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def cancel(self, source: str, quantity: int) -> None:
            try:
                service.cancel(s, principals[source], Cancellation(self._units(source, quantity), "r"))
            except InsufficientUnits:
                assert quantity > self.held[source]
                return
            self.held[source] -= quantity
            self.cancelled += quantity

        @rule(first=st.integers(1, 15), second=st.integers(1, 15))
        def batch(self, first: int, second: int) -> None:
            requests = [
                Transfer(self._units("dev", first), holding["buyer"]),
                Retirement(self._units("buyer", second), "b", "p"),
            ]
            try:
                service.apply_batch(s, ADMIN, requests)
            except InsufficientUnits:
                assert first > self.held["dev"] or second > self.held["buyer"] + first
                return
            self.held["dev"] -= first
            self.held["buyer"] += first - second
            self.retired += second

        @rule(quantity=st.integers(1, 12))
        def reverse(self, quantity: int) -> None:
            if quantity > self.buffer:
                return  # drawing on other projects' buffer is covered in test_scenario
            service.reverse(s, REGULATOR, self.project, quantity, "loss")
            self.buffer -= quantity
            self.cancelled += quantity

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def request_export(self, source: str, quantity: int) -> None:
            request = ExportRequest(self._units(source, quantity), "Verra", "VCS-1", "sold")
            try:
                done = service.request_export(s, principals[source], request)
            except InsufficientUnits:
                assert quantity > self.held[source]
                return
            self.held[source] -= quantity
            self.pending.append((done.operation.id, source, quantity))

        @rule(data=st.data(), confirm=st.booleans())
        def settle_export(self, data: st.DataObject, confirm: bool) -> None:
            if not self.pending:
                return
            op, holder, quantity = data.draw(st.sampled_from(self.pending))
            if confirm:
                done = service.confirm_export(s, REGULATOR, op, "VCS-TX")
                self.exported += quantity
            else:
                done = service.reject_export(s, REGULATOR, op, "refused")
                self.held[holder] += quantity
            assert done.operation.details["quantity"] == quantity
            self.pending.remove((op, holder, quantity))
            with pytest.raises(InvalidTransition):
                service.reject_export(s, REGULATOR, op, "again")

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def expire(self, source: str, quantity: int) -> None:
            try:
                service.expire(s, REGULATOR, ExpiryRequest(self._units(source, quantity), "ended"))
            except InsufficientUnits:
                assert quantity > self.held[source]
                return
            self.held[source] -= quantity
            self.expired += quantity

        @invariant()
        def balances_match_the_model(self) -> None:
            for holder in HOLDERS:
                found = [
                    b for b in service.balances(s, ADMIN, holding[holder]) if b.project_id == self.project
                ]
                assert sum(b.tonnes for b in found if b.state is UnitState.HELD) == self.held[holder]
                assert sum(b.tonnes for b in found if b.state is UnitState.PENDING_EXPORT) == sum(
                    q for _, h, q in self.pending if h == holder
                )
            [tally] = service.conservation(s, self.project)
            expected = {
                UnitState.HELD: sum(self.held.values()),
                UnitState.RETIRED: self.retired,
                UnitState.CANCELLED: self.cancelled,
                UnitState.BUFFER: self.buffer,
                UnitState.PENDING_EXPORT: sum(q for _, _, q in self.pending),
                UnitState.EXPORTED: self.exported,
                UnitState.EXPIRED: self.expired,
            }
            assert tally.by_state == {k: v for k, v in expected.items() if v}
            assert tally.issued == 50
            assert tally.balanced
            assert self._pool_other_projects() == self.pool_before

    run_state_machine_as_test(
        ServiceMachine,
        settings=settings(
            settings.default, max_examples=max(5, settings.default.max_examples // 3), stateful_step_count=20
        ),
    )
    assert service.overlapping_blocks(s) == []

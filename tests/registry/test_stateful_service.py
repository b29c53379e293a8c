"""Random sequences of transfers, retirements, cancellations, batches, reversals, export requests
(confirmed or rejected), expiries, ex-ante issuances of planned units and verified issuances that
convert them in place, through the real service and database, against a simple model of which
holder has which serial in which state: every call either does exactly what the model says or is
refused and changes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from carbonbridge.platform.identity import Principal
from carbonbridge.registry import issuance as issuing
from carbonbridge.registry import reads, service
from carbonbridge.registry.errors import InsufficientUnits, InvalidTransition
from carbonbridge.registry.model import (
    BUFFER_POOL_ACCOUNT,
    EXPIRABLE,
    EXPORTABLE,
    RETIRABLE,
    TRANSFERABLE,
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
from carbonbridge.registry.units import exports
from carbonbridge.registry.units import service as movements
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
    held, planned = UnitState.HELD, UnitState.PLANNED

    class ServiceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            code = f"SM{next(_codes)}"
            draft = ProjectDraft(code, "mangrove-dev", "Stateful", "状态", "TEST-REMOVAL", "CN-HI", "CCER")
            project, _ = service.draft_project(s, DEVELOPER, draft)
            service.validate_project(s, VERIFIER, project.id, "ok")
            service.register_project(s, REGULATOR, project.id, "ok")
            self.project = project.id
            self.day = itertools.count()  # each report monitors its own day of 2025 (vintage 2025)
            self.issued = 0
            #: serial → (holder, held or planned) for the units in holding accounts
            self.units: dict[int, tuple[str, UnitState]] = {}
            self.retired = 0
            self.cancelled = 0
            self.buffer = 0
            self.pending: list[tuple[str, str, tuple[int, ...]]] = []  # (request operation, holder, serials)
            self.exported = 0
            self.expired = 0
            self._verify(50)  # 50 t: serials 1-40 held by dev, 41-50 in the buffer pool
            self.pool_before = self._pool_other_projects()

        def _pool_other_projects(self) -> int:
            return sum(
                b.tonnes
                for b in reads.balances(s, ADMIN, BUFFER_POOL_ACCOUNT)
                if b.project_id != self.project
            )

        def _units(self, holder: str, quantity: int) -> Units:
            return Units(holding[holder], self.project, 2025, quantity=quantity)

        def _lowest(self, holder: str, states: frozenset[UnitState], quantity: int) -> list[int] | None:
            """The serials the service takes: the holder's lowest in an allowed state."""
            found = sorted(n for n, (h, state) in self.units.items() if h == holder and state in states)
            return found[:quantity] if quantity <= len(found) else None

        def _verify(self, net_t: int) -> None:
            day = date(2025, 1, 1) + timedelta(days=next(self.day))
            report, _ = service.submit_report(s, DEVELOPER, self.project, day, day, {"net_t": str(net_t)})
            service.verify_report(s, VERIFIER, report.id, "ok")
            done = issuing.issue(s, REGULATOR, report.id)
            buffer = -(-net_t * 20 // 100)  # the default 20 % share, rounded up
            outstanding = sorted(n for n, (_, state) in self.units.items() if state is planned)
            converted = outstanding[: net_t - buffer]
            for n in converted:  # in place: same serial, same holder
                self.units[n] = (self.units[n][0], held)
            fresh = net_t - len(converted)
            for n in range(self.issued + 1, self.issued + fresh - buffer + 1):
                self.units[n] = ("dev", held)
            assert done.operation.details["converted"] == len(converted)
            self.issued += fresh
            self.buffer += buffer

        @rule(net_t=st.integers(1, 40))
        def issue_verified(self, net_t: int) -> None:
            self._verify(net_t)

        @rule(quantity=st.integers(1, 30))
        def issue_planned(self, quantity: int) -> None:
            done = issuing.issue_planned(s, REGULATOR, self.project, 2025, quantity, "ex-ante")
            assert [(b.start, b.end) for b in done.produced] == [(self.issued + 1, self.issued + quantity)]
            for n in range(self.issued + 1, self.issued + quantity + 1):
                self.units[n] = ("dev", planned)
            self.issued += quantity

        @rule(source=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), quantity=st.integers(1, 30))
        def transfer(self, source: str, to: str, quantity: int) -> None:
            if source == to:
                return
            taken = self._lowest(source, TRANSFERABLE, quantity)
            try:
                movements.transfer(
                    s, principals[source], Transfer(self._units(source, quantity), holding[to])
                )
            except InsufficientUnits:
                assert taken is None
                return
            assert taken is not None
            for n in taken:
                self.units[n] = (to, self.units[n][1])

        def _take(
            self, source: str, states: frozenset[UnitState], quantity: int, act: Callable[[], object]
        ) -> int:
            taken = self._lowest(source, states, quantity)
            try:
                act()
            except InsufficientUnits:
                assert taken is None
                return 0
            assert taken is not None
            for n in taken:
                del self.units[n]
            return len(taken)

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def retire(self, source: str, quantity: int) -> None:
            retirement = Retirement(self._units(source, quantity), "b", "p")
            self.retired += self._take(
                source, RETIRABLE, quantity, lambda: movements.retire(s, principals[source], retirement)
            )

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def cancel(self, source: str, quantity: int) -> None:
            cancellation = Cancellation(self._units(source, quantity), "r")
            self.cancelled += self._take(
                source, TRANSFERABLE, quantity, lambda: movements.cancel(s, principals[source], cancellation)
            )

        @rule(first=st.integers(1, 15), second=st.integers(1, 15))
        def batch(self, first: int, second: int) -> None:
            requests = [
                Transfer(self._units("dev", first), holding["buyer"]),
                Retirement(self._units("buyer", second), "b", "p"),
            ]
            before = dict(self.units)
            moved = self._lowest("dev", TRANSFERABLE, first)
            if moved is not None:
                for n in moved:
                    self.units[n] = ("buyer", self.units[n][1])
            retired = None if moved is None else self._lowest("buyer", RETIRABLE, second)
            try:
                movements.apply_batch(s, ADMIN, requests)
            except InsufficientUnits:
                assert retired is None
                self.units = before
                return
            assert retired is not None
            for n in retired:
                del self.units[n]
            self.retired += second

        @rule(quantity=st.integers(1, 12))
        def reverse(self, quantity: int) -> None:
            if quantity > self.buffer:
                return  # drawing on other projects' buffer is covered in test_scenario
            movements.reverse(s, REGULATOR, self.project, quantity, "loss")
            self.buffer -= quantity
            self.cancelled += quantity

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def request_export(self, source: str, quantity: int) -> None:
            request = ExportRequest(self._units(source, quantity), "Verra", "VCS-1", "sold")
            taken = self._lowest(source, EXPORTABLE, quantity)
            try:
                done = exports.request_export(s, principals[source], request)
            except InsufficientUnits:
                assert taken is None
                return
            assert taken is not None
            for n in taken:
                del self.units[n]
            self.pending.append((done.operation.id, source, tuple(taken)))

        @rule(data=st.data(), confirm=st.booleans())
        def settle_export(self, data: st.DataObject, confirm: bool) -> None:
            if not self.pending:
                return
            op, holder, serials = data.draw(st.sampled_from(self.pending))
            if confirm:
                done = exports.confirm_export(s, REGULATOR, op, "VCS-TX")
                self.exported += len(serials)
            else:
                done = exports.reject_export(s, REGULATOR, op, "refused")
                for n in serials:
                    self.units[n] = (holder, held)
            assert done.operation.details["quantity"] == len(serials)
            self.pending.remove((op, holder, serials))
            with pytest.raises(InvalidTransition):
                exports.reject_export(s, REGULATOR, op, "again")

        @rule(source=st.sampled_from(HOLDERS), quantity=st.integers(1, 20))
        def expire(self, source: str, quantity: int) -> None:
            expiry = ExpiryRequest(self._units(source, quantity), "ended")
            self.expired += self._take(
                source, EXPIRABLE, quantity, lambda: exports.expire(s, REGULATOR, expiry)
            )

        def _count(self, holder: str | None, state: UnitState) -> int:
            return sum(1 for h, st_ in self.units.values() if st_ is state and holder in (None, h))

        @invariant()
        def balances_match_the_model(self) -> None:
            for holder in HOLDERS:
                found = [b for b in reads.balances(s, ADMIN, holding[holder]) if b.project_id == self.project]
                for state in (held, planned):
                    assert sum(b.tonnes for b in found if b.state is state) == self._count(holder, state)
                assert sum(b.tonnes for b in found if b.state is UnitState.PENDING_EXPORT) == sum(
                    len(serials) for _, h, serials in self.pending if h == holder
                )
            [tally] = reads.conservation(s, self.project)
            expected = {
                held: self._count(None, held),
                planned: self._count(None, planned),
                UnitState.RETIRED: self.retired,
                UnitState.CANCELLED: self.cancelled,
                UnitState.BUFFER: self.buffer,
                UnitState.PENDING_EXPORT: sum(len(serials) for _, _, serials in self.pending),
                UnitState.EXPORTED: self.exported,
                UnitState.EXPIRED: self.expired,
            }
            assert tally.by_state == {k: v for k, v in expected.items() if v}
            assert tally.issued == self.issued
            assert tally.balanced
            assert self._pool_other_projects() == self.pool_before

    run_state_machine_as_test(
        ServiceMachine,
        settings=settings(
            settings.default, max_examples=max(5, settings.default.max_examples // 3), stateful_step_count=20
        ),
    )
    assert reads.overlapping_blocks(s) == []

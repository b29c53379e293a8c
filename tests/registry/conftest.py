"""Registry fixtures: a test methodology standing in for the methodologies context's plug-ins (so
these tests do not depend on any calculator's figures), two organisations with registry accounts,
and one principal per role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.kernel.exact import to_decimal
from carbonbridge.methodologies import catalogue
from carbonbridge.methodologies.model import Calculation, Flag, Kind, Line, Methodology, Severity
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import service
from carbonbridge.registry.model import Account, AccountKind


@dataclass(frozen=True)
class StubMethodology:
    """A calculator returning the ``net_t`` it is given; ``implausible: true`` raises an
    implausible flag, ``buffer_share`` sets the calculation's buffer share."""

    id: str
    version: str
    kind: Kind
    title_en: str = "Test methodology"
    title_zh: str = "测试方法学"

    def calculate(self, parameters: Mapping[str, Any]) -> Calculation:
        net = to_decimal(parameters.get("net_t"), field="net_t")
        lines = [Line("NET_y", net, "t CO2e", "test eq. 1", "Net removals", "净清除量")]
        share = None
        if "buffer_share" in parameters:
            share = to_decimal(parameters["buffer_share"], field="buffer_share")
        flags: tuple[Flag, ...] = ()
        if parameters.get("implausible"):
            flags = (
                Flag(
                    "fuel_per_area",
                    Severity.IMPLAUSIBLE,
                    Decimal(600),
                    Decimal(100),
                    "L/mu",
                    "too much",
                    "过多",
                ),
            )
        return Calculation(
            f"{self.id}@{self.version}",
            self.kind,
            net,
            net,
            Decimal(0),
            Decimal(0),
            tuple(lines),
            flags,
            dict(parameters),
            buffer_share=share,
        )

    def example(self) -> Mapping[str, Any]:
        return {"net_t": "100"}


REMOVAL = StubMethodology("TEST-REMOVAL", "1.0", Kind.REMOVAL)
REDUCTION = StubMethodology("TEST-REDUCTION", "2.0", Kind.REDUCTION)

REGULATOR = Principal("u-reg", "Carbon office", Role.REGULATOR)
VERIFIER = Principal("u-ver", "Verifier Ltd", Role.VERIFIER)
DEVELOPER = Principal("u-dev", "Mangrove developer", Role.DEVELOPER, "mangrove-dev")
BUYER = Principal("u-buy", "Buyer hotel", Role.REPORTER, "buyer-co")
ADMIN = Principal("u-admin", "Administrator", Role.ADMIN)
OUTSIDER = Principal("u-out", "Other developer", Role.DEVELOPER, "other-dev")


@pytest.fixture
def stub_methodologies(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: dict[str, Methodology] = {REMOVAL.id: REMOVAL, REDUCTION.id: REDUCTION}
    monkeypatch.setattr(catalogue, "installed", lambda: installed)


@dataclass(frozen=True)
class World:
    sessions: sessionmaker[Session]
    dev: dict[AccountKind, Account]
    buyer: dict[AccountKind, Account]
    other: dict[AccountKind, Account]


def _organisation(ident: str, kind: OrganisationKind) -> Organisation:
    return Organisation(ident, ident.replace("-", " ").title(), ident, kind, "CN-HI")


@pytest.fixture
def world(sessions: sessionmaker[Session], stub_methodologies: None) -> Iterator[World]:
    for ident, kind in (
        ("mangrove-dev", OrganisationKind.FARM),
        ("buyer-co", OrganisationKind.HOTEL),
        ("other-dev", OrganisationKind.OTHER),
    ):
        accounting.register_organisation(sessions, REGULATOR, _organisation(ident, kind), [])
    return World(
        sessions,
        service.open_accounts(sessions, REGULATOR, "mangrove-dev"),
        service.open_accounts(sessions, REGULATOR, "buyer-co"),
        service.open_accounts(sessions, REGULATOR, "other-dev"),
    )

"""Use cases of the methodologies context. Calculators are pure and stateless, so these are thin:
the registry calls :func:`calculate` when a monitoring report is submitted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carbonbridge.factors import service as factor_service
from carbonbridge.factors.model import FactorResolver
from carbonbridge.methodologies import catalogue
from carbonbridge.methodologies.model import Calculation, Methodology

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def available() -> list[Methodology]:
    """Every installed methodology, by id."""
    return [catalogue.installed()[k] for k in sorted(catalogue.installed())]


def get(ref: str) -> Methodology:
    """The methodology ``id`` or ``id@version`` (NotFound otherwise)."""
    return catalogue.get(ref)


def calculate(
    ref: str, parameters: Mapping[str, Any], *, factors: FactorResolver | None = None
) -> Calculation:
    """Run methodology ``ref`` on a monitoring report's ``parameters``. ``factors`` overrides the
    shipped factor library (e.g. ``factors.service.library(sessions)`` with the region's pins)."""
    return catalogue.calculate(ref, parameters, factors=factors)


def calculate_in_region(
    sessions: sessionmaker[Session], ref: str, parameters: Mapping[str, Any]
) -> Calculation:
    """:func:`calculate` with the region's factor library (shipped + imported datasets, pins)."""
    return calculate(ref, parameters, factors=factor_service.library(sessions))

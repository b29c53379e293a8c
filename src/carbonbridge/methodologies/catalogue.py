"""Which methodologies the platform knows: the built-in calculators plus every calculator a region
contributes through the ``carbonbridge.methodologies`` entry point group (a callable returning a
list of :class:`~carbonbridge.methodologies.model.Methodology`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import metadata
from typing import Any

from carbonbridge.factors.model import FactorResolver
from carbonbridge.kernel.errors import FieldIssue, InvalidInput, NotFound
from carbonbridge.methodologies.model import Calculation, Methodology

ENTRY_POINT_GROUP = "carbonbridge.methodologies"


def builtin_methodologies() -> list[Methodology]:
    """The calculators shipped with carbonbridge (the ``builtin`` entry point)."""
    from carbonbridge.methodologies.demand_response import DemandResponse
    from carbonbridge.methodologies.ev_fleet import ElectricFleet
    from carbonbridge.methodologies.mangrove import MangroveAfforestation
    from carbonbridge.methodologies.solar_irrigation import SolarIrrigation

    return [MangroveAfforestation(), SolarIrrigation(), ElectricFleet(), DemandResponse()]


def load(entry_points: Iterable[metadata.EntryPoint] | None = None) -> dict[str, Methodology]:
    """Every methodology by ``id``, from the entry points (sorted by name). A provider returning
    anything but a list of methodologies, or an ``id`` offered twice, is rejected with
    :class:`InvalidInput` naming the entry point."""
    points = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
    found: dict[str, Methodology] = {}
    issues: list[FieldIssue] = []
    for point in sorted(points, key=lambda p: p.name):
        provider: Callable[[], object] = point.load()
        result = provider()
        if not isinstance(result, list) or not all(isinstance(m, Methodology) for m in result):
            issues.append(FieldIssue(("entry_points", point.name), point.value, "must return [Methodology]"))
            continue
        for methodology in result:
            if methodology.id in found:
                issues.append(
                    FieldIssue(
                        ("entry_points", point.name),
                        methodology.id,
                        f"methodology id already provided ({found[methodology.id].version})",
                    )
                )
                continue
            found[methodology.id] = methodology
    if issues:
        raise InvalidInput("a methodology plug-in is malformed", issues)
    return found


@cache
def installed() -> Mapping[str, Methodology]:
    """:func:`load` once per process."""
    return load()


def get(ref: str) -> Methodology:
    """The methodology named ``id`` or ``id@version``; a version other than the installed one is a
    :class:`NotFound` that says which version is installed."""
    ident, _, version = ref.partition("@")
    methodology = installed().get(ident)
    if methodology is None:
        known = ", ".join(sorted(installed())) or "none"
        raise NotFound(
            f"no methodology {ident!r} is installed (installed: {known})",
            [FieldIssue(("methodology",), ref, "unknown methodology")],
        )
    if version and version != methodology.version:
        raise NotFound(
            f"methodology {ident} is installed at version {methodology.version}, not {version}",
            [FieldIssue(("methodology",), ref, f"installed version is {methodology.version}")],
        )
    return methodology


def calculate(
    ref: str, parameters: Mapping[str, Any], *, factors: FactorResolver | None = None
) -> Calculation:
    """Run the named calculator on ``parameters``; ``factors`` (e.g. the region's pinned library)
    is passed to calculators that take one (a ``factors`` keyword) and ignored by the others."""
    methodology = get(ref)
    if factors is not None and "factors" in inspect.signature(methodology.calculate).parameters:
        calculation: Calculation = methodology.calculate(parameters, factors=factors)  # type: ignore[call-arg]
        return calculation
    return methodology.calculate(parameters)

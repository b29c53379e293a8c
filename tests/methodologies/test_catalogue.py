"""Plug-ins: a region's methodology is picked up through the entry point group; a duplicate id is
rejected; the service runs every built-in calculator's example."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from carbonbridge.kernel.errors import InvalidInput, NotFound
from carbonbridge.methodologies import catalogue, service
from carbonbridge.methodologies.model import Calculation, Kind, Line

GROUP = catalogue.ENTRY_POINT_GROUP


class SeagrassRegional:
    """A region's own methodology (a toy: 2 t CO2e per hectare-year)."""

    id = "HI-SEAGRASS-01"
    version = "2026.1"
    kind = Kind.REMOVAL
    title_en = "Seagrass restoration (Hainan)"
    title_zh = "海草床修复（海南）"

    def calculate(self, parameters: Mapping[str, Any]) -> Calculation:
        area = Decimal(str(parameters["area_ha"]))
        net = area * 2
        line = Line("ΔC", net, "t CO2e", "A × 2", "Removals", "碳汇量", "regional")
        return Calculation(f"{self.id}@{self.version}", self.kind, net, Decimal(0), net, Decimal(0), (line,))

    def example(self) -> Mapping[str, Any]:
        return {"area_ha": "3"}


def regional() -> list[object]:
    return [SeagrassRegional()]


def regional_copy_of_builtin() -> list[object]:
    from carbonbridge.methodologies.solar_irrigation import SolarIrrigation

    return [SolarIrrigation()]


def not_a_list() -> object:
    return "nope"


def point(name: str, attr: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{attr}", group=GROUP)


BUILTIN = EntryPoint(
    name="builtin", value="carbonbridge.methodologies.catalogue:builtin_methodologies", group=GROUP
)


def test_builtin_methodologies_are_installed() -> None:
    assert [m.id for m in service.available()] == ["AMS-I.B", "AMS-III.C", "CCER-14-002-V01", "DR-AVOIDED"]


def test_region_plugin_is_picked_up() -> None:
    found = catalogue.load(entry_points=[BUILTIN, point("hainan", "regional")])
    assert found["HI-SEAGRASS-01"].calculate({"area_ha": "3"}).net_t == 6
    assert "CCER-14-002-V01" in found


def test_duplicate_id_is_rejected_naming_the_plugin() -> None:
    with pytest.raises(InvalidInput) as caught:
        catalogue.load(entry_points=[BUILTIN, point("zz-copy", "regional_copy_of_builtin")])
    issue = caught.value.issues[0]
    assert issue.location == ("entry_points", "zz-copy")
    assert issue.value == "AMS-I.B"


def test_malformed_plugin_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        catalogue.load(entry_points=[point("bad", "not_a_list")])


@pytest.mark.parametrize("ref", ["CCER-14-002-V01", "AMS-I.B@13.0", "AMS-III.C", "DR-AVOIDED@0.1"])
def test_every_example_calculates(ref: str) -> None:
    calc = service.calculate(ref, service.get(ref).example())
    assert calc.net_t > 0
    assert calc.methodology == f"{service.get(ref).id}@{service.get(ref).version}"
    assert not calc.blocked
    assert all(line.equation and line.source for line in calc.lines)


def test_wrong_version_is_not_found() -> None:
    with pytest.raises(NotFound, match=r"installed at version 13\.0"):
        service.get("AMS-I.B@12.0")


def test_factors_keyword_reaches_calculators_that_take_it() -> None:
    """A library without the grid series cannot resolve the EV fleet's grid factor."""
    from carbonbridge.factors.datasets import plugin_datasets
    from carbonbridge.factors.resolution import FactorLibrary
    from carbonbridge.kernel.errors import FactorNotFound

    without_grid = FactorLibrary(
        [(d, f) for d, f in plugin_datasets() if d.id != "cn-mee-nbs-electricity-co2"]
    )
    with pytest.raises(FactorNotFound):
        service.calculate("AMS-III.C", service.get("AMS-III.C").example(), factors=without_grid)
    # a calculator without a factors keyword still runs
    assert (
        service.calculate("DR-AVOIDED", service.get("DR-AVOIDED").example(), factors=without_grid).net_t > 0
    )

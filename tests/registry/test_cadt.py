"""CAD Trust mapping (pure): export records follow CADT v2.0.2 (picklists, insert order, integer
blocks), import refuses bad records naming them, and import∘export preserves blocks and states."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry.cadt import parse as cadt_parse
from carbonbridge.registry.cadt import records as cadt
from carbonbridge.registry.model import Project, ProjectStatus, SerialBlock, UnitState

PROJECT = Project(
    "prj_1",
    "MG001",
    "mangrove-dev",
    "Dongzhai Harbour mangroves",
    "东寨港红树林",
    "CCER-14-002-V01@V01",
    "removal",
    "CN-HI",
    "CCER",
    {},
    ProjectStatus.REGISTERED,
)
ISSUANCE = cadt.IssuanceRecord(
    "op_iss", "prj_1", 2024, 1, 1000, date(2025, 3, 1), "rpt_1", (date(2024, 1, 1), date(2024, 12, 31))
)
OWNERS = {"acc_h": "mangrove-dev", "acc_buffer_pool": "registry"}


def _export(blocks: list[SerialBlock]) -> dict[str, list[dict[str, Any]]]:
    return cadt.export_tables(
        "carbonbridge", "https://r.example", [PROJECT], [ISSUANCE], blocks, OWNERS, {}, date(2026, 1, 1)
    )


def _blocks(cuts: list[tuple[int, UnitState]]) -> list[SerialBlock]:
    start, out = 1, []
    for n, (end, state) in enumerate(cuts):
        account = "acc_buffer_pool" if state is UnitState.BUFFER else "acc_h"
        out.append(SerialBlock(f"b{n}", "prj_1", 2024, start, end, account, state))
        start = end + 1
    return out


WORKED = _blocks([(700, UnitState.HELD), (800, UnitState.RETIRED), (1000, UnitState.BUFFER)])


def test_export_is_cadt_v2_records_in_insert_order() -> None:
    """1000 t issued: 700 held, 100 retired, 200 buffer → three unit records of one issuance."""
    tables = _export(WORKED)
    assert list(tables) == list(cadt.INSERT_ORDER)
    assert [
        (u["unitStartBlock"], u["unitEndBlock"], u["unitCount"], u["unitStatus"]) for u in tables["unit"]
    ] == [
        ("1", "700", 700, "Held"),
        ("701", "800", 100, "Retired"),
        ("801", "1000", 200, "Buffer"),
    ]
    unit = tables["unit"][1]
    assert unit["unitSerialId"] == "CB-CN-HI-MG001-2024-701-800"
    assert unit["unitType"] == "Removal - nature"
    assert unit["unitStatusReason"] == "retired"
    assert unit["cadTrustIssuanceId"] == tables["issuance"][0]["cadTrustIssuanceId"]
    project = tables["project"][0]
    assert (project["projectStatus"], project["projectSector"], project["projectUnitMetric"]) == (
        "Registered",
        ["Afforestation and reforestation"],
        "tCO2e",
    )
    assert tables["location"][0]["locationCountry"] == "China"
    assert _export(WORKED) == tables  # deterministic GUIDs


def test_lossy_states_carry_our_marker_and_come_back() -> None:
    blocks = _blocks([(10, UnitState.PLANNED), (20, UnitState.PENDING_EXPORT), (30, UnitState.EXPORTED)])
    units = _export(blocks)["unit"]
    assert [u["unitStatus"] for u in units] == ["Inactive", "Held", "Cancelled"]
    assert [cadt_parse.import_state(u["unitStatus"], u["unitStatusReason"]) for u in units] == [
        UnitState.PLANNED,
        UnitState.PENDING_EXPORT,
        UnitState.EXPORTED,
    ]
    assert cadt_parse.import_state("Issued", "") is UnitState.HELD
    assert cadt_parse.import_state("Inactive", "suspended") is None


def _issue_of(tables: dict[str, list[dict[str, Any]]], n: int) -> tuple[str | int, ...]:
    with pytest.raises(InvalidInput) as err:
        cadt_parse.parse_tables(tables)
    return err.value.issues[n].location


def test_import_refuses_float_bounds_wrong_counts_gaps_and_missing_reasons() -> None:
    tables = _export(WORKED)
    tables["unit"][0]["unitEndBlock"] = "700.0"
    assert _issue_of(tables, 0) == ("unit", 0, "unitEndBlock")
    tables = _export(WORKED)
    tables["unit"][0]["unitCount"] = 699
    assert _issue_of(tables, 0) == ("unit", 0, "unitCount")
    tables = _export(WORKED)
    tables["unit"][1]["unitStartBlock"] = "702"
    tables["unit"][1]["unitCount"] = 99
    with pytest.raises(InvalidInput, match="nothing was imported") as err:
        cadt_parse.parse_tables(tables)
    assert err.value.issues[0].reason == "a gap between units"
    tables = _export(WORKED)
    tables["unit"][1]["unitStatusReason"] = ""
    assert _issue_of(tables, 0) == ("unit", 1, "unitStatusReason")
    tables = _export(WORKED)
    tables["unit"][2]["unitStatus"] = "Active"
    assert _issue_of(tables, 0) == ("unit", 2, "unitStatus")


STATES = st.sampled_from(list(UnitState))


@given(st.lists(st.tuples(st.integers(1, 50), STATES), min_size=1, max_size=12))
def test_import_of_export_preserves_blocks_and_states(parts: list[tuple[int, UnitState]]) -> None:
    cuts, end = [], 0
    for size, state in parts:
        end += size
        cuts.append((end, state))
    blocks = _blocks(cuts)
    issuance = cadt.IssuanceRecord("op_iss", "prj_1", 2024, 1, end, date(2025, 3, 1), None, None)
    tables = cadt.export_tables(
        "carbonbridge", "https://r.example", [PROJECT], [issuance], blocks, OWNERS, {}, date(2026, 1, 1)
    )
    (project,) = cadt_parse.parse_tables(tables)
    (imported,) = project.issuances
    assert (project.code, project.region, project.methodology, project.kind, project.status) == (
        "MG001",
        "CN-HI",
        "CCER-14-002-V01@V01",
        "removal",
        ProjectStatus.REGISTERED,
    )
    assert (imported.vintage, imported.start, imported.end) == (2024, 1, end)
    assert [(u.start, u.end, u.state, u.owner) for u in imported.units] == [
        (b.start, b.end, b.state, OWNERS[b.account_id]) for b in blocks
    ]

"""The rule-based import contracts (``devtools/import_contracts.py``) break on wrong imports.

Each test builds a small import graph shaped like the project's and checks it with the contract
as ``lint-imports`` configures it (``pyproject.toml``); ``make lint`` runs them on the real code.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import grimp
import pytest

from devtools.import_contracts import BoundaryContract, PureCoreContract

ROOT = Path(__file__).resolve().parents[2]


def _options(contract_type: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (options,) = [c for c in config["contracts"] if c["type"] == contract_type]
    # the real configuration, less its known exceptions (they name modules the test graph lacks)
    return {
        k: v for k, v in options.items() if k not in ("name", "type", "ignore_imports", "pending_modules")
    }


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                graph.add_module(".".join(parts[:depth]), is_squashed=False) if parts[
                    0
                ] == "carbonbridge" else None
            if parts[0] != "carbonbridge" and module not in graph.modules:
                graph.add_module(module, is_squashed=False)
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    return graph


def _check(kind: type[PureCoreContract] | type[BoundaryContract], graph: grimp.ImportGraph) -> list[str]:
    options = _options(kind.type_name)
    contract = kind("test", {"root_packages": ["carbonbridge"]}, options)
    check = contract.check(graph, verbose=False)
    return [f"{v['importer']} -> {v['imported']}" for v in check.metadata["violations"]]


def test_a_new_logic_module_is_pure_by_default() -> None:
    graph = _graph(
        ("carbonbridge.tourism.footprint", "sqlalchemy"),
        ("carbonbridge.tourism.footprint", "carbonbridge.kernel.units"),
        ("carbonbridge.tourism.store", "sqlalchemy"),
        ("carbonbridge.tourism.service", "carbonbridge.tourism.store"),
    )
    assert _check(PureCoreContract, graph) == ["carbonbridge.tourism.footprint -> sqlalchemy"]


@pytest.mark.parametrize(
    ("imported", "broken"),
    [
        ("carbonbridge.tourism.store", True),
        ("carbonbridge.tourism.service", True),
        ("typer", True),
        ("carbonbridge.tourism.model", False),
        ("carbonbridge.kernel.units", False),
    ],
)
def test_logic_may_not_reach_a_store_or_a_face_framework(imported: str, broken: bool) -> None:
    graph = _graph(("carbonbridge.tourism.bill", imported))
    assert bool(_check(PureCoreContract, graph)) is broken


def test_a_name_that_merely_begins_like_a_role_is_still_logic() -> None:
    graph = _graph(
        ("carbonbridge.accounting.stored_statement", "sqlalchemy"),
        ("carbonbridge.accounting.cli_records", "typer"),
    )
    assert _check(PureCoreContract, graph) == ["carbonbridge.accounting.stored_statement -> sqlalchemy"]


def test_faces_and_sub_package_services_are_not_held_to_the_rule() -> None:
    graph = _graph(
        ("carbonbridge.registry.units.service", "sqlalchemy"),
        ("carbonbridge.registry.units.cli", "typer"),
        ("carbonbridge.registry.units.api", "fastapi"),
        ("carbonbridge.platform.db", "sqlalchemy"),
    )
    assert _check(PureCoreContract, graph) == []


@pytest.mark.parametrize(
    ("importer", "imported", "broken"),
    [
        # another context: only its model, errors and service
        ("carbonbridge.tourism.service", "carbonbridge.registry.service", False),
        ("carbonbridge.tourism.service", "carbonbridge.registry.model", False),
        ("carbonbridge.tourism.service", "carbonbridge.registry.store", True),
        ("carbonbridge.tourism.bill", "carbonbridge.accounting.engine", True),
        # a sub-package of another context: its service, not its store
        ("carbonbridge.tourism.service", "carbonbridge.registry.units.service", False),
        ("carbonbridge.tourism.service", "carbonbridge.registry.units.store", True),
        # sibling sub-packages meet like contexts; the context's shared rules are open to them
        ("carbonbridge.registry.cadt.service", "carbonbridge.registry.units.service", False),
        ("carbonbridge.registry.cadt.service", "carbonbridge.registry.units.store", True),
        ("carbonbridge.registry.cadt.service", "carbonbridge.registry.serials", False),
        # inside one's own context or sub-package anything goes; shared packages are open
        ("carbonbridge.registry.units.service", "carbonbridge.registry.units.store", False),
        ("carbonbridge.tourism.service", "carbonbridge.kernel.units", False),
        ("carbonbridge.platform.app", "carbonbridge.registry.units.api", False),
        # a service grown into a package is public as a whole
        ("carbonbridge.ledger.cli", "carbonbridge.ledger.service.keys", False),
        ("carbonbridge.registry.units.service", "carbonbridge.ledger.service.appends", False),
    ],
)
def test_contexts_meet_only_at_model_errors_and_service(importer: str, imported: str, broken: bool) -> None:
    graph = _graph(
        (importer, imported),
        # give the packages children, as real packages have
        ("carbonbridge.registry.units.service", "carbonbridge.registry.units.store"),
        ("carbonbridge.registry.cadt.service", "carbonbridge.registry.model"),
        ("carbonbridge.accounting.engine", "carbonbridge.accounting.model"),
        ("carbonbridge.tourism.bill", "carbonbridge.tourism.model"),
        ("carbonbridge.ledger.service.appends", "carbonbridge.ledger.store"),
    )
    assert bool(_check(BoundaryContract, graph)) is broken

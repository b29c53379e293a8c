"""Schemathesis over the whole OpenAPI document, on the real app and a real database, as admin,
regulator, an organisation's reporter and the public (issue 9 §8): no 5xx, every response's
status documented, its content type, headers and body conforming to the document. Every operation
the app mounts is covered, including ones added later.

Cases come from schemathesis's Python API (``APIOperation.as_strategy``, driven by hypothesis),
schema-conforming and schema-violating, ``EXAMPLES`` of each per operation and caller (more with
``slow``). Its pytest integration for fixtures (``schemathesis.pytest.from_fixture``) sets
``request.node._nodeid``, which pytest 9 no longer has; the app needs the database fixture, so
the cases are drawn here directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.platform.app import create_app
from carbonbridge.platform.settings import Settings
from carbonbridge.registry.units import service as movements
from tests.platform.conformance_world import ConformanceWorld, build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CALLERS = ["admin", "regulator", "reporter", "public"]
EXAMPLES = 5
#: the slow run (CI, after ``make test``): five times as many cases per operation and caller
SLOW_EXAMPLES = 25


@pytest.fixture
def api_schema(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> Iterator[tuple[Any, ConformanceWorld]]:
    world = build_world(sessions)
    app = create_app(Settings(data_dir=tmp_path), engine)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), world
    movements.stop_group_commits()


_FREE_TEXT = {"type": "string"}


def _negatable(operation: Any) -> bool:
    """Whether a request can break the operation's schema at all: a body, or a parameter that is
    more than free text (an operation of free-text path parameters alone has no negative case,
    and hypothesis would spend ~460 draws to find that out)."""
    if operation.body:
        return True
    for parameter in operation.iter_parameters():
        declared = {
            k: v
            for k, v in parameter.definition.get("schema", {}).items()
            if k not in ("title", "description")
        }
        if declared != _FREE_TEXT:
            return True
    return False


def _strategies(
    operation: Any, headers: dict[str, str], known: dict[str, str | int]
) -> list[tuple[str, Any]]:
    """Schema-conforming cases, schema-violating ones (where anything can violate it), and
    conforming ones whose path parameters name the stored data (e.g. the reporter's own
    organisation), which reach the use cases beyond a 404."""
    found = [("positive", operation.as_strategy(GenerationMode.POSITIVE, headers=dict(headers)))]
    if _negatable(operation):
        found.append(("negative", operation.as_strategy(GenerationMode.NEGATIVE, headers=dict(headers))))
    named = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    if named:
        strategy = operation.as_strategy(
            GenerationMode.POSITIVE, headers=dict(headers), path_parameters=named
        )
        found.append(("stored data", strategy))
    return found


def _failures(schema: Any, world: ConformanceWorld, caller: str, examples: int) -> list[str]:
    """Run every operation's cases; the failures, one line each (operation, kind, what)."""
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for kind, strategy in _strategies(operation, world.callers[caller], world.path_values):

            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: Any) -> None:
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to negate (e.g. only free-text parameters): no negative case
            except (Exception, FailureGroup) as exc:  # every operation is run, all failures reported
                found.append(f"{operation.label} [{kind}]: {exc}")
    return found


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_conforms_to_the_openapi_document(
    api_schema: tuple[Any, ConformanceWorld], caller: str
) -> None:
    schema, world = api_schema
    failures = _failures(schema, world, caller, EXAMPLES)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_conforms_with_more_examples(
    api_schema: tuple[Any, ConformanceWorld], caller: str
) -> None:
    schema, world = api_schema
    failures = _failures(schema, world, caller, SLOW_EXAMPLES)
    assert not failures, "\n\n".join(failures)

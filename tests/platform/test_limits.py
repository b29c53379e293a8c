"""Inputs past a bound are a 422 naming the field and the reason, never a 500 (issue 9 §3): each
input here was a 500 on SQLite or PostgreSQL (or both) before the shared bounds of
``kernel/bounds.py``; and every integer the API takes is bounded, every body checked, so a new
endpoint cannot bring one back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import service as accounting
from carbonbridge.accounting.model import Organisation, OrganisationKind
from carbonbridge.kernel.bounds import MAX_JSON_DEPTH, RequestBody, check_json
from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry.model import Retirement, Transfer, Units
from carbonbridge.registry.units import service as movements
from tests.platform.conformance_world import REPORTER_ORG, ROW, ConformanceWorld, build_world

PROBLEM = "application/problem+json"
HUGE = 2**64  # past 64 bits
PAST_EXACT = 2**53  # past I-JSON / RFC 8785


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> ConformanceWorld:
    return build_world(sessions)


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def _units(world: ConformanceWorld, **fields: Any) -> dict[str, Any]:
    return {"account_id": world.holding_account, "project_id": world.project_id, "vintage": 2024, **fields}


def _project(**fields: Any) -> dict[str, Any]:
    body = {
        "code": "LIM1",
        "organisation_id": REPORTER_ORG,
        "name_en": "Limits",
        "name_zh": "界限",
        "methodology": "CCER-14-002-V01",
        "region": "CN-HI",
    }
    return {**body, **fields}


def _refused(response: Any, location: list[Any]) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == "invalid-input"
    [issue] = [i for i in body["issues"] if i["location"][: len(location)] == location]
    assert issue["reason"]
    return issue


BODIES = {
    "activity row integer past 2^53": (
        "/api/v1/organisations/{org}/activity.json",
        lambda w: {"rows": [{**ROW, "quantity": PAST_EXACT}]},
        ["body", "rows", 0, "quantity"],
    ),
    "activity row nested 500 deep": (
        "/api/v1/organisations/{org}/activity.json",
        lambda w: {"rows": [{**ROW, "note": _deep(500)}]},
        ["body", "rows", 0, "note", *[0] * (MAX_JSON_DEPTH - 3)],
    ),
    "project parameters nested 500 deep": (
        "/api/v1/registry/projects",
        lambda w: _project(parameters={"strata": _deep(500)}),
        ["body", "parameters", "strata"],
    ),
    "calculator parameters nested 500 deep": (
        "/api/v1/methodologies/CCER-14-002-V01/calculate",
        lambda w: {"strata": _deep(500)},
        ["body", "strata"],
    ),
    "NUL in a project name": (
        "/api/v1/registry/projects",
        lambda w: _project(name_en="a\x00b"),
        ["body", "name_en"],
    ),
    "NUL in an organisation name": (
        "/api/v1/organisations",
        lambda w: {
            "id": "nul-org",
            "name_en": "NUL\x00 Ltd",
            "name_zh": "空",
            "kind": "hotel",
            "region": "CN-HI",
            "facilities": [{"id": "nul-hq", "name": "hq", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
        },
        ["body", "name_en"],
    ),
    "NUL in a beneficiary": (
        "/api/v1/registry/retirements",
        lambda w: _units(w, quantity=1, beneficiary="x\x00", purpose="p"),
        ["body", "beneficiary"],
    ),
    "planned quantity past 64 bits": (
        "/api/v1/registry/projects/{project}/planned-issuances",
        lambda w: {"vintage": 2025, "quantity": HUGE, "basis": "estimate"},
        ["body", "quantity"],
    ),
    "planned vintage past 32 bits": (
        "/api/v1/registry/projects/{project}/planned-issuances",
        lambda w: {"vintage": 2**31, "quantity": 1, "basis": "estimate"},
        ["body", "vintage"],
    ),
    "retirement vintage past 32 bits": (
        "/api/v1/registry/retirements",
        lambda w: _units(w, vintage=2**31, quantity=1, beneficiary="b", purpose="p"),
        ["body", "vintage"],
    ),
    "transfer end past 64 bits": (
        "/api/v1/registry/transfers",
        lambda w: _units(w, start=1, end=HUGE, to_account_id="x"),
        ["body", "end"],
    ),
    "export end past 64 bits": (
        "/api/v1/registry/exports",
        lambda w: _units(w, start=1, end=HUGE, destination_registry="V", destination_account="a", reason="r"),
        ["body", "end"],
    ),
    "a float that is not finite": (
        "/api/v1/inventory/compute",
        lambda w: {"facilities": [], "rows": [{"quantity": float("inf")}]},
        ["body", "rows", 0, "quantity"],
    ),
}


@pytest.mark.parametrize("case", list(BODIES), ids=list(BODIES))
def test_a_body_past_a_bound_is_a_422_naming_the_field(
    app_client: Any, world: ConformanceWorld, case: str
) -> None:
    url, body, location = BODIES[case]
    path = url.format(org=REPORTER_ORG, project=world.project_id)
    content = json.dumps(body(world), allow_nan=True)
    headers = {**world.callers["admin"], "content-type": "application/json"}
    _refused(app_client.post(path, content=content, headers=headers), location)


PATHS = {
    "finalise year past 64 bits": (
        "post",
        f"/api/v1/organisations/{REPORTER_ORG}/inventory/{HUGE}/finalise",
        {},
    ),
    "finalise year past 32 bits": (
        "post",
        f"/api/v1/organisations/{REPORTER_ORG}/inventory/{2**40}/finalise",
        {},
    ),
    "verification year past 64 bits": (
        "post",
        f"/api/v1/organisations/{REPORTER_ORG}/inventory/{HUGE}/verification",
        {"opinion": "qualified", "statement": "s"},
    ),
    "receipt index past 64 bits": ("get", f"/api/v1/ledger/entries/{HUGE}/receipt", None),
    "receipt index 2^63": ("get", f"/api/v1/ledger/entries/{2**63}/receipt", None),
    "inclusion proof index past 64 bits": (
        "get",
        f"/api/v1/ledger/proof/inclusion?index={HUGE}&size=1",
        None,
    ),
    "compliance period past 32 bits": ("get", f"/api/v1/registry/compliance/{REPORTER_ORG}/{2**40}", None),
    "serial past 2^53": ("get", f"/api/v1/registry/serials/CB-CN-HI-CONF1-2024-1-{HUGE}", None),
    "serial of thousands of digits": (
        "get",
        "/api/v1/registry/serials/CB-CN-HI-CONF1-2024-1-" + "9" * 5000,
        None,
    ),
}


@pytest.mark.parametrize("case", list(PATHS), ids=list(PATHS))
def test_a_path_integer_past_a_bound_is_a_422(app_client: Any, world: ConformanceWorld, case: str) -> None:
    method, url, body = PATHS[case]
    response = app_client.request(method.upper(), url, json=body, headers=world.callers["admin"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    [issue] = response.json()["issues"]
    assert issue["reason"]


@pytest.mark.parametrize("prefix", ["/log/tile/0/", "/log/tile/entries/"])
def test_a_tile_index_of_thousands_of_digits_is_not_found(app_client: Any, prefix: str) -> None:
    """c2sp.org/tlog-tiles: a well-formed index beyond the tree names no tile (404), however long."""
    response = app_client.get(prefix + "/".join(["x123"] * 2000 + ["456"]))
    assert response.status_code == 404
    assert response.json()["code"] == "ledger-tile-not-found"


def test_a_tile_level_of_thousands_of_digits_is_malformed(app_client: Any) -> None:
    response = app_client.get("/log/tile/" + "1" * 5000 + "/000")
    assert response.status_code == 422
    assert response.json()["code"] == "ledger-malformed-tile"


def _integer_schemas(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "integer":
            found.append((where, node))
        for key, value in node.items():
            found += _integer_schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += _integer_schemas(value, f"{where}[{n}]")
    return found


def test_every_integer_the_api_takes_is_bounded(app_client: Any) -> None:
    """Every integer parameter, and every integer in a request body, has a minimum and a maximum
    in the OpenAPI document (which FastAPI enforces), within what its column and the log hold."""
    spec = app_client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    inputs: list[tuple[str, Any]] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                inputs.append((f"{method} {path} {parameter['name']}", parameter["schema"]))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content["schema"].get("$ref", "")
                body = schemas[ref.rsplit("/", 1)[-1]] if ref else content["schema"]
                inputs.append((f"{method} {path} body", body))
                inputs += [(f"{method} {path} body", schemas[r.rsplit("/", 1)[-1]]) for r in _refs(body)]
    unbounded = [
        where
        for name, node in inputs
        for where, integer in _integer_schemas(node, name)
        if "minimum" not in integer or "maximum" not in integer or integer["maximum"] > 2**63 - 1
    ]
    assert unbounded == []


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_request_body_is_checked_against_the_json_limits(app_client: Any) -> None:
    """Every JSON body model derives from ``RequestBody`` (or is a ``JsonObject``), so its raw
    JSON is checked for depth, exact integers and NUL before any field is used."""
    unchecked = []
    for route in iter_route_contexts(app_client.app.routes):
        if not isinstance(route.original_route, APIRoute) or route.body_field is None:
            continue
        for field in route.dependant.body_params:
            annotation = field.field_info.annotation
            if getattr(field.field_info, "media_type", "") == "multipart/form-data":
                continue  # uploads: files, parsed by the use case
            checked = isinstance(annotation, type) and issubclass(annotation, RequestBody)
            checked = checked or any(
                getattr(m, "func", None) is check_json for m in field.field_info.metadata
            )
            if not checked:
                unchecked.append(f"{route.path_format} {field.name}: {annotation}")
    assert unchecked == []


def test_a_facility_id_of_another_organisation_is_a_conflict(
    app_client: Any, world: ConformanceWorld
) -> None:
    """Facility ids are unique across organisations: reusing one was an IntegrityError (500)."""
    org = {
        "id": "second-hotel",
        "name_en": "Second hotel",
        "name_zh": "第二酒店",
        "kind": "hotel",
        "region": "CN-HI",
        "facilities": [
            {"id": f"{REPORTER_ORG}-hq", "name": "hq", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}
        ],
    }
    response = app_client.post("/api/v1/organisations", json=org, headers=world.callers["regulator"])
    assert response.status_code == 409, response.text
    assert response.json()["issues"][0]["location"] == ["facilities", 0, "id"]
    twice = {**org, "facilities": [dict(org["facilities"][0], id="x"), dict(org["facilities"][0], id="x")]}
    response = app_client.post("/api/v1/organisations", json=twice, headers=world.callers["regulator"])
    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["location"] == ["facilities", 1, "id"]


def test_the_services_refuse_what_the_edge_refuses(
    sessions: sessionmaker[Session], world: ConformanceWorld
) -> None:
    """The web forms and the CLI reach the same services: a NUL in a name or beneficiary, and a
    vintage or serial past its bound, are refused there too (InvalidInput, nothing read or
    written with them), not raised by the database."""
    admin = Principal("u-limits", "admin", Role.ADMIN)
    units = Units(world.holding_account, world.project_id, 2024, quantity=1)
    refused = {
        "beneficiary": lambda: movements.retire(sessions, admin, Retirement(units, "a\x00", "p")),
        "vintage": lambda: movements.retire(
            sessions, admin, Retirement(replace(units, vintage=2**31), "b", "p")
        ),
        "end": lambda: movements.transfer(
            sessions,
            admin,
            Transfer(replace(units, quantity=None, start=1, end=2**63), world.holding_account),
        ),
        "name_en": lambda: accounting.register_organisation(
            sessions, admin, Organisation("nul", "a\x00", "空", OrganisationKind.HOTEL, "CN-HI"), []
        ),
    }
    for field, call in refused.items():
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.issues[0].location[-1] == field

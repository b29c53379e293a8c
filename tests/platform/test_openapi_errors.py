"""The OpenAPI document names every operation's error responses as problem+json (issue 9 §8),
derived from the routes (``platform/openapi.py``); a 405 carries ``Allow`` listing every method
the path serves."""

from __future__ import annotations

from typing import Any

import pytest

PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(app_client: Any) -> dict[str, Any]:
    document: dict[str, Any] = app_client.get("/api/v1/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items() if m in METHODS]


def test_every_error_response_is_problem_json(spec: dict[str, Any]) -> None:
    errors = [
        (method, path, status)
        for method, path, op in _operations(spec)
        for status, response in op["responses"].items()
        if status.startswith("4")
        and response.get("content") != {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    ]
    assert errors == []
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_operations_document_the_statuses_that_apply(spec: dict[str, Any]) -> None:
    """422 and 404 where there is input, 400 and 413 where there is a body; 401 and 403 where a
    token is needed or the caller is read (the registry's hot
    moves included); 409 where an authenticated caller may change state; none where none apply."""
    documented = {(m, p): set(op["responses"]) for m, p, op in _operations(spec)}
    assert documented[("post", "/api/v1/registry/retirements")] >= {"400", "401", "403", "404", "409", "422"}
    assert documented[("post", "/api/v1/registry/projects/{project_id}/reports")] >= {
        "401",
        "403",
        "404",
        "409",
        "422",
    }
    assert documented[("get", "/api/v1/organisations/{organisation_id}/inventory")] >= {
        "401",
        "403",
        "404",
        "422",
    }
    assert documented[("post", "/api/v1/organisations/{organisation_id}/activity")] >= {"413", "422"}
    assert documented[("get", "/api/v1/registry/projects/{project_id}")] == {"200", "404", "422"}
    assert documented[("post", "/api/v1/inventory/compute")] == {
        "200",
        "400",
        "404",
        "413",
        "422",
    }  # public: no 401/409; every body is capped (413)
    assert documented[("get", "/api/v1/health")] == {"200"}
    unauthenticated = spec["paths"]["/api/v1/me"]["get"]["responses"]["401"]
    assert unauthenticated["headers"]["WWW-Authenticate"]["required"] is True


def test_every_operation_with_input_documents_422_and_every_write_documents_401(spec: dict[str, Any]) -> None:
    missing = []
    for method, path, op in _operations(spec):
        has_input = op.get("parameters") or op.get("requestBody")
        if has_input and "422" not in op["responses"]:
            missing.append((method, path, "422"))
        if method != "get" and has_input and "409" in op["responses"] and "401" not in op["responses"]:
            missing.append((method, path, "401"))
    assert missing == []


def _unserved(item: dict[str, Any]) -> str:
    return next(m for m in ("delete", "patch", "put", "post") if m not in item)


def test_a_wrong_method_is_405_with_allow_listing_every_method_of_the_path(
    app_client: Any, spec: dict[str, Any]
) -> None:
    """Every path of the document, with a method it does not serve: 405 problem+json whose Allow
    names the document's methods for that path (and HEAD where a plain route serves GET)."""
    wrong = []
    for path, item in spec["paths"].items():
        url = path.replace("{path}", "0/000").replace("{", "").replace("}", "")
        response = app_client.request(_unserved(item).upper(), url)
        served = {m.upper() for m in item if m in METHODS}
        allow = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
        if (
            response.status_code != 405
            or not served <= allow <= served | {"HEAD"}
            or response.json()["code"] != "method-not-allowed"
        ):
            wrong.append((path, response.status_code, response.headers.get("allow")))
    assert wrong == [], "\n".join(map(str, wrong))


def test_allow_names_methods_served_by_different_routers(app_client: Any) -> None:
    """GET /registry/retirements (records) and POST (retire) live in two routers."""
    response = app_client.delete("/api/v1/registry/retirements")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_static_files_answer_405_with_allow(app_client: Any) -> None:
    response = app_client.post("/static/nowhere.css")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_user


def test_health_reports_the_backend(app_client: Any) -> None:
    response = app_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"] in {"sqlite", "postgresql"}


def test_unknown_route_is_problem_json(app_client: Any) -> None:
    response = app_client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/docs/errors#not-found"


def test_problem_title_follows_accept_language(app_client: Any) -> None:
    response = app_client.get("/api/v1/nowhere", headers={"Accept-Language": "zh-CN"})
    assert response.json()["title"] == "未找到"


def test_wrong_method_is_problem_json(app_client: Any) -> None:
    response = app_client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.json()["code"] == "method-not-allowed"


def test_bad_bearer_token_is_401_with_challenge(app_client: Any) -> None:
    response = app_client.get("/api/v1/me", headers={"Authorization": "Bearer cb_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"


def test_malformed_authorization_header_is_401(app_client: Any) -> None:
    response = app_client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


def test_token_identifies_user_role_and_organisation(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    headers = make_user(sessions, "hotel-a", "reporter", organisation_id="org_a")
    response = app_client.get("/api/v1/me", headers=headers)
    assert response.json() == {"name": "hotel-a", "role": "reporter", "organisation_id": "org_a"}


def test_no_credentials_is_the_public(app_client: Any) -> None:
    assert app_client.get("/api/v1/me").json()["role"] == "public"


def test_openapi_is_served(app_client: Any) -> None:
    spec = app_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/health" in spec["paths"]


@pytest.mark.parametrize(
    "url", ["/api/v1/records/%00/explain", "/api/v1/factors/search?q=a%00b", "/registry/projects/x%00"]
)
def test_a_nul_byte_in_path_or_query_is_a_422_problem_not_a_500(app_client: Any, url: str) -> None:
    """PostgreSQL cannot store NUL in text; the platform refuses it before any route runs."""
    response = app_client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid-input"
    assert "%00" in response.json()["issues"][0]["reason"]

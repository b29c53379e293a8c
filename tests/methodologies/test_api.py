"""The methodologies through the API (public, stateless), on both database backends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def test_list_is_public(app_client: Any) -> None:
    response = app_client.get("/api/v1/methodologies")
    assert response.status_code == 200
    refs = {m["ref"] for m in response.json()}
    assert refs == {"CCER-14-002-V01@V01", "AMS-I.B@13.0", "AMS-III.C@16.0", "DR-AVOIDED@0.1"}


def test_detail_carries_the_example(app_client: Any) -> None:
    body = app_client.get("/api/v1/methodologies/CCER-14-002-V01").json()
    assert body["kind"] == "removal"
    assert body["title_zh"] == "红树林营造（CCER-14-002-V01）"
    assert len(body["example"]["strata"]) == 2


def test_calculate_returns_lines_and_flags(app_client: Any) -> None:
    """The Ghana claim (1.6 t per mu-year ≈ 597.8 L of diesel per mu) through the API is blocked."""
    params = {
        "irrigated_area": {"value": "1", "unit": "mu"},
        "head_m": "30",
        "baseline": {"route": "diesel_litres", "diesel_litres": "597.8"},
    }
    response = app_client.post("/api/v1/methodologies/AMS-I.B/calculate", json=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert Decimal(body["net_t"]).quantize(Decimal("0.01")) == Decimal("1.60")
    assert {f["check"] for f in body["flags"] if f["severity"] == "implausible"} >= {
        "diesel_per_area",
        "water_depth",
    }
    assert all(line["equation"] for line in body["lines"])


def test_bad_parameters_are_a_422_problem_naming_the_path(app_client: Any) -> None:
    response = app_client.post("/api/v1/methodologies/AMS-III.C/calculate", json={"region": "CN-GRID-SOUTH"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    locations = {".".join(str(p) for p in i["location"]) for i in response.json()["issues"]}
    assert {"year", "distance_km", "project"} <= locations


def test_unknown_methodology_is_a_404_problem(app_client: Any) -> None:
    response = app_client.post("/api/v1/methodologies/VM0042/calculate", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


def test_a_bad_parameter_is_named_with_its_value_and_reason(app_client: Any) -> None:
    """The typed parameters' errors reach the API as they are: path, value, reason (with the unit)."""
    params = {
        "irrigated_area": {"value": "100", "unit": "acre"},
        "head_m": "-30",
        "baseline": {"route": "pumped_volume", "volume_m3": "40000"},
    }
    response = app_client.post("/api/v1/methodologies/AMS-I.B/calculate", json=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid-input"
    assert body["detail"] == "invalid parameters for AMS-I.B@13.0"
    assert body["issues"] == [
        {"location": ["irrigated_area", "unit"], "value": "acre", "reason": "must be one of ha, mu"},
        {"location": ["head_m"], "value": "-30", "reason": "must be > 0 m"},
    ]

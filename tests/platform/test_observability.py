"""Request ids, the structured request log and ``/metrics`` (issue 9 §8)."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.platform.app import create_app
from carbonbridge.platform.serving import log_config
from carbonbridge.platform.settings import Settings
from tests.conftest import make_user

REQUESTS = "carbonbridge.requests"


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == REQUESTS]


def test_every_response_carries_a_request_id_and_a_callers_well_formed_id_is_kept(app_client: Any) -> None:
    generated = app_client.get("/api/v1/health")
    given = app_client.get("/api/v1/health", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    malformed = app_client.get("/api/v1/health", headers={"X-Request-ID": "bad id\tsecret=x"})

    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert given.headers["x-request-id"] == "lb-7f3a9c2e-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", malformed.headers["x-request-id"])


def test_one_json_line_per_request_with_the_route_template_status_and_role(
    app_client: Any, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    regulator = make_user(sessions, "office-log", "regulator")
    caplog.set_level(logging.INFO, logger=REQUESTS)

    me = app_client.get("/api/v1/me", headers={**regulator, "X-Request-ID": "req-me-000001"})
    receipt = app_client.get("/api/v1/ledger/entries/123456/receipt?size=9")
    nowhere = app_client.get("/no/such/page/42")

    assert (me.status_code, receipt.status_code, nowhere.status_code) == (200, 404, 404)
    lines = _lines(caplog)
    assert [(ln["method"], ln["route"], ln["status"], ln["auth"], ln["role"]) for ln in lines] == [
        ("GET", "/api/v1/me", 200, "bearer", "regulator"),
        ("GET", "/api/v1/ledger/entries/{index}/receipt", 404, "none", "public"),
        ("GET", "unmatched", 404, "none", "public"),
    ]
    assert lines[0]["request_id"] == "req-me-000001"
    assert [ln["request_id"] for ln in lines[1:]] == [
        receipt.headers["x-request-id"],
        nowhere.headers["x-request-id"],
    ]
    assert all(isinstance(ln["duration_ms"], float) and ln["duration_ms"] >= 0 for ln in lines)
    assert set(lines[0]) == {
        "event",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "auth",
        "role",
    }


def test_a_500_gives_its_request_id_in_the_body_the_header_and_the_logs(
    app_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("a bug")

    app_client.app.add_api_route("/test-only/explode/{n}", explode, methods=["GET"])
    caplog.set_level(logging.INFO)

    response = app_client.get("/test-only/explode/7", headers={"X-Request-ID": "req-boom-0001"})

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["code"], body["request_id"]) == ("internal", "req-boom-0001")
    assert response.headers["x-request-id"] == "req-boom-0001"
    [line] = _lines(caplog)
    assert (line["route"], line["status"], line["request_id"]) == (
        "/test-only/explode/{n}",
        500,
        "req-boom-0001",
    )
    [error] = [r for r in caplog.records if r.name == "carbonbridge.api"]
    assert "req-boom-0001" in error.getMessage()
    assert error.exc_info is not None


def test_metrics_count_requests_by_route_template_never_by_raw_path(app_client: Any) -> None:
    serial = "CB-CN-HI-ZZMETRICS9-2024-1-5"
    assert app_client.get(f"/api/v1/registry/serials/{serial}").status_code in (404, 422)
    app_client.get("/api/v1/health")

    metrics = app_client.get("/metrics")

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert "ZZMETRICS9" not in text
    assert re.search(
        r'carbonbridge_http_requests_total\{method="GET",'
        r'route="/api/v1/registry/serials/\{serial\}",status="4\d\d"\} [1-9]',
        text,
    )
    assert re.search(
        r'carbonbridge_http_request_duration_seconds_count\{method="GET",route="/api/v1/health"\} [1-9]', text
    )
    assert re.search(r"^carbonbridge_log_tree_size \d+", text, re.MULTILINE)


def test_metrics_need_the_token_when_one_is_set(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    app = create_app(Settings(data_dir=tmp_path, metrics_token="scrape-secret-1"), engine)
    with TestClient(app) as client:
        anonymous = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-2"})
        right = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
    assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert anonymous.json()["code"] == "unauthenticated"
    assert "carbonbridge_http_requests_total" in right.text


def test_the_served_log_configuration_writes_bare_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    from uvicorn.config import LOGGING_CONFIG

    logging.config.dictConfig(log_config(LOGGING_CONFIG))
    try:
        logging.getLogger(REQUESTS).info('{"event": "request"}')
        assert capsys.readouterr().err == '{"event": "request"}\n'
        logging.config.dictConfig(log_config(LOGGING_CONFIG, request_log=False))
        logging.getLogger(REQUESTS).info('{"event": "request"}')
        assert capsys.readouterr().err == ""
    finally:
        for name in (REQUESTS, "carbonbridge", "uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
            logger.setLevel(logging.NOTSET)

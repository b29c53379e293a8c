"""Authorisation before the body: an anonymous request to an operation that needs a token gets 401
before its body is read or a parameter checked (never 422 or 413); every body is capped, streamed."""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting.store import ActivityRow
from carbonbridge.platform.app import create_app
from carbonbridge.platform.settings import Settings
from tests.conftest import make_user

#: the operations anyone may call without a token (``@public``): every other one needs a token
PUBLIC_OPERATIONS = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/factors"),
    ("get", "/api/v1/factors/datasets"),
    ("get", "/api/v1/factors/resolve"),
    ("post", "/api/v1/inventory/compute"),
    ("post", "/api/v1/inventory/compute-file"),
    ("get", "/api/v1/inventory/region"),
    ("get", "/api/v1/reporting/status"),
    ("get", "/api/v1/activity-template.csv"),
    ("get", "/api/v1/activity-template.xlsx"),
    ("get", "/api/v1/ledger/checkpoint"),
    ("get", "/api/v1/ledger/key"),
    ("get", "/api/v1/ledger/entries/{index}/receipt"),
    ("get", "/api/v1/ledger/proof/inclusion"),
    ("get", "/api/v1/ledger/proof/consistency"),
    ("get", "/api/v1/methodologies"),
    ("get", "/api/v1/methodologies/{ref}"),
    ("post", "/api/v1/methodologies/{ref}/calculate"),
    ("get", "/api/v1/registry/projects"),
    ("get", "/api/v1/registry/projects/{project_id}"),
    ("get", "/api/v1/registry/retirements"),
    ("get", "/api/v1/registry/serials/{serial}"),
    ("get", "/api/v1/registry/recognition"),
    ("post", "/api/v1/tourism/bills"),
    ("get", "/api/v1/tourism/bills/{bill_id}"),
    ("get", "/api/v1/tourism/pools/{pool_id}"),
    ("get", "/api/v1/markets/auctions"),
    ("get", "/api/v1/markets/auctions/{auction_id}"),
    ("get", "/api/v1/markets/auctions/{auction_id}/result"),
    ("get", "/log/checkpoint"),
    ("get", "/log/tile/entries/{path}"),
    ("get", "/log/tile/{path}"),
}
#: the web forms anyone may post
PUBLIC_FORMS = {"/login", "/logout", "/methodologies/{ref}", "/inventory/compute", "/tourism"}
MALFORMED_JSON = b'{"rows": [1, 2,'
MIB = 1024 * 1024


def _operations(client: Any) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [(method, path) for path, item in spec["paths"].items() for method in item]


def _malformed(client: Any, method: str, template: str) -> Any:
    """An anonymous request with every path parameter, the query and the body malformed."""
    path = re.sub(r"\{[^}]+\}", "x" * 30 + "%25", template)
    return client.request(
        method,
        path + "?year=not-a-year&index=-1&period=x&standard=&limit=0",
        content=MALFORMED_JSON,
        headers={"Content-Type": "application/json"},
    )


def test_every_protected_operation_answers_an_anonymous_malformed_request_with_401(app_client: Any) -> None:
    """Across the whole OpenAPI document: 401 problem+json with the bearer challenge, not the 422
    the malformed body or parameters would earn, for every operation that is not public."""
    operations = _operations(app_client)
    assert set(operations) >= PUBLIC_OPERATIONS
    protected = [op for op in operations if op not in PUBLIC_OPERATIONS]
    assert len(protected) >= 40
    wrong = {}
    for method, template in protected:
        response = _malformed(app_client, method, template)
        if response.status_code != 401 or response.json().get("code") != "unauthenticated":
            wrong[f"{method.upper()} {template}"] = (response.status_code, response.text[:120])
        else:
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"] == "application/problem+json"
    assert wrong == {}


def test_public_operations_do_not_ask_for_a_token(app_client: Any) -> None:
    """The public operations answer an anonymous malformed request on its merits (422, 404, ...)."""
    for method, template in sorted(PUBLIC_OPERATIONS):
        response = _malformed(app_client, method, template)
        assert response.status_code != 401, (method, template, response.text[:200])
        assert response.status_code < 500, (method, template, response.text[:200])


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        if included is not None:
            yield from _routes(included.routes)


def test_every_web_form_refuses_an_anonymous_post_with_a_401_page(app_client: Any) -> None:
    """Every page that takes a form post, found in the app's routes: an anonymous post gets the
    'log in first' page (HTML, 401), its body unread."""
    forms = {
        r.path
        for r in _routes(app_client.app.routes)
        if "POST" in (r.methods or ()) and not r.include_in_schema
    }
    assert forms >= PUBLIC_FORMS
    assert len(forms - PUBLIC_FORMS) >= 12
    for template in sorted(forms - PUBLIC_FORMS):
        path = re.sub(r"\{[^}]+\}", "x", template)
        response = app_client.post(path + "?lang=en", content=b"year=abc&" * 10, follow_redirects=False)
        assert response.status_code == 401, (template, response.text[:200])
        assert response.headers["content-type"].startswith("text/html")
        assert "Please log in first" in response.text


# --- bodies: read only as far as the caller and the cap allow ---------------------------------


class _Body:
    """An ASGI request body of ``chunks`` chunks of 1 MiB, produced as the app asks for them."""

    def __init__(self, chunks: int, head: bytes = b"", tail: bytes = b"") -> None:
        self.chunks, self.head, self.tail = chunks, head, tail
        self.read = 0

    async def receive(self) -> dict[str, Any]:
        if self.read == self.chunks:
            return {"type": "http.request", "body": self.tail, "more_body": False}
        self.read += 1
        body = self.head + b"a" * MIB if self.read == 1 else b"a" * MIB
        return {"type": "http.request", "body": body, "more_body": True}


BOUNDARY = "cbboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
    "Content-Type: text/csv\r\n\r\n"
).encode()
PART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def _send(
    app: FastAPI, path: str, body: _Body, headers: dict[str, str], declare_length: bool
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``app`` over ASGI; the status, headers and body of the answer."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if declare_length:
        length = len(body.head) + body.chunks * MIB + len(body.tail)
        raw.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"lang=en",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", MULTIPART.encode()), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    asyncio.run(app(scope, body.receive, send))
    return answer["status"], answer["headers"], answer["body"]


@pytest.fixture
def small_cap_app(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> FastAPI:
    """The app with a 4 MiB body cap, on the backend's database."""
    return create_app(Settings(data_dir=tmp_path, max_upload_bytes=4 * MIB), engine)


@pytest.fixture
def reporter(app_client: Any, sessions: sessionmaker[Session]) -> dict[str, str]:
    regulator = make_user(sessions, "regulator", "regulator")
    organisation = {
        "id": "hotel-a",
        "name_en": "Hotel A",
        "name_zh": "甲酒店",
        "kind": "hotel",
        "region": "CN-HI",
        "facilities": [{"id": "hq", "name": "HQ", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
    }
    assert app_client.post("/api/v1/organisations", json=organisation, headers=regulator).status_code == 201
    return make_user(sessions, "hotel-a-user", "reporter", "hotel-a")


def _stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ActivityRow)) or 0)


@pytest.mark.parametrize("path", ["/api/v1/organisations/hotel-a/activity", "/organisations/hotel-a/upload"])
@pytest.mark.parametrize("declare_length", [True, False])
def test_an_anonymous_85_mib_upload_gets_401_with_its_body_unread(
    app_client: Any, path: str, declare_length: bool
) -> None:
    """The issue's 85 MB upload: read in full (9 s, 1 GB) before its 401; now refused before the
    first chunk is asked for, as API problem+json or as the web's 'log in first' page."""
    body = _Body(85, PART_HEAD, PART_TAIL)
    status, headers, text = _send(app_client.app, path, body, {}, declare_length)
    assert status == 401
    assert body.read == 0
    if path.startswith("/api/"):
        assert headers["content-type"] == "application/problem+json"
        assert b'"code":"unauthenticated"' in text
    else:
        assert headers["content-type"].startswith("text/html")
        assert b"Please log in first" in text


@pytest.mark.parametrize("path", ["/api/v1/organisations/hotel-a/activity", "/organisations/hotel-a/upload"])
def test_an_upload_by_someone_who_may_not_submit_gets_403_with_its_body_unread(
    app_client: Any, sessions: sessionmaker[Session], reporter: dict[str, str], path: str
) -> None:
    """A reporter of another organisation (API: bearer token; web: session cookie)."""
    other = make_user(sessions, "hotel-b-user", "reporter", "hotel-b")["Authorization"]
    token = other.removeprefix("Bearer ")
    headers = {"authorization": other} if path.startswith("/api/") else {"cookie": f"cb_session={token}"}
    body = _Body(85, PART_HEAD, PART_TAIL)
    status, _, text = _send(app_client.app, path, body, headers, declare_length=False)
    assert status == 403, text[:300]
    assert body.read == 0


@pytest.mark.parametrize("path", ["/api/v1/organisations/hotel-a/activity", "/organisations/hotel-a/upload"])
def test_an_oversized_upload_is_refused_at_the_cap_with_bounded_memory_and_nothing_stored(
    small_cap_app: FastAPI, reporter: dict[str, str], sessions: sessionmaker[Session], path: str
) -> None:
    """A reporter streams 85 MiB (no Content-Length) at a 4 MiB cap: 413 at the fourth chunk of
    1 MiB (with the part's header it crosses the cap), the rest unread; the request's peak Python
    allocations stay a fraction of the body; no row is stored; a browser gets a page."""
    token = reporter["Authorization"].removeprefix("Bearer ")
    headers = dict(reporter) if path.startswith("/api/") else {"cookie": f"cb_session={token}"}
    body = _Body(85, PART_HEAD, PART_TAIL)
    tracemalloc.start()
    try:
        status, response_headers, text = _send(small_cap_app, path, body, headers, declare_length=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413, text[:300]
    assert body.read == 4
    assert peak < 12 * MIB
    assert _stored(sessions) == 0
    if path.startswith("/api/"):
        assert b'"code":"too-large"' in text
        assert b"4 MiB" in text
    else:
        assert response_headers["content-type"].startswith("text/html")
        assert b"Request too large" in text
        assert b'<span id="limit">4 MiB</span>' in text


def test_a_declared_oversized_body_is_refused_before_a_byte_is_read(
    small_cap_app: FastAPI, reporter: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    body = _Body(85, PART_HEAD, PART_TAIL)
    status, _, text = _send(small_cap_app, "/api/v1/organisations/hotel-a/activity", body, reporter, True)
    assert status == 413
    assert body.read == 0
    assert b'"code":"too-large"' in text


def test_every_json_body_is_capped_too(small_cap_app: FastAPI, reporter: dict[str, str]) -> None:
    """A 85 MiB JSON document to a JSON operation: 413 at the cap, not parsed."""
    body = _Body(85, b'{"rows": ["', b'"]}')
    headers = {**reporter, "content-type": "application/json"}
    status, _, text = _send(
        small_cap_app, "/api/v1/organisations/hotel-a/activity.json", body, headers, False
    )
    assert status == 413, text[:300]
    assert body.read == 4


def test_an_upload_within_the_cap_is_accepted(
    app_client: Any, reporter: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    csv = (
        "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
        "hq,2024-01-01,2024-12-31,purchased_electricity,electricity.grid,1000,MWh,,\n"
    )
    files = {"file": ("a.csv", csv.encode(), "text/csv")}
    response = app_client.post("/api/v1/organisations/hotel-a/activity", files=files, headers=reporter)
    assert response.status_code == 201, response.text
    assert _stored(sessions) == 1


def test_an_upload_without_its_file_names_the_missing_part(app_client: Any, reporter: dict[str, str]) -> None:
    response = app_client.post(
        "/api/v1/organisations/hotel-a/activity",
        files={"other": ("a.csv", b"x", "text/csv")},
        headers=reporter,
    )
    assert response.status_code == 422
    assert response.json()["issues"][0]["location"] == ["file"]

"""Request ids, structured request logs and Prometheus metrics (``/metrics``).

One ASGI middleware (:class:`RequestObservation`) gives every HTTP request an id (the caller's
``X-Request-ID`` if well-formed, else a new one), echoes it in the response, and when the request
ends writes ONE JSON line to the ``carbonbridge.requests`` logger and counts it in Prometheus:

    {"event": "request", "request_id": "...", "method": "POST",
     "route": "/api/v1/registry/retirements", "status": 201, "duration_ms": 21.4,
     "auth": "bearer", "role": "developer"}

The line names the route *template*, never the raw path or query string, and carries no token,
cookie, password, body or name; ``role`` is the caller's role where the request resolved one
(``None`` on the group-committed move endpoints, which authenticate in the registry's writer).
A 500's problem+json body carries the same ``request_id`` (``platform/problems.py``).

Metrics, labelled by method, route template and status code (bounded label sets):
``carbonbridge_http_requests_total`` and ``carbonbridge_http_request_duration_seconds``, plus
``carbonbridge_log_tree_size``, read from the database when scraped. ``/metrics`` is public
unless ``CARBONBRIDGE_METRICS_TOKEN`` is set; then it needs ``Authorization: Bearer <token>``.
With several worker processes, ``carbonbridge serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh directory, so that any worker answers a scrape with every worker's counts.

Why not prometheus-fastapi-instrumentator's middleware: it matches each request against the whole
routing table a second time to find its template and builds a request and a response object per
request; measured on the registry's retirement path (an in-process ASGI loop), that added 60-300
µs to a ~360 µs request. Here the template is looked up after routing, by the endpoint the router
chose (one dictionary lookup), and the metrics are prometheus_client's own.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from time import perf_counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carbonbridge.kernel.errors import DependencyUnavailable, NotFound, Unauthenticated
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.optional import optional_module
from carbonbridge.platform.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
#: a caller's request id is echoed only if it is this plain (no spaces, quotes or newlines)
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
#: the route label of a request no route matched (never its raw path)
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

request_log = logging.getLogger("carbonbridge.requests")

#: the process's metrics (in multi-process mode their values live in PROMETHEUS_MULTIPROC_DIR)
METRICS = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "carbonbridge_http_requests",
    "HTTP requests answered, by method, route template and status code",
    ("method", "route", "status"),
    registry=METRICS,
)
LATENCY = Histogram(
    "carbonbridge_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template",
    ("method", "route"),
    buckets=_LATENCY_BUCKETS,
    registry=METRICS,
)


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The id :class:`RequestObservation` gave the request (``None`` outside it)."""
    state = scope.get("state")
    found = state.get("request_id") if isinstance(state, dict) else None
    return found if isinstance(found, str) else None


class RequestObservation:
    """ASGI middleware: request id, one structured log line and the metrics per HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._templates: dict[int, str] = {}
        self._routes_seen = -1
        # labelled children, found once (``labels()`` takes a lock and builds a tuple per call)
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._latencies: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id, auth = _read_headers(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        echoed = (b"x-request-id", request_id.encode("ascii"))
        status = 500  # unless a response starts: an exception escaping the app is a 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, request_id, auth, status, perf_counter() - started)

    def _observe(self, scope: Any, request_id: str, auth: str, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = self._template(scope)
        count = self._counts.get((method, route, status))
        if count is None:
            count = self._counts[method, route, status] = REQUESTS.labels(method, route, str(status))
        latency = self._latencies.get((method, route))
        if latency is None:
            latency = self._latencies[method, route] = LATENCY.labels(method, route)
        count.inc()
        latency.observe(seconds)
        if request_log.isEnabledFor(logging.INFO):
            state = scope.get("state") or {}
            role = "public" if auth == "none" else state.get("principal_role")
            # assembled from JSON-encoded parts (each value encoded once and kept) and handed to
            # the handlers directly: ``Logger.info`` would walk the stack for the caller's line
            line = (
                f'{{"event": "request", "request_id": "{request_id}", "method": "{method}", '
                f'"route": {_json(route)}, "status": {status}, "duration_ms": {seconds * 1000:.1f}, '
                f'"auth": "{auth}", "role": {_json(role)}}}'
            )
            request_log.handle(request_log.makeRecord(request_log.name, logging.INFO, "", 0, line, (), None))

    def _template(self, scope: Any) -> str:
        """The matched route's path template (``/api/v1/ledger/entries/{index}/receipt``), found by
        the endpoint the router put in the scope; :data:`UNMATCHED` when no route matched."""
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        found = self._templates.get(id(endpoint))
        if found is None:
            app = scope.get("app")
            routes = getattr(app, "routes", ())
            if len(routes) != self._routes_seen:  # routes were added since the map was built
                self._templates = _templates_by_endpoint(routes)
                self._routes_seen = len(routes)
            found = self._templates.get(id(endpoint), UNMATCHED)
        return found


_encoded: dict[str | None, str] = {}


def _json(value: str | None) -> str:
    """``json.dumps(value)``, remembered: the values are route templates and role names, a set
    fixed by the app's routes and :class:`~carbonbridge.platform.identity.Role`."""
    found = _encoded.get(value)
    if found is None:
        found = _encoded[value] = json.dumps(value, ensure_ascii=False)
    return found


def _templates_by_endpoint(routes: Iterable[Any]) -> dict[int, str]:
    templates: dict[int, str] = {}
    for context in iter_route_contexts(list(routes)):
        endpoint = getattr(context.original_route, "endpoint", None) or getattr(
            context.original_route, "app", None
        )
        if endpoint is not None and context.path is not None:
            templates.setdefault(id(endpoint), context.path)
    return templates


def _read_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    """The request id to use and how the caller authenticates (``bearer``, ``cookie``, ``none``),
    read without decoding or keeping any credential."""
    given = None
    auth = "none"
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            given = text if WELL_FORMED_REQUEST_ID.fullmatch(text) else None
        elif name == b"authorization":
            auth = "bearer"
        elif name == b"cookie" and auth == "none" and b"cb_session=" in value:
            auth = "cookie"
    return given or secrets.token_hex(16), auth


class _LogSize(Collector):
    """``carbonbridge_log_tree_size``: the transparency log's size, read when scraped."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterable[GaugeMetricFamily]:
        ledger = optional_module("carbonbridge.ledger.service")
        family = GaugeMetricFamily("carbonbridge_log_tree_size", "Entries in the transparency log")
        if ledger is None:
            return []
        try:
            with unit_of_work(self.app.state.sessions) as session:
                size = int(ledger.latest_checkpoint_in(session)[0])
        except NotFound:  # a log that has signed nothing yet
            size = 0
        except DependencyUnavailable as exc:  # the scrape still answers, without this gauge
            logging.getLogger("carbonbridge.metrics").warning("log size unavailable: %s", exc)
            return []
        family.add_metric([], size)
        return [family]


def _exposition(app: FastAPI) -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every worker's counts
    else:
        registry.register(_Metrics())
    registry.register(_LogSize(app))
    return generate_latest(registry)


class _Metrics(Collector):
    """This process's request metrics."""

    def collect(self) -> Iterable[Any]:
        return METRICS.collect()


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware and ``GET /metrics`` (public unless ``settings.metrics_token``)."""
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    async def metrics(request: Request) -> Response:
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
                raise Unauthenticated("/metrics needs Authorization: Bearer <CARBONBRIDGE_METRICS_TOKEN>")
        body = await run_in_threadpool(_exposition, app)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(RequestObservation)

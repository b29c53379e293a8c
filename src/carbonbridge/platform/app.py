"""The FastAPI application: mounts every context's API under ``/api/v1`` and its web pages."""

from __future__ import annotations

import gc
import logging
import os
import time
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from carbonbridge.platform import observability, problems
from carbonbridge.platform import web as shell
from carbonbridge.platform.api import router as platform_router
from carbonbridge.platform.apidocs import docs_router
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.optional import optional_module
from carbonbridge.platform.settings import Settings, get_settings

#: contexts that contribute ``api.router`` and/or ``web.router`` (imported when present)
CONTEXTS = (
    "factors",
    "accounting",
    "ledger",
    "methodologies",
    "registry",
    "tourism",
    "markets.auctions",
    "overview",
)


def _optional_router(module: str) -> APIRouter | None:
    mod = optional_module(module)
    if mod is None:
        return None
    router: APIRouter = mod.router
    return router


API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine is created once here, never per request."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.resolved_database_url(), synchronous=settings.sqlite_synchronous)
    app = FastAPI(
        title="carbonbridge",
        version="0.1.0",
        description="Regional carbon management platform: MRV, transparency log, credits, markets.",
        openapi_url=OPENAPI_URL,
        docs_url=None,  # served from the installation's own assets (platform/apidocs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    ledger_keys = optional_module("carbonbridge.ledger.service.keys")
    if ledger_keys is not None:
        ledger_keys.use_settings(settings)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    problems.install(app)
    # each context's API directly under /api/v1 (one router level less to match per request),
    # the contexts' hot write paths (``hot_router``) first
    for context in CONTEXTS:
        mod = optional_module(f"carbonbridge.{context}.api")
        hot = getattr(mod, "hot_router", None) if mod is not None else None
        if isinstance(hot, APIRouter):
            app.include_router(hot, prefix=API_PREFIX)
    app.include_router(platform_router, prefix=API_PREFIX)
    for context in CONTEXTS:
        router = _optional_router(f"carbonbridge.{context}.api")
        if router is not None:
            app.include_router(router, prefix=API_PREFIX)
    # public read paths outside /api/v1 (e.g. the transparency log's C2SP tlog-tiles at /log)
    for context in CONTEXTS:
        mod = optional_module(f"carbonbridge.{context}.api")
        extra = getattr(mod, "log_router", None) if mod is not None else None
        if isinstance(extra, APIRouter):
            app.include_router(extra)
        # hot read paths a context wants answered before the rest of the routing table
        app.router.routes[0:0] = list(getattr(mod, "fast_routes", []) if mod is not None else [])
    app.include_router(docs_router(OPENAPI_URL, app.title))
    app.include_router(shell.router)
    for context in CONTEXTS:
        router = _optional_router(f"carbonbridge.{context}.web")
        if router is not None:
            app.include_router(router)
    static = Path(str(resources.files("carbonbridge.platform"))) / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    observability.install(app, settings)  # request ids, request log, /metrics (outermost middleware)
    return app


#: the cyclic garbage collector's first-generation threshold while serving (CPython's default 700)
SERVING_GC_THRESHOLD = 50_000


def prepare_for_serving() -> None:
    """Tune the cyclic garbage collector for a long-running server, once the app is built:
    ``gc.freeze()`` moves every object alive after start-up (modules, routes, schemas, factor
    datasets) out of the collector's reach, so a full (generation 2) collection no longer walks
    them, and the first-generation threshold is raised to :data:`SERVING_GC_THRESHOLD` (the
    request path frees nearly everything by reference counting; the collector only finds cycles).
    Measured on the REST retirement benchmark (50 closed-loop clients, quiet machine): with
    CPython's defaults, 19 full collections in 12 s took up to 126 ms each and p99 was 138–180
    ms; with both, p99 46–56 ms at 1,350–1,590 requests/s (``docs/registry.md``). Objects in
    cycles are still collected, only less often; frozen start-up objects are never freed, which
    is what a server process wants."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(SERVING_GC_THRESHOLD, gen1, gen2)


def create_served_app() -> FastAPI:
    """The app for a server process (uvicorn ``--factory``, e.g. each of several workers):
    :func:`create_app` from the environment's settings, then :func:`prepare_for_serving`."""
    started = time.perf_counter()
    app = create_app()
    prepare_for_serving()
    logging.getLogger("carbonbridge.serving").info(
        "worker %d: app built in %.1f s (platform/serving.py)", os.getpid(), time.perf_counter() - started
    )
    return app

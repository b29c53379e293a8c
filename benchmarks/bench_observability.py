"""What request ids, metrics and the request log cost per request (issue 9 §8), in CPU time.

The platform's app is called in-process (an ASGI loop, no network, no server) with the API's
retirement request carrying an empty body, which FastAPI answers 422 before any database work: the
cheapest request the hot path sees, so the middleware's share is the largest it can be. Measured,
interleaved, ``--rounds`` times each, as CPU microseconds per request (``time.process_time``:
what other tenants of a shared machine disturb least):

* ``without``: the app without :class:`~carbonbridge.platform.observability.RequestObservation`;
* ``metrics``: with it, the request log off (``serve --no-access-log``);
* ``metrics + log``: with it and the request log written to a file, as ``carbonbridge serve``
  configures it (``platform/serving.py``);
* ``instrumentator``: without it, but with prometheus-fastapi-instrumentator's middleware (the
  library the issue suggested; for comparison).

Prints the medians and the differences; a successful REST retirement costs about 400 µs of
server CPU (``benchmarks/bench_registry_api.py`` prints its own figure).

    python -m benchmarks.bench_observability [--requests 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import logging.config
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from carbonbridge.platform.app import create_app
from carbonbridge.platform.serving import log_config
from carbonbridge.platform.settings import Settings

PATH = "/api/v1/registry/retirements"


def build(kind: str, data: Path) -> FastAPI:
    app = create_app(Settings(data_dir=data))
    if kind in ("without", "instrumentator"):
        app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ != "RequestObservation"]
    if kind == "instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator(registry=CollectorRegistry()).instrument(app)
    return app


async def _calls(app: Any, n: int) -> float:
    """CPU seconds per call of ``n`` POSTs of ``{}`` to the retirement endpoint."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"x"), (b"content-type", b"application/json"), (b"content-length", b"2")],
        "client": ("127.0.0.1", 1),
        "server": ("x", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(_message: Any) -> None:
        return None

    start = time.process_time()
    for _ in range(n):
        await app(dict(scope, state={}), receive, send)
    return (time.process_time() - start) / n


def request_log_to(path: Path, on: bool) -> Callable[[], None]:
    """Configure logging as ``serve`` does, the request log going to ``path``; return an undo."""
    from uvicorn.config import LOGGING_CONFIG

    config = log_config(LOGGING_CONFIG, request_log=on)
    config["handlers"]["carbonbridge_stderr"] = {
        "class": "logging.FileHandler",
        "formatter": "carbonbridge_line",
        "filename": str(path),
    }
    logging.config.dictConfig(config)

    def undo() -> None:
        logger = logging.getLogger("carbonbridge.requests")
        for handler in logger.handlers:
            handler.close()
        logger.handlers.clear()

    return undo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kinds = {"without": False, "metrics": False, "metrics + log": True, "instrumentator": False}
    figures: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        apps = {k: build("metrics" if k.startswith("metrics") else k, Path(tmp) / k) for k in kinds}
        gc.collect()
        gc.freeze()
        for _ in range(args.rounds):
            for kind, log_on in kinds.items():
                undo = request_log_to(Path(tmp) / "requests.log", log_on)
                try:
                    asyncio.run(_calls(apps[kind], 200))  # warm: route map, labelled metrics
                    figures[kind].append(asyncio.run(_calls(apps[kind], args.requests)) * 1e6)
                finally:
                    undo()
    base = statistics.median(figures["without"])
    print(f"CPU per request, {PATH} answered 422 in-process, median of {args.rounds} rounds:")
    for kind, values in figures.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}–{max(values):.0f}"
        print(f"  {kind:<15} {median:6.1f} µs ({spread}); {median - base:+6.1f} µs against without")


if __name__ == "__main__":
    main()

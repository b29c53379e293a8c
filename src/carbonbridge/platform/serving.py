"""How ``carbonbridge serve`` runs uvicorn: its logging, and worker processes that do not flap.

**Workers.** With ``--workers N`` uvicorn's supervisor *spawns* N fresh interpreters (never
forks, so nothing built in the parent can be shared) and pings each through a pipe every half
second; a worker that has not answered within ``timeout_worker_healthcheck`` seconds (uvicorn's
default: 5) is killed and replaced ("Child process [...] died"). A worker answers only once its
ping thread runs, and that starts after the child has re-imported the parent's main module (the
``carbonbridge`` console script, i.e. the whole CLI: SQLAlchemy, Alembic, Typer, Rich), and the
app is built after that: 2.8 s of CPU per worker up to a built app, 7-9 s of wall time on the
2-core development machine at a load average of 13, the app alone 6-21 s. uvicorn's 5 s then
kill a loaded start's workers, and their replacements again: issue 9 counted 17 deaths over 5
starts, and ``tests/platform/test_serve_workers.py`` (two busy processes per CPU) saw a worker die
on the code before this change. Nothing in the application hangs; the start is just slower than
5 s on a busy machine. So ``serve`` gives uvicorn's documented option a value that covers a
loaded start, :data:`WORKER_HEALTHCHECK_TIMEOUT` (``--worker-healthcheck-timeout``). Since the
ping is answered by its own thread, a longer timeout only delays noticing a worker whose whole
process is stuck; one that exits is noticed at once (``Process.is_alive``).

**Logs.** uvicorn's own access log is off: it prints raw paths and query strings (which may carry
names or search text). The request log of :mod:`carbonbridge.platform.observability` replaces it:
one JSON line per request on stderr (``--no-access-log`` turns it off).
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: ``carbonbridge --help`` imports this module for a default
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from carbonbridge.platform.settings import Settings

#: seconds a worker may take to answer uvicorn's health check (uvicorn's default is 5)
WORKER_HEALTHCHECK_TIMEOUT = 60


def uvicorn_options(request_log: bool) -> dict[str, Any]:
    """``uvicorn.run`` keyword arguments for the platform's logging."""
    from uvicorn.config import LOGGING_CONFIG

    return {"log_level": "info", "access_log": False, "log_config": log_config(LOGGING_CONFIG, request_log)}


def log_config(base: dict[str, Any], request_log: bool = True) -> dict[str, Any]:
    """uvicorn's logging configuration (``base``, its ``LOGGING_CONFIG``) plus the platform's:
    ``carbonbridge.requests`` one bare JSON line per request on stderr (INFO, or WARNING when
    ``request_log`` is off), other ``carbonbridge.*`` messages at INFO like uvicorn's own."""
    config: dict[str, Any] = json.loads(json.dumps(base))
    config["formatters"]["carbonbridge_line"] = {"format": "%(message)s"}
    config["handlers"]["carbonbridge_stderr"] = {
        "class": "logging.StreamHandler",
        "formatter": "carbonbridge_line",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["carbonbridge"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["carbonbridge.requests"] = {
        "handlers": ["carbonbridge_stderr"],
        "level": "INFO" if request_log else "WARNING",
        "propagate": False,
    }
    return config


def prepare_workers(settings: Settings, engine: Engine, console: Console) -> None:
    """Before uvicorn spawns several workers: warn about SQLite, and give Prometheus a fresh
    multi-process directory (``PROMETHEUS_MULTIPROC_DIR``, inherited by the workers) so that any
    worker answers ``/metrics`` with every worker's counts."""
    if engine.dialect.name == "sqlite":
        console.print(
            "[yellow]warning[/yellow]: several workers on SQLite contend for its one write lock "
            "(p99 885 ms measured, docs/registry.md); use PostgreSQL for --workers > 1"
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # the operator chose one
    directory = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(directory, ignore_errors=True)  # counts of an earlier run's workers
    directory.mkdir(mode=0o700, parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)

"""The ``carbonbridge`` command: the CLI root that mounts every context's commands.

Errors print in one line (``error[<code>]: ...``) and exit with the status ``docs/errors.md#exit-codes``
gives (``platform/cli_errors.py``); long jobs show a Rich progress bar.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import CarbonbridgeError, DependencyUnavailable, ExitCode
from carbonbridge.platform import backup_cli, serving, users_cli
from carbonbridge.platform.cli_errors import (
    exit_status,
    print_error,
    print_os_error,
    print_usage_error,
)
from carbonbridge.platform.db import make_engine, session_factory
from carbonbridge.platform.migrate import upgrade
from carbonbridge.platform.optional import optional_module
from carbonbridge.platform.settings import Settings, get_settings

app = typer.Typer(
    name="carbonbridge",
    help="Regional carbon management platform / 碳管理数字平台",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(users_cli.app, name="users")
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)

console = Console()

#: contexts contributing a Typer sub-app ``cli.app`` named ``cli.NAME``
CLI_CONTEXTS = ("factors", "accounting", "ledger", "methodologies", "registry", "demo")


def _mount_contexts() -> None:
    for context in CLI_CONTEXTS:
        mod = optional_module(f"carbonbridge.{context}.cli")
        if mod is None:
            continue
        for name, sub in getattr(mod, "COMMANDS", {}).items():
            app.add_typer(sub, name=name)


def database() -> tuple[Engine, sessionmaker[Session]]:
    """The engine and session factory of the configured database, migrated to head."""
    engine = make_engine(get_settings().resolved_database_url())
    upgrade(engine)
    return engine, session_factory(engine)


def _migrate(settings: Settings) -> Engine:
    """The schema to head, then the log's key recorded (created only for a new, empty log): the
    one step that may create a log key (``migrate``, and ``serve`` as it starts; docs/ledger.md,
    "The log key"). Refuses, before serving anything, a key file that is not the recorded key."""
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    console.print(f"data directory: {settings.data_dir}", markup=False, highlight=False, soft_wrap=True)
    ledger = optional_module("carbonbridge.ledger.service")  # reached by name, never imported
    if ledger is not None:
        status = ledger.init_log(session_factory(engine), settings)
        console.print(status.summary(), markup=False, highlight=False, soft_wrap=True)
    return engine


@app.command()
def migrate() -> None:
    """Apply database migrations and record the log's key / 升级数据库结构并登记日志密钥."""
    engine = _migrate(get_settings())
    console.print(f"database at head: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="load the synthetic demo region if the database is empty")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="server processes (use several on PostgreSQL, not SQLite)")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="log every request: one JSON line on stderr (docs/operations.md)")
    ] = True,
    worker_healthcheck_timeout: Annotated[
        int, typer.Option(min=1, help="seconds a worker may take to answer uvicorn's health check")
    ] = serving.WORKER_HEALTHCHECK_TIMEOUT,
) -> None:
    """Serve the API and web pages / 启动平台服务."""
    import uvicorn

    from carbonbridge.platform.app import create_app, prepare_for_serving

    settings = get_settings()
    engine = _migrate(settings)
    if demo:
        # the platform is the composition root: contexts are reached by name, never imported
        loader = optional_module("carbonbridge.demo.load")
        if loader is None:
            console.print("demo region: not installed; nothing loaded")
        else:
            loader.load_demo_if_empty(session_factory(engine), console)
    console.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    options: dict[str, Any] = {"host": host, "port": port, **serving.uvicorn_options(access_log)}
    if workers > 1:  # each worker process builds the app from the environment's settings
        serving.prepare_workers(settings, engine, console)
        engine.dispose()
        factory = "carbonbridge.platform.app:create_served_app"
        options["timeout_worker_healthcheck"] = worker_healthcheck_timeout
        uvicorn.run(factory, factory=True, workers=workers, **options)
        return
    served = create_app(settings, engine)
    prepare_for_serving()
    uvicorn.run(served, **options)


def main() -> None:
    """Entry point: run the CLI and exit with its status (``docs/errors.md#exit-codes``)."""
    _mount_contexts()
    sys.exit(run())


def run(args: list[str] | None = None, cli: typer.Typer | None = None) -> int:
    """Run the CLI (``cli``, default the ``carbonbridge`` app) on ``args`` (default ``sys.argv[1:]``)
    and return its exit status.

    Click runs in non-standalone mode so that a domain error reaches this function to be printed in
    one line; in that mode Click *returns* the status of ``typer.Exit(n)`` instead of exiting, and
    that status is what the process must exit with: a command that prints FAILED and raises
    ``typer.Exit(3)`` exits 3, never 0.
    """
    try:
        return exit_status((cli or app)(args=args, standalone_mode=False))
    except CarbonbridgeError as exc:
        print_error(exc)
        return int(exc.exit_code)
    except OperationalError as exc:  # the database cannot be reached (as platform.db.unit_of_work says)
        unavailable = DependencyUnavailable(f"database unavailable: {exc.orig}")
        print_error(unavailable)
        return int(unavailable.exit_code)
    except typer.TyperException as exc:  # Click's usage errors (typer vendors its click)
        if isinstance(exc, _usage_error()):
            return print_usage_error(exc)
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)
    except OSError as exc:  # a file named on the command line that cannot be read or written
        return print_os_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED)


def _usage_error() -> type[Exception]:
    """Click's ``UsageError``, found through a public typer class rather than a private import."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


if __name__ == "__main__":
    main()

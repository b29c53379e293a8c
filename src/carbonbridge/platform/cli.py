"""The ``carbonbridge`` command: the CLI root that mounts every context's commands.

Errors print in one line (``error[<code>]: ...``) and exit with the status ``docs/errors.md#exit-codes``
gives (``platform/cli_errors.py``); long jobs show a Rich progress bar.

The root loads a command group's module only when that group runs (:class:`LazyGroup`, keyed on
the sub-command's name in :data:`LAZY_COMMANDS`): ``carbonbridge --help`` lists every group from
that table without importing any context, and the web, database and bulk stacks are imported
inside the functions that use them (``docs/cli.md``, "Start-up time"; ``benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command

from carbonbridge.kernel.errors import CarbonbridgeError, DependencyUnavailable, ExitCode
from carbonbridge.platform import serving
from carbonbridge.platform.cli_errors import (
    exit_status,
    print_error,
    print_os_error,
    print_usage_error,
)
from carbonbridge.platform.optional import optional_module

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker
    from typer._click import core as click  # the Click that typer vendors (its types)
    from typer._click.formatting import HelpFormatter

    from carbonbridge.platform.settings import Settings


@dataclass(frozen=True)
class LazyCommand:
    """A root sub-command that is imported only when it runs: ``module``'s Typer app
    ``COMMANDS[name]``, or its attribute ``attribute`` (a Typer app, or a function that becomes a
    single command); ``help`` is the one line ``carbonbridge --help`` shows for it (a test checks
    it against the loaded command)."""

    module: str
    help: str
    attribute: str = ""


#: every root sub-command but ``migrate`` and ``serve``, in the order ``--help`` lists them
LAZY_COMMANDS: dict[str, LazyCommand] = {
    "backup": LazyCommand(
        "carbonbridge.platform.backup_cli",
        "Back up the configured database while the platform runs / 在线备份数据库",
        attribute="backup",
    ),
    "restore": LazyCommand(
        "carbonbridge.platform.backup_cli",
        "Restore a backup into the configured database, then verify it / 恢复备份并验证",
        attribute="restore",
    ),
    "users": LazyCommand("carbonbridge.platform.users_cli", "Users and API tokens / 用户与令牌", "app"),
    "factors": LazyCommand("carbonbridge.factors.cli", "Emission-factor library / 排放因子库"),
    "inventory": LazyCommand("carbonbridge.accounting.cli", "Emissions inventories / 温室气体排放清单"),
    "records": LazyCommand(
        "carbonbridge.accounting.cli", "Stored activity records and explain / 活动数据记录与计算说明"
    ),
    "ledger": LazyCommand("carbonbridge.ledger.cli", "Transparency log / 透明日志"),
    "verify": LazyCommand("carbonbridge.ledger.cli", "Verify a receipt offline / 离线验证回执"),
    "witness": LazyCommand("carbonbridge.ledger.cli", "Witness the log / 见证日志"),
    "methodologies": LazyCommand("carbonbridge.methodologies.cli", "Methodology calculators / 方法学计算器"),
    "registry": LazyCommand("carbonbridge.registry.cli", "Carbon-credit registry / 碳信用登记簿"),
    "tourism": LazyCommand("carbonbridge.tourism.cli", "Tourist carbon-neutral bill / 游客碳中和账单"),
    "markets": LazyCommand("carbonbridge.markets.auctions.cli", "Carbon markets: auctions / 碳市场：拍卖"),
    "demo": LazyCommand("carbonbridge.demo.cli", "Synthetic demo region / 演示区域（合成数据）"),
}


class LazyGroup(TyperGroup):
    """The root group: the commands of :data:`LAZY_COMMANDS` are imported on first use, in the
    manner of Click's documented ``LazyGroup`` ("Lazily Loading Subcommands").

    Listing them (``--help``) needs no import: while the group formats its help, a command not yet
    loaded is represented by a stand-in carrying its name and one-line help. A command whose module
    is not installed (an optional context) is neither listed nor found. A name missing from the
    table is looked up, on the slow path, in every context's ``COMMANDS`` (so a group added there
    runs before the table lists it; ``tests/platform/test_cli_startup.py`` asks for the row).
    """

    _formatting_help = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return [*names, *(n for n in LAZY_COMMANDS if n not in names and _installed(n))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        if self._formatting_help:
            entry = LAZY_COMMANDS.get(cmd_name)
            return None if entry is None else TyperCommand(cmd_name, help=entry.help)
        command = load_command(cmd_name) if cmd_name in LAZY_COMMANDS else _untabled_command(cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Typer's resolution, with its "did you mean" over every command, loaded or not."""
        try:
            return super().resolve_command(ctx, args)
        except _usage_error() as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            message = str(getattr(exc, "message", ""))
            if matches and "Did you mean" not in message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise

    def format_help(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        self._formatting_help = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._formatting_help = False


def _installed(name: str) -> bool:
    """Whether the module of lazy command ``name`` exists (finding it imports only its package)."""
    from importlib.util import find_spec

    try:
        return find_spec(LAZY_COMMANDS[name].module) is not None
    except ModuleNotFoundError:  # its package is absent
        return False


def _untabled_command(name: str) -> click.Command | None:
    """Command group ``name`` from a context's ``COMMANDS`` when the table lacks it (slow path:
    imports every context's CLI)."""
    for module_name in dict.fromkeys(e.module for e in LAZY_COMMANDS.values() if not e.attribute):
        sub = getattr(optional_module(module_name), "COMMANDS", {}).get(name)
        if isinstance(sub, typer.Typer):
            command = get_command(sub)
            command.name = name
            return command
    return None


def load_command(name: str) -> click.Command | None:
    """The Click command of lazy command ``name``, importing its module (``None`` when that
    module is not installed). The platform reaches contexts by name, never imports them."""
    entry = LAZY_COMMANDS[name]
    module = optional_module(entry.module)
    if module is None:
        return None
    found = getattr(module, entry.attribute) if entry.attribute else module.COMMANDS[name]
    if not isinstance(found, typer.Typer):  # a function: a single command with the table's help
        single = typer.Typer(add_completion=False)
        single.command(name, short_help=entry.help)(found)
        return get_command(single)
    command = get_command(found)
    command.name = name
    return command


#: the root's flags, given explicitly as "not set" (Click's ``default_map``): Typer (0.29) coerces
#: a flag left unset (``None``) by building a pydantic ``TypeAdapter``, so every
#: ``carbonbridge GROUP ...`` imported pydantic (~0.1-0.2 s) before the group ran, ``--help``
#: included; a ``False`` default is a bool already and skips that
_ROOT_FLAGS_UNSET = {"help": False, "install_completion": False, "show_completion": False}

app = typer.Typer(
    name="carbonbridge",
    cls=LazyGroup,
    help="Regional carbon management platform / 碳管理数字平台",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"default_map": _ROOT_FLAGS_UNSET},
)


@cache
def _console() -> Console:
    from rich.console import Console

    return Console()


def database() -> tuple[Engine, sessionmaker[Session]]:
    """The engine and session factory of the configured database, migrated to head (Alembic runs
    only when the database is not at head already: ``migrate.ensure_at_head``). Inside a command
    the engine is disposed when the command ends, so a caller that drops it leaks no connection;
    outside one (a test, a library caller) the caller disposes it."""
    from typer._click.globals import get_current_context  # the Click that typer vendors

    from carbonbridge.platform.db import make_engine, session_factory
    from carbonbridge.platform.migrate import ensure_at_head
    from carbonbridge.platform.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())
    context = get_current_context(silent=True)
    if context is not None:
        context.call_on_close(engine.dispose)
    ensure_at_head(engine)
    return engine, session_factory(engine)


def _migrate(settings: Settings) -> Engine:
    """The schema to head, then the log's key recorded (created only for a new, empty log): the
    one step that may create a log key (``migrate``, and ``serve`` as it starts; docs/ledger.md,
    "The log key"). Refuses, before serving anything, a key file that is not the recorded key."""
    from carbonbridge.platform.db import make_engine, session_factory
    from carbonbridge.platform.migrate import upgrade

    console = _console()
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
    from carbonbridge.platform.settings import get_settings

    engine = _migrate(get_settings())
    _console().print(f"database at head: {engine.url.render_as_string(hide_password=True)}")


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
    from carbonbridge.platform.db import session_factory
    from carbonbridge.platform.settings import get_settings

    console = _console()
    settings = get_settings()
    engine = _migrate(settings)
    if demo:
        # the platform is the composition root: contexts are reached by name, never imported
        loader = optional_module("carbonbridge.demo.service.load")
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
    except typer.TyperException as exc:  # Click's usage errors (typer vendors its click)
        if isinstance(exc, _usage_error()):
            return print_usage_error(exc)
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)
    except OSError as exc:  # a file named on the command line that cannot be read or written
        return print_os_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        if not _database_unreachable(exc):
            raise
        # the database cannot be reached (as platform.db.unit_of_work says)
        unavailable = DependencyUnavailable(f"database unavailable: {exc.orig}")  # type: ignore[attr-defined]
        print_error(unavailable)
        return int(unavailable.exit_code)


def _database_unreachable(exc: Exception) -> bool:
    """Whether ``exc`` is SQLAlchemy's ``OperationalError``: looked up in ``sys.modules`` so that
    a command that never touched the database does not import SQLAlchemy to find out."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)


def _usage_error() -> type[Exception]:
    """Click's ``UsageError``, found through a public typer class rather than a private import."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


if __name__ == "__main__":
    main()

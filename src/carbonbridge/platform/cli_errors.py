"""How a ``carbonbridge`` command ends when it fails: one ``error[<code>]: <detail>`` line on stderr
and an exit status from the table in ``docs/errors.md#exit-codes`` (:class:`ExitCode`).

``main`` in ``platform/cli.py`` applies this to every error that leaves a command, to Click's usage
errors and to the status a command exits with (``raise typer.Exit(n)``); a context's CLI that catches
a domain error itself ends with ``raise failure(exc) from exc``, which prints the same line.

Where the terminal's locale is Chinese (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with
``zh``), the detail and the reasons are printed in Chinese where the catalogue knows them
(``i18n.localise``); the ``error[<code>]`` prefix, the field paths and the values stay as they are,
for scripts.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import typer
from rich.console import Console

from carbonbridge.kernel.errors import CarbonbridgeError, ExitCode

__all__ = ["ExitCode", "exit_status", "failure", "print_error", "print_os_error", "print_usage_error"]

#: stderr, without Rich's markup, emoji codes or highlighting: a detail is printed as it is
err = Console(stderr=True, emoji=False, highlight=False)

#: issues listed under the error line when an error has several (the rest are counted)
MAX_ISSUES = 20

#: the code of a command line Click cannot parse (``docs/errors.md#usage``)
USAGE = "usage"
#: the code of a file or socket operation the operating system refused (``docs/errors.md#os-error``)
OS_ERROR = "os-error"


def _line(text: str, style: str | None = None) -> None:
    err.print(text, style=style, markup=False, soft_wrap=True)


def terminal_language() -> str:
    """``zh`` when the terminal's locale is Chinese, else ``en`` (POSIX's order: ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _localiser() -> Callable[[str], str]:
    if terminal_language() == "en":
        return lambda text: text
    from carbonbridge.platform import i18n  # the catalogues only when a Chinese terminal needs them

    return lambda text: i18n.localise("zh", text)


def print_error(exc: CarbonbridgeError) -> None:
    """``error[<code>]: <detail>`` in one line; when several fields are wrong, one indented line each."""
    tr = _localiser()
    detail = str(exc) if tr(exc.detail) == exc.detail else tr(exc.detail)
    if exc.issues and tr(exc.detail) != exc.detail:  # as CarbonbridgeError.__str__, in Chinese
        first = exc.issues[0]
        where = ".".join(str(p) for p in first.location)
        more = tr(f" (+{len(exc.issues) - 1} more)") if len(exc.issues) > 1 else ""
        detail = f"{detail}: {where}={first.value!r}: {tr(first.reason)}{more}"
    one_line = " ".join(part.strip() for part in detail.splitlines())  # e.g. a driver's message
    _line(f"error[{exc.code}]: {one_line}", style="red")
    if len(exc.issues) < 2:
        return  # the one issue is already in the line
    for issue in exc.issues[:MAX_ISSUES]:
        where = ".".join(str(p) for p in issue.location)
        _line(f"  {where} = {issue.value!r}: {tr(issue.reason)}")
    if len(exc.issues) > MAX_ISSUES:
        _line(f"  ... and {len(exc.issues) - MAX_ISSUES} more")


def failure(exc: CarbonbridgeError) -> typer.Exit:
    """Print ``exc``'s error line and return the :class:`typer.Exit` to raise with its exit status."""
    print_error(exc)
    return typer.Exit(exc.exit_code)


def print_usage_error(exc: typer.TyperException) -> int:
    """Print a Click usage error as ``error[usage]: ...`` with the usage line; returns its status (2).

    A group called without a command (``carbonbridge registry``) prints its help instead, exiting 2
    as Click does.
    """
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help is the message; no public class to test
        exc.show()  # type: ignore[attr-defined]
        return int(exc.exit_code)
    _line(f"error[{USAGE}]: {exc.format_message()}", style="red")
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        _line(ctx.get_usage())
        _line(f"Try '{ctx.command_path} --help' for help.")
    return int(exc.exit_code)


def print_os_error(exc: OSError) -> int:
    """A file the operating system will not open, read or write, in one line; exits 1."""
    where = f": {exc.filename}" if exc.filename is not None else ""
    _line(f"error[{OS_ERROR}]: {exc.strerror or exc}{where}", style="red")
    return int(ExitCode.FAILED)


def exit_status(outcome: object) -> int:
    """The exit status of a command run in Click's non-standalone mode.

    There Click returns ``n`` for ``raise typer.Exit(n)`` or ``ctx.exit(n)`` instead of exiting, and
    the command's return value otherwise (our commands return ``None``): an int is the status,
    anything else is success.
    """
    if isinstance(outcome, int) and not isinstance(outcome, bool):
        return outcome
    return int(ExitCode.OK)

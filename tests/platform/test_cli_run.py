"""``platform.cli.run``: the exit status of a command is what it exits with, never dropped.

Click runs in non-standalone mode there, where ``typer.Exit(n)`` comes back as a return value; the
original ``main`` ignored it, so a command that printed FAILED and raised ``typer.Exit(1)`` exited 0.
Each test builds a one-command Typer app (no database, no subprocess); the table through the
installed console script is ``test_exit_codes.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer

from carbonbridge.kernel.errors import ExitCode, FieldIssue, Forbidden, InvalidInput
from carbonbridge.ledger.errors import InclusionProofFailed
from carbonbridge.platform.cli import run


def _cli(behaviour: Callable[[], object]) -> typer.Typer:
    app = typer.Typer()

    @app.command("act")
    def act() -> None:
        behaviour()

    @app.command("idle")
    def idle() -> None:
        """A second command, so that ``act`` is a sub-command as in the real CLI."""

    return app


def _exit(code: int) -> Callable[[], None]:
    def behaviour() -> None:
        print("FAILED: something did not check out")
        raise typer.Exit(code)

    return behaviour


def _raise(exc: BaseException) -> Callable[[], None]:
    def behaviour() -> None:
        raise exc

    return behaviour


@pytest.mark.parametrize("code", [1, 2, 3])
def test_a_command_that_raises_exit_n_exits_n(code: int) -> None:
    assert run(["act"], _cli(_exit(code))) == code


def test_a_command_that_returns_normally_exits_0() -> None:
    assert run(["act"], _cli(lambda: None)) == ExitCode.OK


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("only the regulator may open accounts"), 1),
        (InvalidInput("bad row", [FieldIssue(("rows", 2, "unit"), "kg", "not a volume")]), 2),
        (InclusionProofFailed("the proof does not lead to the root"), 3),
    ],
)
def test_a_domain_error_prints_one_line_and_exits_with_its_status(
    error: Exception, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["act"], _cli(_raise(error))) == status

    stderr = capsys.readouterr().err
    assert stderr.splitlines() == [f"error[{error.code}]: {error}"]  # type: ignore[attr-defined]


def test_several_wrong_fields_are_listed_one_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    issues = [FieldIssue(("rows", n, "quantity"), "-1", "must be positive") for n in (2, 3)]

    assert run(["act"], _cli(_raise(InvalidInput("2 rows refused", issues)))) == 2

    assert capsys.readouterr().err.splitlines() == [
        "error[invalid-input]: 2 rows refused: rows.2.quantity='-1': must be positive (+1 more)",
        "  rows.2.quantity = '-1': must be positive",
        "  rows.3.quantity = '-1': must be positive",
    ]


def test_a_multi_line_detail_stays_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    run(["act"], _cli(_raise(Forbidden("first line\n  second line"))))

    assert capsys.readouterr().err == "error[forbidden]: first line second line\n"


def test_a_file_the_system_refuses_is_one_line_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    missing = FileNotFoundError(2, "No such file or directory", "/nowhere/receipt.txt")

    assert run(["act"], _cli(_raise(missing))) == 1

    assert capsys.readouterr().err == "error[os-error]: No such file or directory: /nowhere/receipt.txt\n"


def test_a_usage_error_is_one_error_line_then_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["act", "--nope"], _cli(lambda: None)) == 2

    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error[usage]: No such option: --nope"
    assert lines[1].startswith("Usage: ")
    assert lines[2].endswith("act --help' for help.")


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), typer.Abort()])
def test_an_interrupted_command_exits_130(interruption: BaseException) -> None:
    assert run(["act"], _cli(_raise(interruption))) == 130  # ExitCode.INTERRUPTED

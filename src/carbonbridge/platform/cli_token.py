"""Where a ``carbonbridge`` command gets the API token it acts with (``registry``, ``witness``).

In order: ``--token TOKEN``, then ``--token-file PATH``, then the environment variable
``CARBONBRIDGE_TOKEN`` (the command line beats the environment; giving both options is refused). A
token on the command line is visible to every local user in ``ps`` and lands in shell history, so
using it prints a warning; the file must be private to its owner, as ssh requires of a private key
(no access for group or others), or it is refused. Documented in ``docs/registry.md`` (CLI).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.platform.cli_errors import err

#: the environment variable holding the token
TOKEN_ENV = "CARBONBRIDGE_TOKEN"  # noqa: S105 - a variable name, not a secret

TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help=f"act as this API token's user; visible to other users in ps: prefer {TOKEN_ENV} "
        "or --token-file",
        show_default=False,
    ),
]
TokenFileOption = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        dir_okay=False,
        help=f"read the API token from this file (private: chmod 600); default: ${TOKEN_ENV}",
        show_default=False,
    ),
]

COMMAND_LINE_WARNING = (
    f"warning: a token given with --token is visible to other users (ps, shell history); use {TOKEN_ENV} "
    f"or --token-file / 命令行中的令牌对本机其他用户可见，请改用 {TOKEN_ENV} 或 --token-file"
)


def resolve_token(
    token: str | None, token_file: Path | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The token from ``--token``, ``--token-file`` or ``CARBONBRIDGE_TOKEN``, in that order; ``None``
    when none is given (an empty variable counts as unset)."""
    if token is not None and token_file is not None:
        raise InvalidInput(
            "give the API token once: --token or --token-file, not both",
            [FieldIssue(("--token-file",), str(token_file), "conflicts with --token")],
        )
    if token is not None:
        err.print(COMMAND_LINE_WARNING, style="yellow", markup=False, soft_wrap=True)
        return _one_token(token, ("--token",), "***")
    if token_file is not None:
        return read_token_file(token_file)
    found = (os.environ if environ is None else environ).get(TOKEN_ENV, "")
    return _one_token(found, (TOKEN_ENV,), "***") if found.strip() else None


def read_token_file(path: Path) -> str:
    """The token in ``path``, refused unless the file is a regular file only its owner can access.

    The mode is read from the opened file (``fstat``), so that the file checked is the file read.
    """
    where = ("--token-file",)
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise InvalidInput("not a token file", [FieldIssue(where, str(path), "not a regular file")])
            if os.name == "posix" and mode & 0o077:
                raise InvalidInput(
                    "the token file is not private",
                    [
                        FieldIssue(
                            where,
                            str(path),
                            f"mode {stat.S_IMODE(mode):04o} lets group or others access it; "
                            f"make it private to its owner: chmod 600 {path}",
                        )
                    ],
                )
            data = handle.read()
    except OSError as exc:
        raise InvalidInput(
            "cannot read the token file", [FieldIssue(where, str(path), exc.strerror or str(exc))]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("not a token file", [FieldIssue(where, str(path), "not UTF-8 text")]) from None
    return _one_token(text, where, str(path))


def _one_token(text: str, where: tuple[str, ...], shown: str) -> str:
    """``text`` without surrounding whitespace: one non-empty token with no whitespace inside."""
    token = text.strip()
    if not token or any(c.isspace() for c in token):
        raise InvalidInput("not an API token", [FieldIssue(where, shown, "one token, on one line")])
    return token

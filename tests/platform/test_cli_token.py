"""Where the CLI takes its API token from: ``--token``, ``--token-file`` (private to its owner, as
ssh requires of a key) or ``CARBONBRIDGE_TOKEN``, in that order. End to end through the console
script: the ``registry: token ...`` rows of ``test_exit_codes.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.platform.cli_token import TOKEN_ENV, read_token_file, resolve_token


def _file(tmp_path: Path, text: str, mode: int = 0o600, name: str = "token") -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(mode)
    return path


def test_no_source_is_no_token() -> None:
    assert resolve_token(None, None, {}) is None


def test_an_empty_variable_counts_as_unset() -> None:
    assert resolve_token(None, None, {TOKEN_ENV: "  "}) is None


def test_the_environment_variable_is_read() -> None:
    assert resolve_token(None, None, {TOKEN_ENV: "cb_env\n"}) == "cb_env"


def test_a_token_file_is_read_without_its_newline(tmp_path: Path) -> None:
    assert resolve_token(None, _file(tmp_path, "cb_file\n"), {}) == "cb_file"


def test_the_token_file_beats_the_environment(tmp_path: Path) -> None:
    assert resolve_token(None, _file(tmp_path, "cb_file"), {TOKEN_ENV: "cb_env"}) == "cb_file"


def test_the_command_line_beats_the_environment_and_warns(capsys: pytest.CaptureFixture[str]) -> None:
    assert resolve_token("cb_flag", None, {TOKEN_ENV: "cb_env"}) == "cb_flag"

    warning = capsys.readouterr().err
    assert warning.startswith("warning: a token given with --token is visible to other users")
    assert "请改用 CARBONBRIDGE_TOKEN 或 --token-file" in warning


def test_no_warning_without_the_command_line_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve_token(None, _file(tmp_path, "cb_file"), {TOKEN_ENV: "cb_env"})

    assert capsys.readouterr().err == ""


def test_both_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not both") as refused:
        resolve_token("cb_flag", _file(tmp_path, "cb_file"), {})

    assert refused.value.issues[0].reason == "conflicts with --token"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o602, 0o620])
def test_a_token_file_others_can_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, "cb_file", mode)

    with pytest.raises(InvalidInput, match="the token file is not private") as refused:
        read_token_file(path)

    (issue,) = refused.value.issues
    assert issue.location == ("--token-file",)
    assert issue.reason == (
        f"mode {mode:04o} lets group or others access it; make it private to its owner: chmod 600 {path}"
    )


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_token_file_is_accepted(tmp_path: Path, mode: int) -> None:
    assert read_token_file(_file(tmp_path, "cb_file\n", mode)) == "cb_file"


@pytest.mark.parametrize("text", ["", "\n", "cb_one cb_two", "cb_one\ncb_two\n"])
def test_a_file_that_is_not_one_token_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(InvalidInput, match="not an API token"):
        read_token_file(_file(tmp_path, text))


def test_a_missing_token_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the token file") as refused:
        read_token_file(tmp_path / "absent")

    assert refused.value.issues[0].reason == "No such file or directory"


def test_a_directory_is_not_a_token_file(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir(mode=0o700)

    with pytest.raises(InvalidInput, match="cannot read the token file") as refused:
        read_token_file(folder)

    assert refused.value.issues[0].reason == "Is a directory"


def test_a_device_is_not_a_token_file() -> None:
    with pytest.raises(InvalidInput, match="not a token file") as refused:
        read_token_file(Path("/dev/null"))

    assert refused.value.issues[0].reason == "not a regular file"


def test_an_empty_command_line_token_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not an API token"):
        resolve_token("", None, {})

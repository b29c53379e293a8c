"""Verification in the reader's language: ``carbonbridge verify`` and ``ledger consistency`` on a
Chinese terminal, and the log entry page's banner on a Chinese page, say what passed or what failed
in Chinese (``ledger/locale/zh/LC_MESSAGES/verification.po``, ``proofs.po``); values (sizes, hashes,
the log's origin, key names) stay as they are. An English terminal keeps the English lines
(``test_cli.py``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import keys, service, store
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint, sign_checkpoint
from carbonbridge.ledger.note import generate_signer
from carbonbridge.ledger.proof import encode_receipt, parse_receipt
from carbonbridge.platform.db import unit_of_work
from tests.ledger.test_cli import _append, runner
from tests.ledger.test_cli import cli as cli  # the fixture, reused

CJK = re.compile(r"[\u4e00-\u9fff]")
ORIGIN = "carbonbridge.local/CN-HI/log"


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")


def _run(cli: typer.Typer, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def _english_words(text: str) -> list[str]:
    """Latin words left once values (hashes, paths, origins, options, codes) are taken out."""
    bare = re.sub(
        r"error\[[\w-]+\]|\b[a-z0-9]+(?:-[a-z0-9]+)+\b|[\w.\-/+]*[./+][\w.\-/+]*|\b[0-9a-f]{16,}\b|'[^']*'",
        "",
        text,
    )
    return re.findall(r"\b[A-Za-z]{3,}\b", bare)


def _verify(cli: typer.Typer, receipt_text: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    path = tmp_path / "receipt.tlog-proof"
    path.write_text(receipt_text)
    return _run(cli, "verify", str(path), "--key", keys.verifier_key(), *extra)


def test_a_chinese_terminal_reads_a_verified_receipt_in_chinese(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path, chinese: None
) -> None:
    _append(sessions, 3)

    code, out = _verify(cli, service.receipt(sessions, 1), tmp_path)

    assert code == 0, out
    assert out.startswith(f"验证通过：第 1 条记录在日志 {ORIGIN} 中，树大小 3（根哈希 "), out
    assert _english_words(out) == []


def test_a_chinese_terminal_reads_a_consistency_proof_in_chinese(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path, chinese: None
) -> None:
    _append(sessions, 3)
    old = tmp_path / "old.checkpoint"
    old.write_text(service.latest_checkpoint(sessions))
    _append(sessions, 4)

    code, out = _run(cli, "ledger", "consistency", str(old))

    assert code == 0, out
    assert out.splitlines()[0] == "验证通过：树大小 3 的日志是树大小 7 的日志的前缀（日志只增未改）"


def _truncated(sessions: sessionmaker[Session]) -> tuple[str, tuple[str, ...]]:
    _append(sessions, 5)
    receipt = parse_receipt(service.receipt(sessions, 1))
    cut = receipt.__class__(receipt.index, receipt.proof[:-1], receipt.checkpoint_note, receipt.extra)
    return encode_receipt(cut), ()


def _another_key(sessions: sessionmaker[Session]) -> tuple[str, tuple[str, ...]]:
    (entry,) = _append(sessions, 1)
    receipt = parse_receipt(entry.receipt())
    other = generate_signer(keys.log_signer().name)
    resigned = sign_checkpoint(parse_checkpoint(checkpoint_text(receipt.checkpoint_note)), other)
    return encode_receipt(receipt.__class__(receipt.index, receipt.proof, resigned, receipt.extra)), ()


def _another_tree_size(sessions: sessionmaker[Session]) -> tuple[str, tuple[str, ...]]:
    entries = _append(sessions, 5)
    at_five = parse_receipt(service.receipt(sessions, 1))
    at_two = parse_receipt(entries[1].receipt())
    return encode_receipt(at_five.__class__(1, at_five.proof, at_two.checkpoint_note, entries[1].entry)), ()


def _not_base64(sessions: sessionmaker[Session]) -> tuple[str, tuple[str, ...]]:
    _append(sessions, 3)
    lines = service.receipt(sessions, 1).split("\n")
    lines[lines.index(next(x for x in lines if x.startswith("index "))) + 1] = "not*base64"
    return "\n".join(lines), ()


@pytest.mark.parametrize(
    ("forge", "code", "words"),
    [
        (
            _truncated,
            "ledger-truncated-proof",
            "包含证明被截断：只有 2 个哈希，而树大小为 5 时索引 1 需要 3 个",
        ),
        (_another_key, "ledger-unknown-signer", "签名注释没有任何已知密钥的签名"),
        (_another_tree_size, "ledger-proof-tree-size-mismatch", "该证明是为另一树大小生成的"),
        (_not_base64, "ledger-malformed-receipt", "不是 base64 编码"),
    ],
)
def test_a_chinese_terminal_reads_why_a_receipt_fails_in_chinese(
    cli: typer.Typer,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    chinese: None,
    forge: Any,
    code: str,
    words: str,
) -> None:
    receipt, extra = forge(sessions)

    status, out = _verify(cli, receipt, tmp_path, *extra)

    assert status in (2, 3), out
    assert out.startswith(f"error[{code}]: "), out
    assert words in out
    assert _english_words(out) == [], out


def test_the_entry_page_says_why_an_entry_fails_in_chinese(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    """An entry altered in the database after it was logged: the page's banner names the failure
    (title, code and the inclusion proof's reason) in Chinese."""
    entries = _append(sessions, 4)
    assert "验证通过：第 2 条记录" in app_client.get("/transparency-log/entries/2?lang=zh").text
    with unit_of_work(sessions) as session:
        session.execute(
            update(store.LogEntryRow)
            .where(store.LogEntryRow.index == 2)
            .values(entry=entries[2].entry.replace(b'"n":2', b'"n":3'))
        )

    page = app_client.get("/transparency-log/entries/2?lang=zh")

    assert page.status_code == 200
    banner = re.search(r'<p class="error" id="verify-error" role="alert">✘ (.*?)</p>', page.text, re.S)
    assert banner, page.text
    text = banner.group(1)
    assert text.startswith(
        "包含证明验证失败（ledger-inclusion-proof-failed）：索引 2 的包含证明不能从叶哈希 "
    )
    assert text.endswith("所给条目并非记录在索引 2 处的条目，或证明已被篡改")
    assert _english_words(text) == []
    english = app_client.get("/transparency-log/entries/2?lang=en").text
    assert "either the entry given is not the one logged at index 2, or the proof was altered" in english

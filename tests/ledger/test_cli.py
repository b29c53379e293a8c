"""The ledger CLI on both backends, and ``carbonbridge verify`` offline: each rejection names
what failed (another key, a truncated proof, a proof for another tree size, another entry)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from carbonbridge.ledger import service, store
from carbonbridge.ledger.checkpoint import checkpoint_text, parse_checkpoint, sign_checkpoint
from carbonbridge.ledger.cli import COMMANDS
from carbonbridge.ledger.note import generate_signer
from carbonbridge.ledger.proof import encode_receipt, parse_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.db import unit_of_work
from carbonbridge.platform.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("CARBONBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CARBONBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    keys.use_settings(get_settings())  # as in a CLI process: one settings object, one log key
    root = typer.Typer()
    for name, sub in COMMANDS.items():
        root.add_typer(sub, name=name)
    yield root
    get_settings.cache_clear()


def _append(sessions: sessionmaker[Session], n: int) -> list[service.PendingEntry]:
    out = []
    for i in range(n):
        with unit_of_work(sessions) as session:
            out.append(service.append_event(session, "test.cli", {"n": i}))
    return out


def _run(cli: typer.Typer, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_ledger_key_prints_only_the_verifier_key(cli: typer.Typer, sessions: sessionmaker[Session]) -> None:
    code, out = _run(cli, "ledger", "key")

    assert code == 0
    assert out == keys.verifier_key() + "\n"


def test_receipt_from_ledger_proof_verifies_offline(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 3)
    receipt = tmp_path / "r.tlog-proof"
    receipt.write_text(_run(cli, "ledger", "proof", "1")[1])

    code, out = _run(cli, "verify", str(receipt), "--key", keys.verifier_key())

    assert code == 0, out
    assert "OK: entry 1 is in carbonbridge.local/CN-HI/log at tree size 3" in out


def _rejection(cli: typer.Typer, receipt_text: str, tmp_path: Path, *extra: str) -> str:
    path = tmp_path / "bad.tlog-proof"
    path.write_text(receipt_text)
    key_file = tmp_path / "log.vkey"
    key_file.write_text(keys.verifier_key() + "\n")
    code, out = _run(cli, "verify", str(path), "--key-file", str(key_file), *extra)
    assert code == 3, out  # verification failed (docs/errors.md#exit-codes)
    assert out.startswith("error[ledger-"), out
    return out


def test_receipt_signed_by_another_key_is_rejected(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (entry,) = _append(sessions, 1)
    other = generate_signer(keys.log_signer().name)
    receipt = parse_receipt(entry.receipt())
    resigned = sign_checkpoint(parse_checkpoint(checkpoint_text(receipt.checkpoint_note)), other)
    forged = encode_receipt(receipt.__class__(receipt.index, receipt.proof, resigned, receipt.extra))

    assert "ledger-unknown-signer" in _rejection(cli, forged, tmp_path)
    assert entry.index == 0


def test_truncated_receipt_is_rejected(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 5)
    receipt = parse_receipt(service.receipt(sessions, 1))
    truncated = encode_receipt(
        receipt.__class__(receipt.index, receipt.proof[:-1], receipt.checkpoint_note, receipt.extra)
    )

    out = _rejection(cli, truncated, tmp_path)

    assert "ledger-truncated-proof" in out
    assert "needs 3" in out


def test_receipt_for_another_tree_size_is_rejected(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    entries = _append(sessions, 5)
    at_five = parse_receipt(service.receipt(sessions, 1))
    at_two = parse_receipt(entries[1].receipt())
    mixed = encode_receipt(at_five.__class__(1, at_five.proof, at_two.checkpoint_note, entries[1].entry))

    assert "ledger-proof-tree-size-mismatch" in _rejection(cli, mixed, tmp_path)


def test_receipt_for_another_entry_is_rejected(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    entries = _append(sessions, 2)
    data = tmp_path / "entry.json"
    data.write_bytes(entries[0].entry)

    out = _rejection(cli, entries[1].receipt(), tmp_path, "--data", str(data))

    assert "ledger-inclusion-proof-failed" in out


def test_audit_passes_then_names_a_tampered_entry(cli: typer.Typer, sessions: sessionmaker[Session]) -> None:
    entries = _append(sessions, 4)
    assert _run(cli, "ledger", "audit")[0] == 0
    with unit_of_work(sessions) as session:
        session.execute(
            update(store.LogEntryRow)
            .where(store.LogEntryRow.index == 2)
            .values(entry=entries[2].entry.replace(b'"n":2', b'"n":3'))
        )

    code, out = _run(cli, "ledger", "audit")

    assert code == 3
    assert "error[ledger-audit-failed]: 6 finding(s); first bad record: entry 2: entry bytes" in out


def test_export_tiles_and_consistency_commands(
    cli: typer.Typer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _append(sessions, 3)
    old = tmp_path / "old.checkpoint"
    old.write_text(_run(cli, "ledger", "checkpoint")[1])
    _append(sessions, 4)

    code, out = _run(cli, "ledger", "consistency", str(old))
    export_code, export_out = _run(cli, "ledger", "export-tiles", str(tmp_path / "tiles"))

    assert code == 0, out
    assert "tree size 3 is a prefix of tree size 7" in out
    assert export_code == 0, export_out
    assert (tmp_path / "tiles" / "tile" / "entries" / "000.p" / "7").exists()


def test_new_key_never_replaces_a_key_file(cli: typer.Typer, sessions: sessionmaker[Session]) -> None:
    code, message = _run(cli, "ledger", "new-key", "--origin", "x/log3")

    assert code == 1
    assert "exists" in message
    assert _run(cli, "ledger", "key")[1] == keys.verifier_key() + "\n"

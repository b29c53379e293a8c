"""Migration 0013 on a database that older code filled (both backends): each existing submission
learns the index of its log entry from the logged commitment, so that a replacement can name the
entry it corrects; existing statements are on revision 0."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from carbonbridge.platform.db import make_engine
from carbonbridge.platform.migrate import upgrade
from tests.conftest import _pg_admin, _pg_url_for

AT = datetime(2025, 1, 2, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each backend, not yet migrated."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    admin, reason = _pg_admin()
    if admin is None:
        pytest.skip(reason)
    name = f"cbm_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    engine = make_engine(_pg_url_for(name))
    try:
        yield engine
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def _old_submission(conn: object, index: int, submission_id: str) -> None:
    """A submission and its private log entry, written with the 0010 schema's columns only."""
    payload = json.dumps({"submission_id": submission_id, "rows": 0}, sort_keys=True).encode()
    salt = bytes(32)
    commitment = hashlib.sha256(salt + payload).hexdigest()
    entry = json.dumps({"commitment": commitment, "kind": "accounting.submission"}).encode()
    execute = conn.execute  # type: ignore[attr-defined]
    execute(
        text(
            "INSERT INTO submissions (id, organisation_id, filename, sha256, row_count, submitted_by, "
            "submitted_at) VALUES (:id, 'org', 'a.csv', :sha, 0, 'u', :at)"
        ),
        {"id": submission_id, "sha": "0" * 64, "at": AT},
    )
    execute(
        text(
            'INSERT INTO ledger_entries ("index", entry, leaf_hash, kind, created_at) '
            "VALUES (:i, :e, :h, 'accounting.submission', :at)"
        ),
        {"i": index, "e": entry, "h": hashlib.sha256(b"\0" + entry).digest(), "at": AT},
    )
    execute(
        text("INSERT INTO ledger_commitments (entry_index, salt, payload) VALUES (:i, :s, :p)"),
        {"i": index, "s": salt, "p": payload},
    )


def test_existing_submissions_learn_their_log_entry_and_statements_start_at_revision_0(fresh: Engine) -> None:
    upgrade(fresh, "0010")
    with fresh.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (id, name_en, name_zh, kind, region, synthetic) "
                "VALUES ('org', 'Org', '机构', 'hotel', 'CN-HI', false)"
            )
        )
        conn.execute(
            text(
                'INSERT INTO ledger_entries ("index", entry, leaf_hash, kind, created_at) '
                "VALUES (0, :e, :h, 'accounting.organisation', :at)"
            ),
            {"e": b"{}", "h": bytes(32), "at": AT},
        )
        _old_submission(conn, 1, "sub_a")
        _old_submission(conn, 2, "sub_b")
        conn.execute(
            text(
                "INSERT INTO inventory_statements (id, organisation_id, year, kind, gwp, figures, opinion, "
                "statement, by_user, by_name, at, log_index) "
                "VALUES ('stm', 'org', 2024, 'finalised', 'AR6', '{}', '', '', 'u', 'U', :at, 3)"
            ),
            {"at": AT},
        )

    upgrade(fresh, "0013")

    with fresh.connect() as conn:
        indexes = dict(conn.execute(text("SELECT id, log_index FROM submissions ORDER BY id")).all())
        revision = conn.execute(text("SELECT revision FROM inventory_statements")).scalar_one()
    assert indexes == {"sub_a": 1, "sub_b": 2}
    assert revision == 0

"""The API of a server whose log key is not the recorded one (issue 9 §2), on both backends: a
write is refused with 503 problem+json ``ledger-log-key-mismatch`` (the server's
misconfiguration, not the caller's fault) and changes nothing, while the log's key, checkpoint
and receipts are still served and verify with the published key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.ledger import service
from carbonbridge.ledger.checkpoint import open_checkpoint
from carbonbridge.ledger.note import parse_verifier_key
from carbonbridge.ledger.proof import parse_receipt, verify_receipt
from carbonbridge.ledger.service import keys
from carbonbridge.platform.app import create_app
from carbonbridge.platform.db import Base, unit_of_work
from carbonbridge.platform.settings import Settings, get_settings
from tests.conftest import make_user

ORG = {
    "id": "hotel-k",
    "name_en": "Hotel K",
    "name_zh": "K酒店",
    "kind": "hotel",
    "region": "CN-HI",
    "facilities": [{"id": "hq", "name": "Main building", "region": "CN-HI", "grid_region": "CN-GRID-SOUTH"}],
}


@pytest.fixture(autouse=True)
def _process_key() -> Iterator[None]:
    yield
    keys.use_settings(get_settings())


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(sessions) as session:
        return {
            t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def misconfigured(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[TestClient]:
    """The app of a server started in another folder that holds a key of its own."""
    settings = Settings(data_dir=tmp_path / "elsewhere", log_key_file=None)
    keys.new_key_file(keys.key_path(settings), "carbonbridge.local/CN-HI/log")
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client


def test_a_write_is_refused_with_503_and_changes_nothing(
    misconfigured: TestClient, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    regulator = make_user(sessions, "regulator", "regulator")
    recorded = service.verifier_key(sessions)
    before = _counts(sessions)

    response = misconfigured.post("/api/v1/organisations", json=ORG, headers=regulator)
    in_chinese = misconfigured.post(
        "/api/v1/organisations", json=ORG, headers={**regulator, "Accept-Language": "zh-CN"}
    )

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert (problem["type"], problem["title"]) == (
        "/docs/errors#ledger-log-key-mismatch",
        "Not the log's signing key",
    )
    assert recorded in problem["detail"]
    assert str(tmp_path / "elsewhere" / "ledger" / "log.key") in problem["detail"]
    assert in_chinese.json()["title"] == "非本日志的签名密钥"
    assert _counts(sessions) == before


def test_the_log_is_still_served_and_verifies_with_the_published_key(
    misconfigured: TestClient, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        logged = service.append_event(session, "test.api", {"n": 1}, signer=keys.log_signer(get_settings()))
    published = service.verifier_key(sessions)

    key = misconfigured.get("/api/v1/ledger/key")
    checkpoint = misconfigured.get("/log/checkpoint")
    receipt = misconfigured.get(f"/api/v1/ledger/entries/{logged.index}/receipt")

    assert key.text == published + "\n"
    assert open_checkpoint(checkpoint.text, parse_verifier_key(published)).tree_size == 1
    assert verify_receipt(receipt.text, published, entry=parse_receipt(receipt.text).extra).index == 0
    assert verify_receipt(logged.receipt(), published, entry=logged.entry).index == 0

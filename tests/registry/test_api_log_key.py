"""The registry's hot write path (REST retirements, group-committed) on a server whose log key is
not the recorded one (issue 9 §2): every retirement of the batch is refused with 503
``ledger-log-key-mismatch`` and nothing moves; the same request succeeds on a server holding the
log's key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from carbonbridge.ledger import keys
from carbonbridge.ledger import service as ledger
from carbonbridge.platform.app import create_app
from carbonbridge.platform.settings import Settings, get_settings
from carbonbridge.registry import reads
from carbonbridge.registry.model import AccountKind
from tests.conftest import make_user
from tests.registry.conftest import World
from tests.registry.helpers import issued_report, registered_project


@pytest.fixture(autouse=True)
def _process_key() -> Iterator[None]:
    yield
    keys.use_settings(get_settings())


def _retire(client: TestClient, world: World, headers: dict[str, str], project_id: str) -> Any:
    body = {
        "account_id": world.dev[AccountKind.HOLDING].id,
        "project_id": project_id,
        "vintage": 2024,
        "quantity": 10,
        "beneficiary": "Wenchang primary school",
        "purpose": "2025 school trips",
    }
    return client.post("/api/v1/registry/retirements", json=body, headers=headers)


def test_retirements_are_refused_by_a_server_with_another_key_and_nothing_moves(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    dev = make_user(world.sessions, "dev", "developer", "mangrove-dev")
    size = ledger.audit(world.sessions).tree_size
    other = Settings(data_dir=tmp_path / "elsewhere", log_key_file=None)
    keys.new_key_file(keys.key_path(other), "carbonbridge.local/CN-HI/log")

    with TestClient(create_app(other, engine), raise_server_exceptions=False) as misconfigured:
        refused = [_retire(misconfigured, world, dev, project.id) for _ in range(3)]
    with TestClient(create_app(Settings(data_dir=tmp_path), engine), raise_server_exceptions=False) as good:
        accepted = _retire(good, world, dev, project.id)

    assert [r.status_code for r in refused] == [503, 503, 503]
    assert {r.json()["code"] for r in refused} == {"ledger-log-key-mismatch"}
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["log_index"] == size  # the refused ones left no entry behind
    assert [r.beneficiary for r in reads.retirement_records(world.sessions, project.id)] == [
        "Wenchang primary school"
    ]

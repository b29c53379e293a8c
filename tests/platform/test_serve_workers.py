"""``carbonbridge serve --workers 2`` starts under load without uvicorn killing its workers, and
then answers every request of a burst sent under that load (issue 9 §7; ``platform/serving.py``
has the cause)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, _pg_url_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: busy processes per core while the workers start: the machine is loaded as in issue 9's report
BURNERS_PER_CPU = 2


@pytest.fixture
def database_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"cbt_workers_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url_for(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class _ServerLog:
    """Collects a server's output lines as they come, for conditions to wait on."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("<closed>")
            self.changed.notify_all()

    def wait_for(self, pattern: str, count: int, timeout: float) -> bool:
        with self.changed:
            return (
                self.changed.wait_for(
                    lambda: (
                        sum(bool(re.search(pattern, ln)) for ln in self.lines) >= count
                        or "<closed>" in self.lines
                    ),
                    timeout=timeout,
                )
                and sum(bool(re.search(pattern, ln)) for ln in self.lines) >= count
            )


def test_two_workers_start_under_load_without_dying(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "CARBONBRIDGE_DATABASE_URL": database_url, "CARBONBRIDGE_DATA_DIR": str(tmp_path)}
    migrated = subprocess.run(
        [sys.executable, "-m", "carbonbridge.platform.cli", "migrate"],
        env=env,
        capture_output=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(BURNERS_PER_CPU * (os.cpu_count() or 1))
    ]
    # the console script, as an operator runs it: spawned workers re-import it (platform/serving.py)
    command = [str(Path(sys.executable).with_name("carbonbridge")), "serve", "--workers", "2"]
    command += ["--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log = _ServerLog(server)
    try:
        started = log.wait_for(r"Application startup complete", 2, timeout=300)
        assert started, "\n".join(log.lines)
        # still under load: a burst of concurrent requests, every one answered
        with ThreadPoolExecutor(max_workers=20) as pool:
            asked = [
                pool.submit(httpx.get, f"http://127.0.0.1:{port}/api/v1/ledger/key", timeout=120)
                for _ in range(100)
            ]
            answers = [f.result().status_code for f in asked]
        # whichever worker answers the scrape counts both workers' requests (PROMETHEUS_MULTIPROC_DIR)
        scraped = [httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=60).text for _ in range(4)]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        server.terminate()  # the parent only: it stops its workers
        server.wait(timeout=60)
        log.thread.join(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    deaths = [ln for ln in log.lines if "died" in ln]
    assert deaths == [], "\n".join(log.lines)
    assert answers == [200] * 100
    counted = 'carbonbridge_http_requests_total{method="GET",route="/api/v1/ledger/key",status="200"} 100.0'
    assert all(counted in text for text in scraped), scraped[0][:2000]

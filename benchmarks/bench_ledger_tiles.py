"""Serving c2sp.org/tlog-tiles from the API process: requests/s over random full tiles.

Builds a log of ``--entries`` entries on SQLite with the benchmark's bulk loader (not timed; reuse it
with ``--dir``), starts the platform app (``create_app``) in one uvicorn process on loopback (as
``carbonbridge serve`` runs it: one process, the default event loop and HTTP parser, access log
off), and loads it with ``wrk`` (Debian package ``wrk``; ``--connections`` connections, 1 thread)
requesting random existing full tiles: level-0 and level-1 hash tiles and entry bundles. Every
requested path is first fetched once and checked to be 200 (not timed).

Prints requests/s, latency, and the ratio to the target (≥ 5,000 requests/s).
Usage: ``python -m benchmarks.bench_ledger_tiles [--entries N] [--seconds S] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from benchmarks._ledger import open_log

from carbonbridge.ledger.model import ENTRIES_LEVEL, TILE_WIDTH, Tile
from carbonbridge.ledger.tiles import tile_path

TARGET_PER_S = 5_000
LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(11)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def full_tile_paths(size: int, rng: random.Random, count: int) -> list[str]:
    """``count`` random full tiles of a log of ``size``: level 0 and entry bundles alike, and
    every full level-1 tile."""
    full0 = size // TILE_WIDTH
    paths = [f"/log/{tile_path(Tile(1, i, TILE_WIDTH))}" for i in range(size // TILE_WIDTH**2)]
    for _ in range(count):
        level = rng.choice((0, ENTRIES_LEVEL))
        paths.append(f"/log/{tile_path(Tile(level, rng.randrange(full0), TILE_WIDTH))}")
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def constant_tile_app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Send) -> None:
    """A bare ASGI app answering every request with one constant full hash tile."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", b"8192")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _CONSTANT_TILE})


_CONSTANT_TILE = bytes(8192)
Send = Callable[[dict[str, Any]], Awaitable[None]]


def serve_and_load(
    app: str, env: dict[str, str], paths: list[str], script: Path, args: argparse.Namespace
) -> str:
    """Start uvicorn with ``app``, fetch every path once (each must be 200), run wrk; its output."""
    port = free_port()
    command = (
        [sys.executable, "-m", "uvicorn", "--factory", app]
        if "create_app" in app
        else [sys.executable, "-m", "uvicorn", app]
    )
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:
            for _ in range(300):
                try:
                    client.get("/log/checkpoint")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for path in paths:  # every path exists (and, for a cache, is now warm)
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
        wrk = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s", str(script)]
        return subprocess.run([*wrk, base], capture_output=True, text=True, check=True).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(output: str) -> float:
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    return float(found.group(1))


def summary(output: str) -> str:
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = re.search(r"50%\s+(\S+).*?99%\s+(\S+)", output, re.S)
    p50, p99 = (latency.group(1), latency.group(2)) if latency else ("?", "?")
    return f"latency p50 {p50} p99 {p99}, non-2xx {errors.group(1) if errors else 0}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--paths", type=int, default=5_000, help="random tile paths to request")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--dir", type=Path, default=None, help="keep (or reuse) the database here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="carbonbridge-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        engine, _, _ = open_log(directory, args.entries)
        engine.dispose()
        paths = full_tile_paths(args.entries, random.Random(5), args.paths)
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "tiles.lua"
        script.write_text(LUA % listing)
        env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(directory)}
        app = serve_and_load("carbonbridge.platform.app:create_app", env, paths, script, args)
        ceiling = serve_and_load("benchmarks.bench_ledger_tiles:constant_tile_app", env, [], script, args)
    rate = report(app)
    print(
        f"{len(paths):,} random full tiles (levels 0 and 1, entry bundles) of a {args.entries:,}-entry "
        f"log, one uvicorn process, wrk {args.connections} connections for {args.seconds} s:"
    )
    print(f"  (a) /log/tile/... of the platform app : {rate:,.0f} requests/s, {summary(app)}")
    ceiling_rate = report(ceiling)
    print(
        f"  (b) the same uvicorn, a bare ASGI app returning a constant 8 KiB tile (the server's "
        f"ceiling): {ceiling_rate:,.0f} requests/s, {summary(ceiling)}"
    )
    print(
        f"  target ≥ {TARGET_PER_S:,} requests/s: {rate / TARGET_PER_S:.2f}× the target, "
        f"{'met' if rate >= TARGET_PER_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

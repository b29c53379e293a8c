"""CLI speed (issue 10 §2): wall-clock time of the installed ``carbonbridge`` console script.

Each command runs as a user runs it, in a fresh process of the console script next to this
interpreter (``<venv>/bin/carbonbridge``), ``--runs`` times after one warm-up run; the figure is the
median. Targets on the 2-vCPU development VM: ``--help`` and every group's ``--help`` ≤ 0.3 s; a
10-row ``inventory compute`` (rows made from the upload template's example rows,
``accounting.template``) and a ``methodologies calculate`` of a shipped worked example ≤ 1 s.

Two conditions, each command timed in both:

- **installed** (the figure the targets are judged on): Python's bytecode cache in place, as an
  installed package runs (``pip install`` compiles it; Python writes it on a module's first
  import). The warm-up run writes it, into a private ``PYTHONPYCACHEPREFIX`` so that the
  installation's own directories are not touched.
- **no bytecode cache**: ``PYTHONDONTWRITEBYTECODE=1`` and the installation as it is; where
  nothing compiled it, every module but the standard library's is compiled from source on every
  run. This is what a process sees where
  ``PYTHONDONTWRITEBYTECODE`` is set and nothing was compiled at install (``uv pip install``
  without ``--compile-bytecode``), as in the development VM's agent shells: it adds ~0.15 s to
  ``--help`` and ~1-2 s to a command that reads the database.

Each line prints the median, the median CPU time (user + system: other jobs on a shared machine
stretch wall-clock time, hardly CPU time), the target, the ratio of the median to the target, the
median without a bytecode cache and the baseline: the same script on ``main`` at 5c02c2f
(2026-12-05, before this change), installed, with its CPU time. ``--baseline-script`` also times another
installation's console script right after each command, under the same load.

    python -m benchmarks.bench_cli [--runs 5] [--baseline-script /path/to/.venv/bin/carbonbridge]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from carbonbridge.accounting.intake import COLUMNS
from carbonbridge.accounting.template import EXAMPLE_ROWS

#: median wall-clock and CPU seconds (installed: bytecode cached) of the same script run on ``main``
#: at 5c02c2f (2026-12-05, before the group-help and database-at-head changes), timed with
#: ``--baseline-script`` in the run of 08:04 UTC, 5 runs, load average 5-8 on 2 vCPUs (wall-clock
#: time is stretched ~2x by the load: compare CPU); ``registry`` is another change's
BASELINE_S: dict[str, tuple[float, float]] = {
    "--help": (0.518, 0.205),
    "factors --help": (0.710, 0.350),
    "inventory --help": (0.948, 0.381),
    "ledger --help": (1.150, 0.556),
    "methodologies --help": (0.880, 0.365),
    "registry --help": (3.356, 1.710),
    "users --help": (1.440, 0.832),
    "inventory compute (10 rows)": (4.764, 1.939),
    "methodologies calculate": (1.571, 0.772),
}
HELP_TARGET_S = 0.3
COMMAND_TARGET_S = 1.0
METHODOLOGY = "AMS-III.C"


def _script() -> str:
    """The installed console script of this environment (as ``pip install`` puts it)."""
    beside = Path(sys.executable).with_name("carbonbridge")
    found = str(beside) if beside.exists() else shutil.which("carbonbridge")
    if found is None:
        raise SystemExit("the carbonbridge console script is not installed in this environment")
    return found


def activity_csv(rows: int) -> bytes:
    """``rows`` activity rows in the upload template's format: its example rows, repeated with a
    different facility and period so that no two rows are the same record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        row = list(EXAMPLE_ROWS[n % len(EXAMPLE_ROWS)])
        row[0] = f"FAC-{n // len(EXAMPLE_ROWS) + 1}"
        writer.writerow(str(v) if not isinstance(v, date) else v.isoformat() for v in row)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _time(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU (user + system) seconds of ``command`` over ``runs`` runs
    after one warm-up run."""
    times = []
    cpu = []
    for n in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} exited {result.returncode}: {result.stderr.decode()[-400:]}"
            )
        if n:
            times.append(elapsed)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def conditions(work: Path) -> dict[str, dict[str, str]]:
    """The environments of the two conditions: ``installed`` (a bytecode cache that the warm-up
    run writes into a private prefix) and ``cold`` (the installation's own ``__pycache__``
    directories, none written: the standard library's cache only, where nothing compiled the
    rest)."""
    base = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"}
    }
    base |= {"CARBONBRIDGE_DATA_DIR": str(work / "var"), "COLUMNS": "100"}
    return {
        "installed": {**base, "PYTHONPYCACHEPREFIX": str(work / "pycache")},
        "cold": {**base, "PYTHONDONTWRITEBYTECODE": "1"},
    }


def cases(work: Path, script: str, env: dict[str, str]) -> list[tuple[str, list[str], float]]:
    """(label, arguments, target) of every timed command; writes the files they read."""
    activity = work / "activity.csv"
    activity.write_bytes(activity_csv(10))
    params = work / "params.json"
    example = subprocess.run(
        [script, "methodologies", "example", METHODOLOGY], env=env, capture_output=True, check=True
    )
    params.write_bytes(example.stdout)
    timed: list[tuple[str, list[str], float]] = [("--help", ["--help"], HELP_TARGET_S)]
    for group in ("factors", "inventory", "ledger", "methodologies", "registry", "users"):
        timed.append((f"{group} --help", [group, "--help"], HELP_TARGET_S))
    timed.append(
        (
            "inventory compute (10 rows)",
            ["inventory", "compute", str(activity), "--format", "json"],
            COMMAND_TARGET_S,
        )
    )
    timed.append(
        (
            "methodologies calculate",
            ["methodologies", "calculate", METHODOLOGY, str(params)],
            COMMAND_TARGET_S,
        )
    )
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline-script",
        help="another installation's console script (e.g. a checkout of main before this change) "
        "timed right after each command, in both conditions, under the same machine load",
    )
    args = parser.parse_args()
    script = _script()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        envs = conditions(work)
        print(f"carbonbridge CLI, median of {args.runs} runs after a warm-up ({script})")
        print(f"load average at the start: {_load()} on {os.cpu_count()} CPUs")
        print(
            f"{'command':28} {'median':>7} {'CPU':>6} {'target':>6} {'ratio':>6} {'':9}"
            f" {'no pyc (CPU)':>15}   baseline 5c02c2f (CPU)"
        )
        for label, command, target in cases(work, script, envs["installed"]):
            median, cpu = _time([script, *command], envs["installed"], args.runs)
            cold, cold_cpu = _time([script, *command], envs["cold"], args.runs)
            baseline = BASELINE_S.get(label)
            before = f"{baseline[0]:.2f}s ({baseline[1]:.2f}s)" if baseline else "-"
            verdict = "[met]" if median <= target else "[NOT met]"
            print(
                f"{label:28} {median:6.3f}s {cpu:5.3f}s {target:5.1f}s {median / target:5.2f}× {verdict:9}"
                f" {cold:6.3f}s ({cold_cpu:5.3f}s)   {before}"
            )
            if args.baseline_script:
                then, then_cpu = _time([args.baseline_script, *command], envs["installed"], args.runs)
                then_cold, then_cold_cpu = _time([args.baseline_script, *command], envs["cold"], args.runs)
                print(
                    f"{'  baseline script, same run':28} {then:6.3f}s {then_cpu:5.3f}s {'':23}"
                    f" {then_cold:6.3f}s ({then_cold_cpu:5.3f}s)"
                    f"   ({then / median:.1f}× / {then_cold / cold:.1f}× this code)"
                )
        print(f"load average at the end: {_load()}")


def _load() -> str:
    """The 1-, 5- and 15-minute load averages: above the CPU count, other jobs stretch wall-clock
    time (compare the CPU column)."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()

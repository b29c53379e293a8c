"""CLI speed (issue 10 §2): wall-clock time of the installed ``carbonbridge`` console script.

Each command runs as a user runs it, in a fresh process of the console script next to this
interpreter (``<venv>/bin/carbonbridge``), ``--runs`` times after one warm-up run (which fills the
OS file cache and Python's bytecode cache); the figure is the median. Targets on the 2-vCPU
development VM: ``--help`` and every group's ``--help`` ≤ 0.3 s; a 10-row ``inventory compute``
(rows made from the upload template's example rows, ``accounting.template``) and a
``methodologies calculate`` of a shipped worked example ≤ 1 s. Each line prints the median, the
median CPU time (user + system: other jobs on a shared machine stretch wall-clock time, hardly CPU
time), the ratio of the median to the target and, where measured, the baseline: the same script
run on ``main`` at 3fc9d6b (2026-12-04, before the lazy CLI), when every command imported the web,
database and bulk stacks first.

    python -m benchmarks.bench_cli [--runs 7]
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

#: median seconds of 5 runs on main at 3fc9d6b (2026-12-04 20:40 UTC), same VM and script,
#: before the lazy CLI
BASELINE_S = {
    "--help": 2.11,
    "factors --help": 2.54,
    "inventory --help": 2.83,
    "ledger --help": 2.33,
    "methodologies --help": 2.38,
    "registry --help": 2.11,
    "users --help": 2.24,
    "inventory compute (10 rows)": 2.66,
    "methodologies calculate": 3.46,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--baseline-script",
        help="another installation's console script (e.g. a checkout of main before this change) "
        "timed right after each command, under the same machine load",
    )
    args = parser.parse_args()
    script = _script()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "CARBONBRIDGE_DATA_DIR": str(work / "var"), "COLUMNS": "100"}
        activity = work / "activity.csv"
        activity.write_bytes(activity_csv(10))
        params = work / "params.json"
        example = subprocess.run(
            [script, "methodologies", "example", METHODOLOGY], env=env, capture_output=True, check=True
        )
        params.write_bytes(example.stdout)
        cases: list[tuple[str, list[str], float]] = [("--help", ["--help"], HELP_TARGET_S)]
        for group in ("factors", "inventory", "ledger", "methodologies", "registry", "users"):
            cases.append((f"{group} --help", [group, "--help"], HELP_TARGET_S))
        cases.append(
            (
                "inventory compute (10 rows)",
                ["inventory", "compute", str(activity), "--format", "json"],
                COMMAND_TARGET_S,
            )
        )
        cases.append(
            (
                "methodologies calculate",
                ["methodologies", "calculate", METHODOLOGY, str(params)],
                COMMAND_TARGET_S,
            )
        )
        print(f"carbonbridge CLI, median of {args.runs} runs after a warm-up ({script})")
        print(f"{'command':30} {'median':>8} {'CPU':>7} {'target':>7} {'ratio':>6}   baseline (3fc9d6b)")
        for label, command, target in cases:
            median, cpu = _time([script, *command], env, args.runs)
            baseline = BASELINE_S.get(label)
            before = f"{baseline:.2f} s ({baseline / median:.1f}× this run)" if baseline else "-"
            verdict = "met" if median <= target else "NOT met"
            print(
                f"{label:30} {median:7.3f}s {cpu:6.3f}s {target:6.1f}s {median / target:5.2f}×   {before}"
                f"  [{verdict}]"
            )
            if args.baseline_script:
                then, then_cpu = _time([args.baseline_script, *command], env, args.runs)
                print(
                    f"{'  same run, baseline script':30} {then:7.3f}s {then_cpu:6.3f}s"
                    f"{'':8} {then / median:5.1f}× slower than this code, CPU {then_cpu / cpu:.1f}×"
                )


if __name__ == "__main__":
    main()

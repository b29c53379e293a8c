"""Run CAD Trust's own validation on our records (test support, no CAD Trust code in here).

:func:`cadt_validator` extracts the validation modules and bundled picklists of CAD Trust's code
base at :data:`~carbonbridge.registry.cadt.node.CADT_VALIDATION_COMMIT` from a local git snapshot
(``$CARBONBRIDGE_CADT_GIT``, default ``/work/.mirror/Chia-Network+cadt/repo``) into a temporary
directory, replaces its config and data loaders by our stubs (``cadt_validation/stubs``), installs
the pinned ``joi`` from the npm registry into a cache directory (``$CARBONBRIDGE_CADT_NODE_CACHE``,
default ``~/.cache/carbonbridge``) and runs our harness (``cadt_validation/harness.mjs``) with Node.
Nothing of CAD Trust's is kept in the repository; the extraction lives as long as the test session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from carbonbridge.registry.cadt.node import CADT_JOI_VERSION, CADT_VALIDATION_COMMIT

HARNESS = Path(__file__).parent / "cadt_validation"
DEFAULT_GIT = "/work/.mirror/Chia-Network+cadt/repo"
#: what the harness needs of CAD Trust's tree at the pinned commit
PATHS = (
    "src/validations",
    "src/utils/string-utils.js",
    "src/utils/validation-utils.js",
    "src/models/governance/governance.stub.js",
)


@dataclass(frozen=True)
class Failure:
    """One complaint of CAD Trust's validation: which record (index, schema), field, value, why."""

    index: int
    schema: str
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"#{self.index} {self.schema} {self.field}={self.value!r}: {self.message}"


@dataclass(frozen=True)
class Validation:
    failures: list[Failure]
    picklists: Mapping[str, list[str]]


class CadtValidator:
    """CAD Trust's validation extracted at the pinned commit, ready to run on records."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree

    def validate(self, items: Sequence[tuple[str, Mapping[str, Any]]]) -> Validation:
        """Validate ``(schema name, record)`` pairs, e.g. ``("projectsPostSchema", {...})``."""
        records = self.tree / "records.json"
        records.write_text(json.dumps([{"schema": s, "record": r} for s, r in items]), "utf-8")
        done = subprocess.run(
            [
                "node",
                "--import",
                str(HARNESS / "register.mjs"),
                str(HARNESS / "harness.mjs"),
                str(self.tree),
                str(records),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"CAD Trust validation harness failed: {done.stderr}")
        out = json.loads(done.stdout)
        return Validation([Failure(**f) for f in out["failures"]], out["picklists"])


def unavailable() -> str | None:
    """Why the validation cannot run here (no snapshot, node or npm), else ``None``."""
    git_dir = os.environ.get("CARBONBRIDGE_CADT_GIT", DEFAULT_GIT)
    if not Path(git_dir).exists():
        return f"no CAD Trust snapshot at {git_dir} (set CARBONBRIDGE_CADT_GIT)"
    for tool in ("git", "node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found on PATH"
    return None


def _joi(cache_root: Path) -> Path:
    target = cache_root / f"cadt-joi-{CADT_JOI_VERSION}"
    if not (target / "node_modules" / "joi" / "package.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                f"joi@{CADT_JOI_VERSION}",
            ],
            cwd=target,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return target / "node_modules"


def extract(into: Path) -> CadtValidator:
    """Extract CAD Trust's validation at the pinned commit into ``into`` and stub its loaders."""
    git_dir = os.environ.get("CARBONBRIDGE_CADT_GIT", DEFAULT_GIT)
    archive = subprocess.run(
        ["git", "--git-dir", git_dir, "archive", CADT_VALIDATION_COMMIT, *PATHS],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    for stub in (HARNESS / "stubs").glob("*.js"):
        shutil.copy(stub, into / "src" / "utils" / stub.name)
    cache = Path(os.environ.get("CARBONBRIDGE_CADT_NODE_CACHE", Path.home() / ".cache" / "carbonbridge"))
    (into / "node_modules").symlink_to(_joi(cache))
    return CadtValidator(into)


def temporary_validator() -> tuple[CadtValidator, tempfile.TemporaryDirectory[str]]:
    holder = tempfile.TemporaryDirectory(prefix="cadt-validation-")
    return extract(Path(holder.name)), holder

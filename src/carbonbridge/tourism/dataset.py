"""The tourism dataset: the factors a bill needs that the platform's factor library does not ship
(the Travel Impact Model's constants and fuel-burn rows, car, EV and meal factors, a destination's
activity figures), versioned under ``tourism/data/<id>/<version>/`` with a source and a
confirmation mark per row (``docs/tourism.md``, "Factors")."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from carbonbridge.kernel.errors import FactorNotFound

DATASET_ID = "tourism-factors"
DATASET_VERSION = "2026-v0.1"


@dataclass(frozen=True)
class TourismFactor:
    row_id: str
    activity: str
    key: str
    value: Decimal
    unit: str
    source: str
    table: str
    confidence: str
    note: str

    @property
    def ref(self) -> str:
        """``dataset@version#row``, as every bill line records it."""
        return f"{DATASET_ID}@{DATASET_VERSION}#{self.row_id}"

    @property
    def citation(self) -> str:
        return ", ".join(p for p in (self.source, self.table) if p)


class TourismDataset:
    """Rows by ``(activity, key)``; :meth:`get` raises :class:`FactorNotFound` naming both."""

    def __init__(self, rows: list[TourismFactor], manifest: dict[str, object]) -> None:
        self.rows = {(r.activity, r.key): r for r in rows}
        self.manifest = manifest

    def get(self, activity: str, key: str) -> TourismFactor:
        row = self.rows.get((activity, key))
        if row is None:
            raise FactorNotFound(f"no tourism factor {activity} {key} in {DATASET_ID}@{DATASET_VERSION}")
        return row

    def find(self, activity: str, key: str) -> TourismFactor | None:
        return self.rows.get((activity, key))

    def keys(self, activity: str) -> list[str]:
        return sorted(k for a, k in self.rows if a == activity)


def parse(manifest_json: str, factors_csv: str) -> TourismDataset:
    rows = [
        TourismFactor(
            r["row_id"],
            r["activity"],
            r["key"],
            Decimal(r["value"]),
            r["unit"],
            r["source"],
            r["table"],
            r["confidence"],
            r["note"],
        )
        for r in csv.DictReader(io.StringIO(factors_csv))
    ]
    return TourismDataset(rows, json.loads(manifest_json))


@lru_cache(maxsize=1)
def shipped() -> TourismDataset:
    """The dataset shipped in the package (read once per process)."""
    folder = resources.files("carbonbridge.tourism") / "data" / DATASET_ID / DATASET_VERSION
    return parse(
        (folder / "dataset.json").read_text(encoding="utf-8"),
        (folder / "factors.csv").read_text(encoding="utf-8"),
    )

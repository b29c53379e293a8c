"""Whether an activity record can be computed: the rule intake refuses rows by, and the rule by
which pages list a stored record as "not computable" instead of failing.

A record is **computable** when the engine computes it (:func:`engine.calculate`, with the
installation's factor library, pins and the organisation's combustion sector) under every GWP set
the platform offers, and every framework view can place the result
(:func:`frameworks.check_placeable`). That is the engine's own rule, run, not a list of codes kept
beside it, so it cannot drift from what the pages compute.

What a calculation needs depends only on the record's activity, unit, region, grid region,
reporting year, whether it names an instrument, and its organisation (the combustion sector), not
on its quantity or period within the year. :class:`Computability` therefore computes one
representative per such key and answers every other row of the key from memory: a 200,000-row
upload with a few dozen distinct keys costs a few dozen calculations per GWP set.

Pure: no database, no web framework.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from carbonbridge.accounting.frameworks import check_placeable
from carbonbridge.accounting.model import ActivityRecord, NotComputable, RecordEmissions
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput, UnitMismatch

__all__ = ["CANNOT_COMPUTE", "Calculate", "Computability", "Refusal", "partition", "reason_of"]

#: One record's emissions under one GWP set, as the service computes every stored record.
Calculate = Callable[[ActivityRecord, GwpSet], RecordEmissions]
#: What the engine raises for a record it cannot compute (a unit mismatch is invalid input too).
CANNOT_COMPUTE = (FactorNotFound, InvalidInput)

_RECORD_PREFIX = re.compile(r"^record [^:\s]+: ")


@dataclass(frozen=True)
class Refusal:
    """Why a row cannot be computed, and the column that decides it."""

    column: str
    reason: str


def reason_of(exc: FactorNotFound | InvalidInput) -> str:
    """The engine's explanation without the record id (a row in an upload has none yet)."""
    return _RECORD_PREFIX.sub("", exc.detail)


def computed(record: ActivityRecord, calculate: Calculate, gwp: GwpSet) -> RecordEmissions:
    """``record``'s emissions, placeable in every framework view, or the engine's error."""
    emissions = calculate(record, gwp)
    check_placeable(emissions)
    return emissions


def partition(
    records: Iterable[ActivityRecord], calculate: Calculate, gwp: GwpSet
) -> tuple[tuple[RecordEmissions, ...], tuple[NotComputable, ...]]:
    """Compute every record that can be; list the others with the reason (nothing is raised, so
    one bad record never hides the rest)."""
    done: list[RecordEmissions] = []
    failed: list[NotComputable] = []
    for record in records:
        try:
            done.append(computed(record, calculate, gwp))
        except CANNOT_COMPUTE as exc:
            failed.append(NotComputable(record, reason_of(exc)))
    return tuple(done), tuple(failed)


_Key = tuple[str, str, str, str | None, int, bool, str]


class Computability:
    """The intake screen: ``screen(record)`` is ``None`` for a computable record, else the
    :class:`Refusal` naming the column and the engine's reason. Decided once per key (see the
    module docstring) under each of ``gwp_sets``."""

    def __init__(self, calculate: Calculate, gwp_sets: Iterable[GwpSet] = tuple(GwpSet)) -> None:
        self._calculate = calculate
        self._gwp_sets = tuple(gwp_sets)
        self._known: dict[_Key, Refusal | None] = {}

    def __call__(self, record: ActivityRecord) -> Refusal | None:
        key = (
            record.activity,
            record.unit,
            record.region,
            record.grid_region,
            record.year,
            record.instrument is not None,
            record.organisation_id,
        )
        if key not in self._known:
            self._known[key] = self._decide(record)
        return self._known[key]

    @property
    def decided(self) -> int:
        """How many distinct keys were computed so far."""
        return len(self._known)

    def _decide(self, record: ActivityRecord) -> Refusal | None:
        for n, gwp in enumerate(self._gwp_sets):
            try:
                computed(record, self._calculate, gwp)
            except CANNOT_COMPUTE as exc:
                column = "unit" if isinstance(exc, UnitMismatch) else "activity"
                under = f" (GWP set {gwp.value})" if n else ""
                return Refusal(column, f"cannot be computed{under}: {reason_of(exc)}")
        return None

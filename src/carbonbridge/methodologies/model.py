"""What every methodology calculator takes and returns.

A calculator turns a monitoring report's parameters (plain JSON: numbers as strings or numbers,
per-stratum lists, ...) into a :class:`Calculation`: the net emission reductions or removals for the
monitoring period in t CO2e (``Decimal``), every intermediate figure as a :class:`Line` citing the
equation that produced it, and the plausibility :class:`Flag` s the check raised. The registry
issues ``floor(net_t)`` whole-tonne credits from a verified calculation; nothing here rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Kind(StrEnum):
    """Whether the methodology counts removals (sinks, subject to non-permanence and a buffer) or
    emission reductions."""

    REMOVAL = "removal"
    REDUCTION = "reduction"


class Severity(StrEnum):
    """``warning`` is shown to the verifier; ``implausible`` blocks verification until overridden
    with a written reason."""

    WARNING = "warning"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class Line:
    """One figure of a calculation: ``name`` is the methodology's own symbol (e.g. ``BE_y``),
    ``equation`` where it comes from (e.g. ``AMS-I.B v13 eq. 1``), ``source`` whether that is
    confirmed text of the named methodology or taken from an analogue."""

    name: str
    value: Decimal
    unit: str
    equation: str
    label_en: str
    label_zh: str
    source: str = ""


@dataclass(frozen=True)
class Flag:
    """A plausibility finding: which check, the measured figure, the bound it broke, and why."""

    check: str
    severity: Severity
    value: Decimal
    bound: Decimal
    unit: str
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class Calculation:
    """The result of one calculator run. ``methodology`` is ``id@version``.

    Reductions: ``net_t = baseline_t − project_t − leakage_t`` (baseline and project *emissions*).
    Removals: ``net_t = project_t − baseline_t − leakage_t`` (project and baseline *removals*, the
    project's already net of its own emissions)."""

    methodology: str
    kind: Kind
    net_t: Decimal
    baseline_t: Decimal
    project_t: Decimal
    leakage_t: Decimal
    lines: tuple[Line, ...]
    flags: tuple[Flag, ...] = ()
    #: the parameters as the calculator understood them (defaults filled in), for the record
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: for removals: the share of ``net_t`` the registry puts in the non-permanence buffer pool
    #: (e.g. Gold Standard's flat 0.20); ``None`` when the methodology sets none (reductions)
    buffer_share: Decimal | None = None

    @property
    def blocked(self) -> bool:
        """True when a flag of severity ``implausible`` was raised."""
        return any(f.severity is Severity.IMPLAUSIBLE for f in self.flags)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (decimals as strings), the shape stored and logged."""
        return {
            "methodology": self.methodology,
            "kind": self.kind.value,
            "net_t": format(self.net_t, "f"),
            "baseline_t": format(self.baseline_t, "f"),
            "project_t": format(self.project_t, "f"),
            "leakage_t": format(self.leakage_t, "f"),
            "lines": [
                {
                    "name": ln.name,
                    "value": format(ln.value, "f"),
                    "unit": ln.unit,
                    "equation": ln.equation,
                    "label_en": ln.label_en,
                    "label_zh": ln.label_zh,
                    "source": ln.source,
                }
                for ln in self.lines
            ],
            "flags": [
                {
                    "check": f.check,
                    "severity": f.severity.value,
                    "value": format(f.value, "f"),
                    "bound": format(f.bound, "f"),
                    "unit": f.unit,
                    "reason_en": f.reason_en,
                    "reason_zh": f.reason_zh,
                }
                for f in self.flags
            ],
            "parameters": dict(self.parameters),
            "buffer_share": None if self.buffer_share is None else format(self.buffer_share, "f"),
        }


@runtime_checkable
class Methodology(Protocol):
    """A calculator. ``id`` is stable (e.g. ``CCER-14-002-V01``), ``version`` names the text it
    implements; ``calculate`` raises :class:`carbonbridge.kernel.errors.InvalidInput` naming every
    bad parameter and never returns a partial result."""

    id: str
    version: str
    kind: Kind
    title_en: str
    title_zh: str

    def calculate(self, parameters: Mapping[str, Any]) -> Calculation: ...

    def example(self) -> Mapping[str, Any]:
        """A worked-example parameter set (what the web form is pre-filled with)."""
        ...

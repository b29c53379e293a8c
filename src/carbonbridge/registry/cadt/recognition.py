"""Mutual recognition (碳标准互通互认): which other standards' criteria a credit type meets.

A credit type is (standard, methodology, unit type); a criterion is another scheme's test, e.g.
``corsia_2021_2023`` (CORSIA eligible emissions unit, pilot phase), ``icvcm_ccp`` (ICVCM Core
Carbon Principles label), ``china_ccer`` (a CCER methodology), ``china_ets_offset`` (usable to
offset national ETS obligations), ``article6_authorised`` (host-country authorisation under
Article 6 of the Paris Agreement). The answers come from an editable table, one cited row per
statement (``data/recognition.csv``; columns in :data:`COLUMNS`): we write down only what a
published decision says, and anything not in the table is ``not_assessed`` — never guessed.

A region replaces the shipped table with its own CSV: pass ``path=`` or set
``$CARBONBRIDGE_RECOGNITION_CSV``. A row's ``methodology`` or ``unit_type`` may be ``*`` (any); a
row naming the methodology wins over a wildcard row for the same criterion.

Pure: reads a CSV, no database, no framework.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

COLUMNS = (
    "standard",
    "methodology",
    "unit_type",
    "criterion",
    "status",
    "condition_en",
    "condition_zh",
    "citation",
)
#: the criteria the platform knows (a region's table may add more)
CRITERIA = ("corsia_2021_2023", "icvcm_ccp", "china_ccer", "china_ets_offset", "article6_authorised")
#: environment variable naming a region's own table
TABLE_ENV = "CARBONBRIDGE_RECOGNITION_CSV"
UNIT_TYPES = ("removal", "reduction", "*")


class Recognition(StrEnum):
    MEETS = "meets"
    CONDITIONAL = "conditional"
    DOES_NOT_MEET = "does_not_meet"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class CreditType:
    """What recognition is asked for: the credit's standard (``CCER``), its methodology with or
    without ``@version`` (``CCER-14-002-V01``) and unit type (``removal``/``reduction``)."""

    standard: str
    methodology: str
    unit_type: str


@dataclass(frozen=True)
class Assessment:
    criterion: str
    status: Recognition
    condition_en: str = ""
    condition_zh: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Row:
    standard: str
    methodology: str
    unit_type: str
    assessment: Assessment


def parse_table(text: str, source: str = "recognition.csv") -> tuple[Row, ...]:
    """Rows of a recognition table; every row needs a citation unless it says ``not_assessed``.
    A bad table is refused whole, naming the row (1-based, header = row 1) and column."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(
            f"{source}: unexpected columns",
            [FieldIssue(("columns",), ",".join(reader.fieldnames or ()), f"exactly {','.join(COLUMNS)}")],
        )
    rows: list[Row] = []
    issues: list[FieldIssue] = []
    seen: set[tuple[str, str, str, str]] = set()
    for n, raw in enumerate(reader, start=2):
        values = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        for name in ("standard", "methodology", "unit_type", "criterion"):
            if not values[name]:
                issues.append(FieldIssue(("rows", n, name), "", "required"))
        if values["unit_type"] and values["unit_type"] not in UNIT_TYPES:
            issues.append(FieldIssue(("rows", n, "unit_type"), values["unit_type"], f"one of {UNIT_TYPES}"))
        try:
            status = Recognition(values["status"])
        except ValueError:
            issues.append(
                FieldIssue(
                    ("rows", n, "status"), values["status"], f"one of {[s.value for s in Recognition]}"
                )
            )
            continue
        if status is not Recognition.NOT_ASSESSED and not values["citation"]:
            issues.append(FieldIssue(("rows", n, "citation"), "", "every statement needs its source"))
        if status is Recognition.CONDITIONAL and not values["condition_en"]:
            issues.append(FieldIssue(("rows", n, "condition_en"), "", "say the condition"))
        key = (values["standard"], values["methodology"], values["unit_type"], values["criterion"])
        if key in seen:
            issues.append(FieldIssue(("rows", n), ",".join(key), "duplicate row"))
        seen.add(key)
        assessment = Assessment(
            values["criterion"], status, values["condition_en"], values["condition_zh"], values["citation"]
        )
        rows.append(Row(values["standard"], values["methodology"], values["unit_type"], assessment))
    if issues:
        raise InvalidInput(f"{source}: invalid recognition table", issues)
    return tuple(rows)


def load_table(path: str | Path | None = None) -> tuple[Row, ...]:
    """The region's table (``path``, else ``$CARBONBRIDGE_RECOGNITION_CSV``), else the shipped one."""
    chosen = path if path is not None else os.environ.get(TABLE_ENV) or None
    if chosen is None:
        text = resources.files("carbonbridge.registry").joinpath("data", "recognition.csv").read_text("utf-8")
        return parse_table(text)
    file = Path(chosen)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(
            "recognition table unreadable", [FieldIssue(("path",), str(file), str(exc.strerror or exc))]
        ) from exc
    return parse_table(text, file.name)


def _matches(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value


def recognise(
    credit: CreditType, table: Sequence[Row], criteria: Sequence[str] = CRITERIA
) -> dict[str, Assessment]:
    """For each criterion, what the table says of this credit type (the most specific matching
    row: named methodology before ``*``, named unit type before ``*``), else ``not_assessed``.
    The credit's methodology may carry ``@version``; rows name the methodology without it."""
    methodology = credit.methodology.split("@", 1)[0]
    found: dict[str, tuple[int, Assessment]] = {}
    for row in table:
        if row.standard != credit.standard or not _matches(row.methodology, methodology):
            continue
        if not _matches(row.unit_type, credit.unit_type):
            continue
        rank = (row.methodology != "*") * 2 + (row.unit_type != "*")
        current = found.get(row.assessment.criterion)
        if current is None or rank > current[0]:
            found[row.assessment.criterion] = (rank, row.assessment)
    names = list(criteria) + sorted(set(found) - set(criteria))
    return {c: found[c][1] if c in found else Assessment(c, Recognition.NOT_ASSESSED) for c in names}


def summary(assessments: Mapping[str, Assessment]) -> dict[str, str]:
    """Criterion → status, for a compact display."""
    return {c: a.status.value for c, a in assessments.items()}

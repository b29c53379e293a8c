"""Serial numbers of credit blocks, formatted and parsed.

Format (documented in ``docs/registry.md``), in the manner of Verra's VCU serials (which carry the
registry, project, vintage and block start-end) and Gold Standard's GS serials::

    CB-<region>-<project>-<vintage>-<start>-<end>
    CB-CN-HI-MG001-2025-1-850

* ``CB``: this registry (carbonbridge);
* ``<region>``: the project's ISO 3166-2 subdivision, ``CC-SSS`` (``CN-HI`` is Hainan);
* ``<project>``: the project code, 1-20 upper-case letters or digits;
* ``<vintage>``: four-digit year;
* ``<start>``, ``<end>``: the block's first and last serial, decimal integers without leading zeros,
  ``1 <= start <= end <= 2**53 - 1`` (the largest integer the log's events carry exactly,
  ``kernel.bounds``); the block holds ``end - start + 1`` tonnes.

:func:`parse_serial` inverts :func:`format_serial` exactly (property-tested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbonbridge.kernel.bounds import MAX_EXACT_INT
from carbonbridge.kernel.errors import FieldIssue, InvalidInput
from carbonbridge.registry.model import REGISTRY_PREFIX

REGION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
PROJECT_CODE = re.compile(r"[A-Z0-9]{1,20}")
_SERIAL = re.compile(
    rf"{REGISTRY_PREFIX}-(?P<region>[A-Z]{{2}}-[A-Z0-9]{{1,3}})-(?P<project>[A-Z0-9]{{1,20}})"
    r"-(?P<vintage>[0-9]{4})-(?P<start>[1-9][0-9]*)-(?P<end>[1-9][0-9]*)"
)


@dataclass(frozen=True)
class Serial:
    """A parsed serial number: a range of one project's vintage."""

    region: str
    project: str
    vintage: int
    start: int
    end: int

    @property
    def count(self) -> int:
        return self.end - self.start + 1


def _issues(serial: Serial) -> list[FieldIssue]:
    issues = []
    if not REGION.fullmatch(serial.region):
        issues.append(FieldIssue(("region",), serial.region, "an ISO 3166-2 code such as CN-HI"))
    if not PROJECT_CODE.fullmatch(serial.project):
        issues.append(FieldIssue(("project",), serial.project, "1-20 upper-case letters or digits"))
    if not 1000 <= serial.vintage <= 9999:
        issues.append(FieldIssue(("vintage",), serial.vintage, "a four-digit year"))
    if serial.start < 1:
        issues.append(FieldIssue(("start",), serial.start, "serials start at 1"))
    if serial.end < serial.start:
        issues.append(FieldIssue(("end",), serial.end, f"must be at least start ({serial.start})"))
    if serial.end > MAX_EXACT_INT:
        issues.append(FieldIssue(("end",), serial.end, _TOO_LARGE))
    return issues


_TOO_LARGE = f"serials are at most {MAX_EXACT_INT} (2^53 - 1)"


def format_serial(serial: Serial) -> str:
    """``CB-<region>-<project>-<vintage>-<start>-<end>``; :class:`InvalidInput` for a part that
    the format cannot carry."""
    issues = _issues(serial)
    if issues:
        raise InvalidInput("cannot format serial number", issues)
    return f"{REGISTRY_PREFIX}-{serial.region}-{serial.project}-{serial.vintage}-{serial.start}-{serial.end}"


def parse_serial(text: str) -> Serial:
    """The :class:`Serial` a serial-number string names; :class:`InvalidInput` if it is not one."""
    found = _SERIAL.fullmatch(text.strip())
    if found is None:
        raise InvalidInput(
            "not a serial number",
            [
                FieldIssue(
                    ("serial",), text, f"expected {REGISTRY_PREFIX}-<region>-<project>-<year>-<start>-<end>"
                )
            ],
        )
    if max(len(found["start"]), len(found["end"])) > len(str(MAX_EXACT_INT)):
        # not converted: int() of thousands of digits is slow, and refused past 4300 digits
        raise InvalidInput("not a serial number", [FieldIssue(("serial",), text[:80], _TOO_LARGE)])
    serial = Serial(
        found["region"], found["project"], int(found["vintage"]), int(found["start"]), int(found["end"])
    )
    issues = _issues(serial)
    if issues:
        raise InvalidInput("not a serial number", [FieldIssue(("serial",), text, i.reason) for i in issues])
    return serial

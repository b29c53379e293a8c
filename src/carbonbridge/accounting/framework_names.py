"""Framework names as people spell them, mapped to the canonical names every surface reports.

The canonical names are the keys of an inventory's views: ``ghgp`` (GHG Protocol Corporate
Standard, 2004 rev.), ``iso14064`` (ISO 14064-1:2018) and ``cn-mee`` (China MEE enterprise
accounting guidelines). Spellings are compared case-insensitively with spaces, underscores, dots,
colons and hyphens removed, so ``GHG-Protocol``, ``iso_14064-1`` and ``CN MEE`` are all accepted.
"""

from __future__ import annotations

from carbonbridge.kernel.errors import FieldIssue, InvalidInput

__all__ = ["CANONICAL_FRAMEWORKS", "canonical_framework"]

#: canonical name -> the spellings accepted for it (after :func:`_squash`)
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ghgp": (
        "ghgp",
        "ghgprotocol",
        "ghg",
        "ghgpcorporate",
        "ghgprotocolcorporate",
        "ghgprotocolcorporatestandard",
    ),
    "iso14064": ("iso14064", "iso140641", "iso1406412018", "iso14064part1", "iso"),
    "cn-mee": ("cnmee", "mee", "chinamee", "cnmeeguideline", "cnmeeguidelines"),
}
CANONICAL_FRAMEWORKS = tuple(_SPELLINGS)
_BY_SPELLING = {s: name for name, spellings in _SPELLINGS.items() for s in spellings}


def _squash(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch not in " _-.:/")


def canonical_framework(spelling: str, field: tuple[str | int, ...] = ("framework",)) -> str:
    """The canonical framework name for ``spelling``; :class:`InvalidInput` naming ``field`` and
    the accepted names when it is none of them."""
    found = _BY_SPELLING.get(_squash(spelling))
    if found is None:
        accepted = "ghgp (ghg-protocol), iso14064 (iso-14064-1), cn-mee (mee)"
        raise InvalidInput(
            f"unknown framework {spelling!r}", [FieldIssue(field, spelling, f"one of {accepted}")]
        )
    return found

"""User-facing text in zh and en through gettext catalogs (Babel ``.po`` files).

The catalogs are read from ``locale/<lang>/LC_MESSAGES/messages.po`` at start-up with Babel, so no
compiled ``.mo`` files need to be committed or built. English is the source language.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from babel.messages.pofile import read_po

LOCALES = ("zh", "en")


@lru_cache(maxsize=4)
def _catalog(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    path = resources.files("carbonbridge.platform") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string}


def gettext(lang: str, message: str) -> str:
    """``message`` in ``lang`` (falls back to the English source)."""
    return _catalog(lang).get(message, message)


def normalise(lang: str | None, default: str = "zh") -> str:
    if not lang:
        return default
    lang = lang.lower()
    return "zh" if lang.startswith("zh") else "en" if lang.startswith("en") else default

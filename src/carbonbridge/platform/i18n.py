"""User-facing text in zh and en through gettext catalogs (Babel ``.po`` files).

The catalogs are read from ``locale/<lang>/LC_MESSAGES/*.po`` at start-up with Babel, so no
compiled ``.mo`` files need to be committed or built. English is the source language. The platform's
catalogue comes first; each context that ships pages may add its own ``locale/`` (one or more ``.po``
files) next to its ``templates/``, so contexts never edit one shared file; a message defined twice
is an error in the tests, not a silent override.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from babel.messages.pofile import read_po

LOCALES = ("zh", "en")


#: packages whose ``locale/`` catalogues are merged, platform first
CATALOG_PACKAGES = ("platform", "accounting", "factors", "ledger", "methodologies", "registry", "overview")


def catalog_files(lang: str) -> list[Traversable]:
    """The ``.po`` files for ``lang`` that exist, in :data:`CATALOG_PACKAGES` order (within a package
    ``messages.po`` first, then the others by name, so that parts of a context can keep their own)."""
    files: list[Traversable] = []
    for package in CATALOG_PACKAGES:
        try:
            root = resources.files(f"carbonbridge.{package}")
        except ModuleNotFoundError:
            continue
        folder = root / "locale" / lang / "LC_MESSAGES"
        if not folder.is_dir():
            continue
        found = sorted((p for p in folder.iterdir() if p.name.endswith(".po")), key=lambda p: p.name)
        files.extend(sorted(found, key=lambda p: p.name != "messages.po"))
    return files


@lru_cache(maxsize=4)
def _catalog(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    merged: dict[str, str] = {}
    for path in catalog_files(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for m in catalog:
            if m.id and isinstance(m.string, str) and m.string:
                merged.setdefault(str(m.id), str(m.string))
    return merged


def gettext(lang: str, message: str) -> str:
    """``message`` in ``lang`` (falls back to the English source)."""
    return _catalog(lang).get(message, message)


def normalise(lang: str | None, default: str = "zh") -> str:
    if not lang:
        return default
    lang = lang.lower()
    return "zh" if lang.startswith("zh") else "en" if lang.startswith("en") else default

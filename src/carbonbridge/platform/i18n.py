"""User-facing text in zh and en through gettext catalogs (Babel ``.po`` files).

The catalogs are read from ``locale/<lang>/LC_MESSAGES/*.po`` at start-up with Babel, so no
compiled ``.mo`` files need to be committed or built. English is the source language. The platform's
catalogue comes first; each context that ships pages may add its own ``locale/`` (one or more ``.po``
files) next to its ``templates/``, so contexts never edit one shared file; a message defined twice
is an error in the tests, not a silent override.

Sentences built at run time (a validation reason, why a factor lost, a trace's note) are English
in the pure core, which knows no gettext. A face shows them with :func:`localise`: a sentence that is
a msgid is translated as it is; one with values in it matches a msgid with named placeholders
(``"the period is not over yet (today is %(today)s)"``), written exactly as the raising code
formats its text, and the Chinese msgstr is filled with the values found (a ``reason`` or
``detail`` value is itself localised). Anything else is shown unchanged: nothing is guessed. A test
extracts every such sentence from the code and fails when one has no Chinese.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from babel.messages.pofile import read_po

LOCALES = ("zh", "en")


#: packages whose ``locale/`` catalogues are merged, platform first
CATALOG_PACKAGES = (
    "platform",
    "accounting",
    "factors",
    "ledger",
    "methodologies",
    "registry",
    "tourism",
    "overview",
)


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


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark ``message`` for extraction (``pybabel extract -k N_``) without translating it: a label
    defined in code and translated where it is shown."""
    return message


#: a named placeholder in a msgid (``%(name)s``)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: placeholders whose value is itself a message (a sentence, a calculation basis), localised in turn
NESTED = frozenset({"reason", "detail", "basis"})
#: placeholders whose value is a list of messages joined by ", ", localised one by one
LISTS = frozenset({"query"})
#: placeholders whose value is "<message> (<key>) | <message> (<key>) | ...", localised message by
#: message (the factor library's rejected candidates, ``factors.reasons.not_found_summary``)
KEYED_LISTS = frozenset({"reasons"})


@lru_cache(maxsize=4)
def _patterns(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The msgids with placeholders as regular expressions, the most literal text first (so that
    ``"variant %(v)s is not %(w)s"`` is tried before ``"%(key)s: %(reason)s"``)."""
    found = []
    for msgid in _catalog(lang):
        if PLACEHOLDER.search(msgid) is None:
            continue
        parts, position = [], 0
        for match in PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[position : match.start()]))
            parts.append(f"(?P<{match.group(1)}>.+?)")
            position = match.end()
        parts.append(re.escape(msgid[position:]))
        found.append((msgid, re.compile("".join(parts), re.DOTALL)))
    found.sort(key=lambda item: -len(PLACEHOLDER.sub("", item[0])))
    return tuple(found)


@lru_cache(maxsize=8192)
def localise(lang: str, text: str) -> str:
    """A sentence built in English at run time, in ``lang``: its translation when it is a msgid,
    or a msgid with placeholders whose values are filled in; else ``text`` unchanged."""
    if lang == "en" or not text:
        return text
    catalog = _catalog(lang)
    exact = catalog.get(text)
    if exact is not None:
        return exact
    for msgid, pattern in _patterns(lang):
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values = {name: _value(lang, name, value) for name, value in found.groupdict().items()}
        return catalog[msgid] % values
    return text


def _value(lang: str, name: str, value: str) -> str:
    if name in NESTED:
        return localise(lang, value)
    if name in LISTS:
        return "，".join(localise(lang, part) for part in value.split(", "))
    if name in KEYED_LISTS:
        return " | ".join(_keyed(lang, part) for part in value.split(" | "))
    return value


def _keyed(lang: str, part: str) -> str:
    message, sep, key = part.rpartition(" (")
    return f"{localise(lang, message)} ({key}" if sep else part


def normalise(lang: str | None, default: str = "zh") -> str:
    if not lang:
        return default
    lang = lang.lower()
    return "zh" if lang.startswith("zh") else "en" if lang.startswith("en") else default

"""Every user-facing string in the templates has a Chinese translation in the gettext catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

SRC = Path(__file__).resolve().parents[2] / "src" / "carbonbridge"
CATALOG = SRC / "platform" / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def test_every_template_message_is_translated_to_chinese() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    translated = {m.id for m in catalog if m.id and m.string}
    used = {
        a or b for path in SRC.rglob("templates/*.html") for a, b in MESSAGE.findall(path.read_text("utf-8"))
    }
    assert used - translated == set()


def test_catalogue_has_no_duplicate_messages() -> None:
    ids = re.findall(r'^msgid "(.+)"$', CATALOG.read_text("utf-8"), re.MULTILINE)
    assert len(ids) == len(set(ids))

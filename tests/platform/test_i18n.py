"""Every user-facing string in the templates has a Chinese translation in the gettext catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from carbonbridge.platform.i18n import catalog_files

SRC = Path(__file__).resolve().parents[2] / "src" / "carbonbridge"
CATALOGS = [Path(str(p)) for p in catalog_files("zh")]
MESSAGE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def test_every_template_message_is_translated_to_chinese() -> None:
    translated: set[object] = set()
    for path in CATALOGS:
        with path.open("rb") as handle:
            translated |= {m.id for m in read_po(handle, locale="zh") if m.id and m.string}
    used = {
        a or b for path in SRC.rglob("templates/*.html") for a, b in MESSAGE.findall(path.read_text("utf-8"))
    }
    assert used - translated == set()


def test_catalogue_has_no_duplicate_messages() -> None:
    ids = [
        i for path in CATALOGS for i in re.findall(r'^msgid "(.+)"$', path.read_text("utf-8"), re.MULTILINE)
    ]
    assert CATALOGS
    assert len(ids) == len(set(ids))

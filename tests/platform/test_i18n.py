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


def test_a_page_is_in_the_language_asked_for_then_the_cookie_then_the_browser() -> None:
    """``?lang=`` wins, then the ``lang`` cookie, then the first ``Accept-Language`` choice, then
    Chinese."""
    from starlette.requests import Request

    from carbonbridge.platform.web import page_language

    def lang(query: str = "", cookie: str = "", accept: str = "") -> str:
        headers = []
        if cookie:
            headers.append((b"cookie", f"lang={cookie}".encode()))
        if accept:
            headers.append((b"accept-language", accept.encode()))
        scope = {"type": "http", "query_string": query.encode(), "headers": headers}
        return page_language(Request(scope))

    assert lang() == "zh"
    assert lang(accept="en-GB,en;q=0.9,zh;q=0.5") == "en"
    assert lang(accept="zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert lang(accept="fr-FR") == "zh"
    assert lang(cookie="zh", accept="en-US") == "zh"
    assert lang(query="lang=en", cookie="zh", accept="zh-CN") == "en"

"""The main pages, opened by a Chinese browser (``Accept-Language: zh-CN``), show no English
sentence: every label, reason, note, formula and banner a person reads is in Chinese.

What may stay Latin is what is not English prose: codes and ids (``electricity.grid``,
``cn-mee-grid-reporting@2023#A-2021``), units, numbers, and proper names. A sentence is three or
more Latin words in a row of which at least two are lower-case words (``"variant fossil is not
location"``); "China MEE and NBS" is a name, not a sentence. Titles of cited works are proper names
and are marked as such (``<cite>``), as are code samples (``<code>``, ``<pre>``); the visible text
outside them is checked, as Chromium lays it out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

#: the page's visible text nodes outside cited titles, code and parts marked English
VISIBLE_TEXT = """() => {
  const skip = "script,style,code,pre,kbd,samp,cite,[lang=en],[translate=no]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest(skip)) continue;
    if (!parent.checkVisibility()) continue;
    found.push(node.textContent.trim());
  }
  return found;
}"""
_LATIN_WORD = re.compile(r"[A-Za-z]+[,;:.]?")
#: Latin words that are values, not prose, where a reason lists them: the CLI's command words and
#: the activity-code prefixes a reason offers as choices
VALUE_WORDS = frozenset({"carbonbridge", "inventory", "submit"}) | frozenset(
    {"fuel", "mobile", "electricity", "heat", "refrigerant", "process", "travel", "hotel", "waste"}
)


def english_sentences(text: str) -> list[str]:
    """The runs of Latin words in ``text`` that read as English prose (see the module docstring)."""
    found: list[str] = []
    run: list[str] = []
    for token in [*text.split(), ""]:
        word = token.strip("()[]“”\"'")
        if word and _LATIN_WORD.fullmatch(word):
            run.append(word)
            continue
        lower = [
            w for w in (w.rstrip(",;:.") for w in run) if w.islower() and len(w) >= 2 and w not in VALUE_WORDS
        ]
        if len(run) >= 3 and len(lower) >= 2:
            found.append(" ".join(run))
        run = []
    return found


def test_the_sentence_finder_finds_english_and_spares_codes_and_names() -> None:
    assert english_sentences("未选 x@2021#A: variant fossil is not location") == [
        "variant fossil is not location"
    ]
    found = english_sentences("没有 (no residual mix published for CN)")
    assert found == ["no residual mix published for CN"]
    assert english_sentences("China MEE and NBS, 2023年 · electricity.grid 290758 kWh · GWP AR6") == []
    assert english_sentences("应为以下之一：fuel, mobile, electricity, heat") == []
    assert english_sentences("地区 CN-GRID-NORTH 不覆盖 CN-GRID-SOUTH; 290758 kWh = 290.758 MWh") == []


def _login(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def _english_on(page: Any) -> list[str]:
    texts: list[str] = page.evaluate(VISIBLE_TEXT)
    return sorted({sentence for text in texts for sentence in english_sentences(text)})


def _explain_links(page: Any, server: str) -> list[str]:
    """One explain page per activity family of the demo reporter's records (every basis shows)."""
    page.goto(f"{server}/organisations/demo-org-001?year=2024")
    links: dict[str, str] = {}
    for row in page.locator("#records tr").all():
        anchors = row.locator("a[href^='/records/']")
        if anchors.count():
            family = row.inner_text().split(".", 1)[0].split()[-1]
            links.setdefault(family, str(anchors.first.get_attribute("href")))
    return list(links.values())


def test_the_main_pages_in_chinese_have_no_english_sentence(page: Any, server: str) -> None:
    _login(page, server, "office")
    explain = _explain_links(page, server)
    assert len(explain) >= 3  # fuel (IPCC and MEE), electricity (location, market, mee_grid), ...
    pages = [
        "/",
        "/organisations",
        "/organisations/demo-org-001",
        "/organisations/demo-org-001?year=2024",
        *explain,
        "/inventory/region",
        "/factors",
        "/factors?q=natural_gas",
        "/transparency-log",
        "/transparency-log/entries/1",
        "/methodologies",
        "/methodologies/AMS-I.B",
        "/methodologies/CCER-14-002-V01",
        "/no-such-page",
    ]
    english = {}
    for path in pages:
        page.goto(f"{server}{path}")
        found = _english_on(page)
        if found:
            english[path] = found
    assert english == {}
    page.goto(f"{server}/transparency-log/entries/1")
    assert page.locator("#verify-ok").inner_text().startswith("✔ 验证通过：第 1 条记录")


def test_a_bad_upload_is_explained_in_chinese(page: Any, server: str, tmp_path: Path) -> None:
    """Each reason of a file breaking several rules, in Chinese, with its values."""
    _login(page, server, "hotel1")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "facility_id,period_start,period_end,category,activity,quantity,unit,instrument,note\n"
        "demo-org-001-f1,2025-11-01,2025-11-30,refrigerant,refrigerant.HFC-134a,-1,kg,,\n"
        "demo-org-001-f1,2024-01-01,2024-13-31,fuel,fuel.diesel,1,furlong,,\n"
        "somewhere-else,2024-02-01,2024-01-01,stationary_combustion,teleport.x,1,t,REC,\n"
        'demo-org-001-f1,2024-01-01,2024-01-31,stationary_combustion,fuel.diesel,"1,000",kWh,,\n',
        encoding="utf-8",
    )
    page.goto(f"{server}/organisations/demo-org-001")
    page.set_input_files("#upload-form input[type=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-issues")
    assert page.locator("#upload-error").inner_text() == "4 行中有 4 行无效；未存储任何数据"
    issues = page.locator("#upload-issues").inner_text()
    assert "不得为负数（如需更正已报送的数字" in issues
    assert "不是有效的日历日期" in issues
    assert "不是本单位的设施" in issues
    assert "不得使用千位分隔符或小数逗号：请写作 1000.5" in issues
    assert _english_on(page) == []

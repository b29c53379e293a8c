"""The factor library's reasons (``factors.reasons``): one wording, and its Chinese."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from carbonbridge.factors import reasons
from carbonbridge.platform.i18n import catalog_files, gettext, localise


def _zh(message: str) -> str:
    return gettext("zh", message)


def test_every_reason_template_has_a_chinese_translation() -> None:
    translated: set[object] = set()
    for path in catalog_files("zh"):
        with path.open("rb") as handle:
            translated |= {m.id for m in read_po(handle, locale="zh") if m.id and m.string}
    assert set(reasons.TEMPLATES) - translated == set()


def test_translations_keep_every_placeholder() -> None:
    placeholder = re.compile(r"%\((\w+)\)s")
    for template in reasons.TEMPLATES:
        assert _zh(template) != template
        assert sorted(placeholder.findall(_zh(template))) == sorted(placeholder.findall(template))


def test_the_strict_policy_reason_reads_in_chinese() -> None:
    text = reasons.OTHER_REPORTING_YEARS_STRICT % {"applies": "2021-2022", "year": 2024}
    assert localise("zh", text) == (
        "规定适用于 2021-2022 报告年度，不适用于 2024 年；本地区的年份策略为严格（strict），"
        "若选用“最近的较早年份”（nearest-earlier）则会采用该因子"
    )


def test_a_later_year_reason_reads_in_chinese() -> None:
    text = reasons.LATER_YEAR % {"published": 2023, "year": 2022}
    assert localise("zh", text) == "发布年份晚于核算年份（2023 > 2022）"
    assert localise("en", text) == text


def test_a_rejected_list_is_translated_reason_by_reason() -> None:
    detail = reasons.not_found_summary(
        [
            ("desnz@2023#rail", "published for a later year (2023 > 2022)"),
            ("desnz@2024#rail", "published for a later year (2024 > 2022)"),
            ("desnz@2024#rail-b", "published for a later year (2024 > 2022)"),
        ]
    )
    assert detail == (
        "candidates rejected: published for a later year (2023 > 2022) (desnz@2023#rail) | "
        "published for a later year (2024 > 2022) (desnz@2024#rail)"
    )
    assert localise("zh", detail) == (
        "未采用的候选因子：发布年份晚于核算年份（2023 > 2022） (desnz@2023#rail) | "
        "发布年份晚于核算年份（2024 > 2022） (desnz@2024#rail)"
    )


def test_text_of_no_template_is_left_alone() -> None:
    assert localise("zh", "a sentence of no catalogue (key)") == "a sentence of no catalogue (key)"


def test_nothing_in_scope_says_so() -> None:
    assert reasons.not_found_summary([]) == "no factor published for it in scope"

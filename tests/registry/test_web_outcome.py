"""How the registry's pages show a refused request: the error class's title, and its detail and
field reasons in Chinese when they are known messages, produced here by the real raising code (so a
changed English wording fails here instead of silently showing English on the Chinese page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from carbonbridge.kernel.errors import CarbonbridgeError, FieldIssue, InvalidInput
from carbonbridge.platform.identity import Principal, Role
from carbonbridge.registry import blocks
from carbonbridge.registry.model import EXPORTABLE, TRANSFERABLE, SerialBlock, UnitState
from carbonbridge.registry.web_outcome import MESSAGES, ShownError, ShownIssue, localise, shown_error
from carbonbridge.registry.writes import check_text

ERRORS_PO = Path(__file__).resolve().parents[2] / "src/carbonbridge/registry/locale/zh/LC_MESSAGES/errors.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

HELD_1_80 = [SerialBlock("blk_a", "prj_a", 2024, 1, 80, "acc_dev", UnitState.HELD)]


def _raised(call: object) -> CarbonbridgeError:
    assert callable(call)
    with pytest.raises(CarbonbridgeError) as caught:
        call()
    return caught.value


def _take(allowed: frozenset[UnitState], **units: int) -> CarbonbridgeError:
    return _raised(
        lambda: blocks.take(
            HELD_1_80, allowed=allowed, to_account="acc_x", to_state=None, new_id=str, **units
        )
    )


def test_every_message_with_values_has_a_chinese_text_with_the_same_placeholders() -> None:
    with ERRORS_PO.open("rb") as handle:
        catalogue = {str(m.id): str(m.string) for m in read_po(handle, locale="zh") if m.id}
    for msgid in MESSAGES:
        assert catalogue.get(msgid), msgid
        assert set(PLACEHOLDER.findall(catalogue[msgid])) == set(PLACEHOLDER.findall(msgid)), msgid
        assert "%" not in PLACEHOLDER.sub("", catalogue[msgid]), msgid


def test_insufficient_units_by_quantity_in_chinese_and_english() -> None:
    exc = _take(TRANSFERABLE, quantity=81)
    assert shown_error(exc, "zh") == ShownError(
        "registry-insufficient-units",
        409,
        "可用减排量不足",
        "申请 81 吨，处于“持有/预期”状态的可用量为 80 吨",
        (ShownIssue("quantity", "81", "最多 80"),),
    )
    assert shown_error(exc, "en") == ShownError(
        "registry-insufficient-units",
        409,
        "Insufficient units",
        "81 t asked for, 80 t available in state held/planned",
        (ShownIssue("quantity", "81", "at most 80"),),
    )


def test_insufficient_units_by_serial_range_in_chinese() -> None:
    shown = shown_error(_take(EXPORTABLE, start=75, end=90), "zh")
    assert shown.detail == "序列号 75-90 并非全部以“持有”状态存于本账户（第一个缺少的序列号：81）"
    assert shown.issues == (ShownIssue("start", "75", "本账户中该区间的碳信用不可用"),)


def test_a_backwards_range_and_a_disagreeing_quantity_in_chinese() -> None:
    backwards = shown_error(_take(EXPORTABLE, start=30, end=11), "zh")
    assert (backwards.title, backwards.detail) == ("输入无效", "序列号区间无效")
    assert backwards.issues == (ShownIssue("end", "11", "应不小于起始号（30）"),)
    disagree = shown_error(_take(EXPORTABLE, start=11, end=30, quantity=5), "zh")
    assert disagree.detail == "数量与序列号区间不一致"
    assert disagree.issues == (ShownIssue("quantity", "5", "区间 11-30 共 20 吨"),)


def test_a_text_field_limit_in_chinese() -> None:
    issues: list[FieldIssue] = []
    check_text("  ", "destination_registry", 200, issues)
    shown = shown_error(InvalidInput("invalid export request", issues), "zh")
    assert (shown.detail, shown.issues) == (
        "转出申请无效",
        (ShownIssue("destination_registry", "  ", "应为 1-200 个字符"),),
    )


def test_forbidden_role_and_organisation_in_chinese_with_the_roles_translated() -> None:
    developer = Principal("u-dev", "Developer", Role.DEVELOPER, "mangrove-dev")
    role = shown_error(_raised(lambda: developer.require(Role.REGULATOR, Role.VERIFIER)), "zh")
    assert (role.title, role.detail) == (
        "无权操作",
        "角色“项目业主”无权执行此操作；需要以下角色之一：主管部门、核查机构",
    )
    organisation = shown_error(_raised(lambda: developer.require_organisation("buyer-co")), "zh")
    assert organisation.detail == "机构“mangrove-dev”的项目业主无权访问机构“buyer-co”"


def test_an_unknown_message_stays_english_under_the_translated_title() -> None:
    exc = InvalidInput("something new went wrong", [FieldIssue(("x",), None, "a reason nobody translated")])
    assert shown_error(exc, "zh") == ShownError(
        "invalid-input",
        422,
        "输入无效",
        "something new went wrong",
        (ShownIssue("x", "—", "a reason nobody translated"),),
    )


def test_values_are_not_read_as_format_directives() -> None:
    assert localise("zh", "account %(x)s %d does not exist") == "账户 %(x)s %d 不存在"

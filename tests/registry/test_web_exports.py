"""The export request form on the holder's account page and the regulator's pending-exports page:
request, reject (the same serials held again), request again, confirm (exported, final); a developer
cannot see the regulator's page; a refused form says why and changes nothing; zh and en."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from carbonbridge.registry import reads
from carbonbridge.registry.model import AccountKind, UnitState
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, World
from tests.registry.helpers import issued_report, registered_project

PENDING = re.compile(r'action="/registry/exports/([^/"]+)/confirm"')


@pytest.fixture
def issued(world: World) -> str:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})  # 1-80 held, 81-100 buffer
    return project.id


def _login(app_client: Any, headers: dict[str, str]) -> None:
    app_client.cookies.set("cb_session", headers["Authorization"].removeprefix("Bearer "))


def _states(world: World) -> list[tuple[int, int, UnitState]]:
    dev = world.dev[AccountKind.HOLDING].id
    cancellation = world.dev[AccountKind.CANCELLATION].id
    blocks = reads.holdings(world.sessions, ADMIN, dev) + reads.holdings(world.sessions, ADMIN, cancellation)
    return sorted((b.start, b.end, b.state) for b in blocks)


def _export(app_client: Any, issued: str, **fields: str) -> Any:
    form = {
        "lot": f"{issued}:2024",
        "quantity": "",
        "start": "11",
        "end": "30",
        "destination_registry": "Verra",
        "destination_account": "VCS-9",
        "reason": "sold abroad",
        **fields,
    }
    return app_client.post("/registry/account/export?lang=en", data=form)


def test_request_reject_request_again_confirm(app_client: Any, world: World, issued: str) -> None:
    dev = make_user(world.sessions, "dev", "developer", "mangrove-dev")
    office = make_user(world.sessions, "office", "regulator")
    _login(app_client, dev)
    page = app_client.get("/registry/account?lang=en")
    assert 'id="export-form"' in page.text
    assert "Export to another registry" in page.text
    assert "转出至其他登记簿" in app_client.get("/registry/account?lang=zh").text

    first = _export(app_client, issued)
    assert first.status_code == 200, first.text
    assert 'id="done"' in first.text
    assert "export_requested" in first.text
    assert '<span class="done-block">CB-CN-HI-MG001-2024-11-30 (pending_export)</span>' in first.text
    assert '<span class="done-block">CB-CN-HI-MG001-2024-31-80 (held)</span>' in first.text
    receipt = re.search(r'href="/transparency-log/entries/(\d+)" id="done-receipt"', first.text)
    assert receipt is not None
    assert app_client.get(f"/transparency-log/entries/{receipt.group(1)}").status_code == 200
    assert _states(world) == [
        (1, 10, UnitState.HELD),
        (11, 30, UnitState.PENDING_EXPORT),
        (31, 80, UnitState.HELD),
    ]

    _login(app_client, office)
    home = app_client.get("/registry?lang=en")
    assert 'href="/registry/exports"' in home.text
    listing = app_client.get("/registry/exports?lang=en")
    assert listing.status_code == 200, listing.text
    [op] = PENDING.findall(listing.text)
    text = html.unescape(listing.text)
    assert "CB-CN-HI-MG001-2024-11-30" in text
    assert '<td class="num">20</td>' in text
    assert "<td>Verra</td><td>VCS-9</td><td>sold abroad</td>" in text
    assert "待处理的转出申请" in app_client.get("/registry/exports?lang=zh").text

    rejected = app_client.post(f"/registry/exports/{op}/reject?lang=en", data={"reason": "no authorisation"})
    assert rejected.status_code == 200, rejected.text
    assert "export_rejected" in rejected.text
    assert "No export request is pending." in rejected.text
    assert [(s, e, st) for s, e, st in _states(world) if st is not UnitState.HELD] == []
    assert sum(e - s + 1 for s, e, _ in _states(world)) == 80
    twice = app_client.post(f"/registry/exports/{op}/reject?lang=en", data={"reason": "twice"})
    assert twice.status_code == 409
    assert "Nothing was changed." in twice.text

    _login(app_client, dev)
    second = _export(app_client, issued, start="", end="", quantity="15", destination_account="VCS-10")
    assert second.status_code == 200, second.text
    # the lowest serials first: 1-10 (never exported) and 11-15 (held again after the rejection)
    assert "CB-CN-HI-MG001-2024-1-10" in second.text
    assert "CB-CN-HI-MG001-2024-11-15" in second.text

    _login(app_client, office)
    listing = app_client.get("/registry/exports?lang=en")
    [op2] = PENDING.findall(listing.text)
    assert op2 != op
    assert '<td class="num">15</td>' in listing.text
    confirmed = app_client.post(
        f"/registry/exports/{op2}/confirm?lang=en", data={"destination_reference": "VCS-TX-1"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert "export_confirmed" in confirmed.text
    assert "CB-CN-HI-MG001-2024-11-15 (exported)" in confirmed.text
    assert PENDING.findall(confirmed.text) == []
    exported = reads.holdings(world.sessions, ADMIN, world.dev[AccountKind.CANCELLATION].id)
    assert {b.state for b in exported} == {UnitState.EXPORTED}
    assert sorted(n for b in exported for n in range(b.start, b.end + 1)) == list(range(1, 16))
    assert [(s, e) for s, e, st in _states(world) if st is UnitState.HELD] == [(16, 30), (31, 80)]


def test_a_developer_cannot_see_the_pending_exports(app_client: Any, world: World, issued: str) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    assert _export(app_client, issued).status_code == 200
    page = app_client.get("/registry/exports?lang=en")
    assert page.status_code == 403
    assert "VCS-9" not in page.text
    assert 'href="/registry/exports"' not in app_client.get("/registry?lang=en").text
    refused = app_client.post("/registry/exports/op_x/confirm?lang=en", data={"destination_reference": "X"})
    assert refused.status_code == 403
    assert (11, 30, UnitState.PENDING_EXPORT) in _states(world)


def test_the_public_is_sent_to_log_in(app_client: Any, world: World) -> None:
    response = app_client.get("/registry/exports", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/registry/exports"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": "30", "end": "11"}, "end"),
        ({"start": "x"}, "start"),
        ({"start": "", "end": "", "quantity": "0"}, "quantity"),
        ({"start": "", "end": "", "quantity": "81"}, "quantity"),
        ({"start": "75", "end": "90"}, "start"),
        ({"destination_registry": "  "}, "destination_registry"),
        ({"reason": ""}, "reason"),
    ],
)
def test_refused_export_says_why_and_changes_nothing(
    app_client: Any, world: World, issued: str, fields: dict[str, str], field: str
) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    response = _export(app_client, issued, **fields)
    assert response.status_code in (409, 422), response.text
    assert 'id="error"' in response.text
    assert f"<td>{field}" in response.text
    assert "Nothing was changed." in response.text
    assert _states(world) == [(1, 80, UnitState.HELD)]


def test_bad_decisions_say_why_and_change_nothing(app_client: Any, world: World, issued: str) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    _export(app_client, issued)
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    [op] = PENDING.findall(app_client.get("/registry/exports?lang=en").text)
    empty = app_client.post(f"/registry/exports/{op}/confirm?lang=en", data={"destination_reference": " "})
    assert empty.status_code == 422
    assert "<td>destination_reference</td>" in empty.text
    unknown = app_client.post("/registry/exports/op_nope/reject?lang=en", data={"reason": "x"})
    assert unknown.status_code == 404
    assert "<td>operation_id</td>" in unknown.text
    assert PENDING.findall(unknown.text) == [op]
    assert (11, 30, UnitState.PENDING_EXPORT) in _states(world)


def test_the_export_receipt_in_chinese(app_client: Any, world: World, issued: str) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {
        "lot": f"{issued}:2024",
        "quantity": "5",
        "destination_registry": "Verra",
        "destination_account": "VCS-9",
        "reason": "境外出售",
    }
    done = app_client.post("/registry/account/export?lang=zh", data=form)
    assert done.status_code == 200, done.text
    assert "申请转出: " in done.text
    assert "CB-CN-HI-MG001-2024-1-5 (待转出)" in done.text
    assert "转出至其他登记簿" in done.text


def test_two_pending_requests_are_listed_and_settled_apart(
    app_client: Any, world: World, issued: str
) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    assert _export(app_client, issued, start="41", end="50").status_code == 200
    assert _export(app_client, issued, start="", end="", quantity="7", reason="second").status_code == 200
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    listing = html.unescape(app_client.get("/registry/exports?lang=en").text)
    first, second = PENDING.findall(listing)
    assert listing.index("CB-CN-HI-MG001-2024-41-50") < listing.index("CB-CN-HI-MG001-2024-1-7")
    done = app_client.post(
        f"/registry/exports/{second}/confirm?lang=en", data={"destination_reference": "T-2"}
    )
    assert done.status_code == 200, done.text
    assert PENDING.findall(done.text) == [first]
    assert [(s, e, st) for s, e, st in _states(world) if st is not UnitState.HELD] == [
        (1, 7, UnitState.EXPORTED),
        (41, 50, UnitState.PENDING_EXPORT),
    ]


@pytest.mark.parametrize(
    ("lang", "title", "detail", "reason"),
    [
        (
            "zh",
            "可用减排量不足",
            "序列号 75-90 并非全部以“持有”状态存于本账户（第一个缺少的序列号：81）",
            "本账户中该区间的碳信用不可用",
        ),
        (
            "en",
            "Insufficient units",
            "serials 75-90 are not all held here in state held (first missing serial: 81)",
            "range not available in this account",
        ),
    ],
)
def test_refused_export_is_in_the_page_language(
    app_client: Any, world: World, issued: str, lang: str, title: str, detail: str, reason: str
) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {
        "lot": f"{issued}:2024",
        "start": "75",
        "end": "90",
        "destination_registry": "Verra",
        "destination_account": "VCS-9",
        "reason": "sold abroad",
    }
    response = app_client.post(f"/registry/account/export?lang={lang}", data=form)
    assert response.status_code == 409
    assert f'<h2 class="title">{title}</h2>' in response.text
    assert f'<p class="detail">{detail}</p>' in response.text
    assert f'<tr><td>start</td><td>75</td><td class="reason">{reason}</td></tr>' in response.text
    assert _states(world) == [(1, 80, UnitState.HELD)]


def test_an_empty_destination_is_refused_in_chinese(app_client: Any, world: World, issued: str) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {
        "lot": f"{issued}:2024",
        "quantity": "5",
        "destination_registry": " ",
        "destination_account": "V",
        "reason": "r",
    }
    response = app_client.post("/registry/account/export?lang=zh", data=form)
    assert response.status_code == 422
    assert '<p class="detail">转出申请无效</p>' in response.text
    assert '<td>destination_registry</td><td> </td><td class="reason">应为 1-200 个字符</td>' in response.text
    assert _states(world) == [(1, 80, UnitState.HELD)]


def test_settled_and_unknown_requests_are_refused_in_chinese(
    app_client: Any, world: World, issued: str
) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    _export(app_client, issued)
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    [op] = PENDING.findall(app_client.get("/registry/exports?lang=zh").text)
    assert app_client.post(f"/registry/exports/{op}/reject?lang=zh", data={"reason": "no"}).status_code == 200
    after = _states(world)

    twice = app_client.post(f"/registry/exports/{op}/confirm?lang=zh", data={"destination_reference": "T-1"})
    assert twice.status_code == 409
    assert '<h2 class="title">当前状态不允许此操作</h2>' in twice.text
    assert f'<p class="detail">转出申请 {op} 已被确认或拒绝</p>' in twice.text
    assert f'<tr><td>operation_id</td><td>{op}</td><td class="reason">已不再待处理</td></tr>' in twice.text
    unknown = app_client.post("/registry/exports/op_nope/reject?lang=zh", data={"reason": "x"})
    assert unknown.status_code == 404
    assert '<h2 class="title">未找到</h2>' in unknown.text
    assert '<p class="detail">转出申请 op_nope 不存在</p>' in unknown.text
    assert '<td class="reason">没有此编号的转出申请</td>' in unknown.text
    english = app_client.post("/registry/exports/op_nope/reject?lang=en", data={"reason": "x"})
    assert '<p class="detail">export request op_nope does not exist</p>' in english.text
    assert _states(world) == after
    assert {st for _, _, st in after} == {UnitState.HELD}


def test_a_developer_is_refused_the_exports_page_in_chinese(
    app_client: Any, world: World, issued: str
) -> None:
    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    page = app_client.get("/registry/exports?lang=zh")
    assert page.status_code == 403
    assert '<h2 class="title">无权操作</h2>' in page.text
    assert '<p class="detail">角色“项目业主”无权执行此操作；需要以下角色之一：主管部门</p>' in page.text
    refused = app_client.post("/registry/exports/op_x/confirm?lang=zh", data={"destination_reference": "X"})
    assert refused.status_code == 403
    assert "无权执行此操作" in refused.text
    english = app_client.get("/registry/exports?lang=en")
    assert "role &#39;developer&#39; may not do this; needs one of: regulator" in english.text

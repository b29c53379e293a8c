"""The registry's web pages: the public home and project sheet, the holder's account page with its
retirement and transfer forms (a refused form says why and changes nothing), zh and en."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest

from carbonbridge.registry import reads, service
from carbonbridge.registry.model import AccountKind
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, DEVELOPER, VERIFIER, World
from tests.registry.helpers import issued_report, registered_project


@pytest.fixture
def issued(world: World) -> str:
    project = registered_project(world.sessions)
    issued_report(world.sessions, project, 2024, {"net_t": "100"})  # 80 held, 20 buffer
    return project.id


def _login_cookie(app_client: Any, headers: dict[str, str]) -> None:
    app_client.cookies.set("cb_session", headers["Authorization"].removeprefix("Bearer "))


def test_account_page_needs_a_login(app_client: Any, world: World) -> None:
    response = app_client.get("/registry/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/registry/account"


def test_holder_retires_through_the_form(app_client: Any, world: World, issued: str) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    page = app_client.get("/registry/account?lang=en")
    assert page.status_code == 200
    assert "CB-CN-HI-MG001-2024-1-80" in page.text
    assert f'value="{issued}:2024"' in page.text
    form = {
        "lot": f"{issued}:2024",
        "quantity": "25",
        "beneficiary": "Sanya marathon",
        "purpose": "2025 race",
    }
    done = app_client.post("/registry/account/retire?lang=en", data=form)
    assert done.status_code == 200, done.text
    assert "CB-CN-HI-MG001-2024-1-25" in done.text
    [record] = reads.retirement_records(world.sessions, issued)
    assert f'href="/transparency-log/entries/{record.log_index}"' in done.text
    assert (record.beneficiary, record.quantity) == ("Sanya marathon", 25)


@pytest.mark.parametrize(
    ("quantity", "field"),
    [("2.5", "quantity"), ("0", "quantity"), ("81", "quantity")],
)
def test_refused_form_says_why_and_changes_nothing(
    app_client: Any, world: World, issued: str, quantity: str, field: str
) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {"lot": f"{issued}:2024", "quantity": quantity, "beneficiary": "x", "purpose": "y"}
    response = app_client.post("/registry/account/retire?lang=en", data=form)
    assert response.status_code in (409, 422)
    assert 'id="error"' in response.text
    assert "Nothing was changed." in response.text
    assert reads.retirement_records(world.sessions, issued) == []
    dev = world.dev[AccountKind.HOLDING].id
    assert [b.tonnes for b in reads.balances(world.sessions, ADMIN, dev)] == [80]


def test_transfer_form_moves_units_to_the_named_account(app_client: Any, world: World, issued: str) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    buyer = world.buyer[AccountKind.HOLDING].id
    form = {"lot": f"{issued}:2024", "quantity": "30", "to_account_id": buyer}
    response = app_client.post("/registry/account/transfer?lang=en", data=form)
    assert response.status_code == 200, response.text
    assert 'id="done"' in response.text
    assert [(b.start, b.end) for b in reads.holdings(world.sessions, ADMIN, buyer)] == [(1, 30)]


def test_project_sheet_shows_figures_flags_and_override(app_client: Any, world: World) -> None:
    project = registered_project(world.sessions)
    report, _ = service.submit_report(
        world.sessions,
        DEVELOPER,
        project.id,
        date(2024, 1, 1),
        date(2024, 12, 31),
        {"net_t": "600.25", "implausible": True},
    )
    service.verify_report(world.sessions, VERIFIER, report.id, "Checked.", override_reason="Measured twice.")
    page = app_client.get(f"/registry/projects/{project.id}?lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert (
        '<td>NET_y</td><td>Net removals</td><td class="num">600.25</td><td>t CO2e</td><td>test eq. 1</td>'
        in text
    )
    assert "fuel_per_area: too much" in text
    assert "Override reason: Measured twice." in text
    zh = html.unescape(app_client.get(f"/registry/projects/{project.id}?lang=zh").text)
    assert "fuel_per_area: 过多" in zh
    assert "状态时间线" in zh


def test_unknown_project_page_is_404_in_the_page_language(app_client: Any, world: World) -> None:
    response = app_client.get("/registry/projects/prj_nope?lang=en")
    assert response.status_code == 404
    assert '<h2 class="title">Not found</h2>' in response.text
    assert '<p class="detail">project prj_nope does not exist</p>' in response.text
    zh = app_client.get("/registry/projects/prj_nope?lang=zh")
    assert zh.status_code == 404
    assert '<h2 class="title">未找到</h2>' in zh.text
    assert '<p class="detail">项目 prj_nope 不存在</p>' in zh.text


def _held(world: World) -> list[tuple[int, int]]:
    dev = world.dev[AccountKind.HOLDING].id
    return [(b.start, b.end) for b in reads.holdings(world.sessions, ADMIN, dev)]


def test_refused_retirement_is_in_chinese_on_the_chinese_page(
    app_client: Any, world: World, issued: str
) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {"lot": f"{issued}:2024", "quantity": "81", "beneficiary": "x", "purpose": "y"}
    response = app_client.post("/registry/account/retire?lang=zh", data=form)
    assert response.status_code == 409
    assert '<h2 class="title">可用减排量不足</h2>' in response.text
    assert '<p class="detail">申请 81 吨，处于“持有”状态的可用量为 80 吨</p>' in response.text
    assert '<tr><td>quantity</td><td>81</td><td class="reason">最多 80</td></tr>' in response.text
    assert "未做任何更改。" in response.text
    assert _held(world) == [(1, 80)]
    assert reads.retirement_records(world.sessions, issued) == []


def test_refused_retirement_is_in_english_on_the_english_page(
    app_client: Any, world: World, issued: str
) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {"lot": f"{issued}:2024", "quantity": "81", "beneficiary": "x", "purpose": "y"}
    response = app_client.post("/registry/account/retire?lang=en", data=form)
    assert response.status_code == 409
    assert '<h2 class="title">Insufficient units</h2>' in response.text
    assert '<p class="detail">81 t asked for, 80 t available in state held</p>' in response.text
    assert '<tr><td>quantity</td><td>81</td><td class="reason">at most 80</td></tr>' in response.text
    assert "Nothing was changed." in response.text
    assert "可用减排量不足" not in response.text
    assert _held(world) == [(1, 80)]


@pytest.mark.parametrize(
    ("cookie", "title", "reason"),
    [
        ("zh", "输入无效", "应为不小于 1 的整吨数"),
        ("en", "Invalid input", "a whole number of tonnes ≥ 1"),
    ],
)
def test_the_language_cookie_chooses_the_error_language(
    app_client: Any, world: World, issued: str, cookie: str, title: str, reason: str
) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    app_client.cookies.set("lang", cookie)
    form = {"lot": f"{issued}:2024", "quantity": "2.5", "beneficiary": "x", "purpose": "y"}
    response = app_client.post("/registry/account/retire", data=form)
    assert response.status_code == 422
    assert f'<h2 class="title">{title}</h2>' in response.text
    assert f'<tr><td>quantity</td><td>2.5</td><td class="reason">{reason}</td></tr>' in response.text
    assert _held(world) == [(1, 80)]


def test_refused_transfer_in_chinese_escapes_the_value_and_moves_nothing(
    app_client: Any, world: World, issued: str
) -> None:
    _login_cookie(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    form = {"lot": f"{issued}:2024", "quantity": "30", "to_account_id": "<b>acc</b>"}
    response = app_client.post("/registry/account/transfer?lang=zh", data=form)
    assert response.status_code == 422
    assert '<p class="detail">目标账户无效</p>' in response.text
    assert (
        "<tr><td>to_account_id</td><td>&lt;b&gt;acc&lt;/b&gt;</td>"
        '<td class="reason">应为另一机构的持有账户</td></tr>' in response.text
    )
    assert _held(world) == [(1, 80)]
    buyer = world.buyer[AccountKind.HOLDING].id
    assert reads.holdings(world.sessions, ADMIN, buyer) == []


def test_a_user_of_no_organisation_is_told_so_in_chinese(app_client: Any, world: World) -> None:
    _login_cookie(app_client, make_user(world.sessions, "office", "regulator"))
    response = app_client.get("/registry/account?lang=zh")
    assert response.status_code == 422
    assert '<p class="detail">本页面仅供机构用户使用</p>' in response.text
    assert '<td class="reason">您的用户不属于任何机构</td>' in response.text

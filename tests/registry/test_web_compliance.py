"""The ETS compliance page refuses a role it does not serve with the registry's error page, in the
page's language (not a problem+json body on a page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_user
from tests.registry.conftest import World


@pytest.mark.parametrize(
    ("lang", "title", "detail"),
    [
        ("zh", "无权操作", "角色“项目业主”无权执行此操作；需要以下角色之一：报告单位、主管部门、核查机构"),
        (
            "en",
            "Forbidden",
            "role &#39;developer&#39; may not do this; needs one of: reporter, regulator, verifier",
        ),
    ],
)
def test_a_developer_is_refused_the_compliance_page_in_the_page_language(
    app_client: Any, world: World, lang: str, title: str, detail: str
) -> None:
    token = make_user(world.sessions, "dev", "developer", "mangrove-dev")["Authorization"]
    app_client.cookies.set("cb_session", token.removeprefix("Bearer "))
    page = app_client.get(f"/registry/compliance?period=2024&lang={lang}")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert f'<h2 class="title">{title}</h2>' in page.text
    assert f'<p class="detail">{detail}</p>' in page.text

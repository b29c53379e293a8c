"""The home page through the real app: regional totals as released to the caller, coverage,
reporting status, the registry's totals and the log's latest checkpoint; per-organisation
figures only for the regulator and the organisation itself."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from carbonbridge.kernel.display import shown
from tests.accounting.test_api import HEADER, ROWS, _upload
from tests.accounting.test_api import actors as actors  # the fixture, reused


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _home(app_client: Any, headers: dict[str, str] | None = None, lang: str = "en") -> str:
    page = app_client.get(f"/?lang={lang}", headers=headers or {})
    assert page.status_code == 200
    return str(page.text)


def test_the_home_page_links_every_section(app_client: Any) -> None:
    html = _home(app_client)
    for href in (
        "/inventory/region",
        "/organisations",
        "/factors",
        "/methodologies",
        "/registry",
        "/registry/compliance",
        "/registry/retirements",
        "/transparency-log",
        "/docs",
        "/login",
    ):
        assert f'<a href="{href}">' in html
    assert 'id="home-no-data"' in html  # nothing reported yet


def test_the_public_sees_coverage_and_counts_but_no_single_reporter_figure(
    app_client: Any, actors: dict[str, Any]
) -> None:
    """Two reporters: below the minimum number of contributors, the public regional total is
    withheld (issue 9 §4); the regulator sees it, equal to the API's unsuppressed figure."""
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    assert (
        _upload(
            app_client,
            actors["other"],
            "hotel-b",
            HEADER + ROWS.replace("hq,", "hq-b,").replace("1000,", "3000,"),
        ).status_code
        == 201
    )
    public = _home(app_client)
    assert _text(public, "home-ipcc-total") == "confidential"
    assert _text(public, "home-reported") == "2"
    assert "2</strong> / 2" in public
    assert "(100.0 %)" in public
    assert "hotel-a" not in public
    assert "Hotel A" not in public
    office = _home(app_client, actors["regulator"])
    released = app_client.get("/api/v1/inventory/region", headers=actors["regulator"]).json()
    total_kg = Decimal(next(y for y in released["years"] if y["year"] == 2024)["ipcc_total_kg"])
    assert _text(office, "home-ipcc-total") == shown(total_kg / 1000)  # the display rule (docs/display.md)
    assert re.findall(r'<a href="/organisations/([\w-]+)\?year=2024">', office) == ["hotel-a", "hotel-b"]


def test_a_reporter_sees_its_own_organisation_only(app_client: Any, actors: dict[str, Any]) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    mine = _home(app_client, actors["reporter"])
    assert 'id="home-own"' in mine
    assert 'href="/organisations/hotel-a?year=2024"' in mine
    assert "hotel-b" not in mine
    assert "Hotel B" not in mine
    verifier = _home(app_client, actors["verifier"])
    assert 'id="home-own"' not in verifier
    assert 'id="home-roster"' not in verifier


def test_the_log_and_registry_figures_are_the_services_own(app_client: Any, actors: dict[str, Any]) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    html = _home(app_client)
    _origin, size, root = app_client.get("/log/checkpoint").text.split("\n")[:3]
    assert _text(html, "home-log-size") == f"{int(size):,}"
    assert int(size) >= 3  # two organisations registered and one upload, each logged
    assert base64.b64decode(root).hex().startswith(_text(html, "home-log-root").rstrip("…"))
    assert (_text(html, "home-issued"), _text(html, "home-retired")) == ("0", "0")


def test_the_home_page_is_in_chinese(app_client: Any, actors: dict[str, Any]) -> None:
    assert _upload(app_client, actors["reporter"], "hotel-a", HEADER + ROWS).status_code == 201
    html = _home(app_client, lang="zh")
    for words in ("报送情况", "覆盖面", "可信数据日志", "履约", "注销记录", "根哈希"):
        assert words in html

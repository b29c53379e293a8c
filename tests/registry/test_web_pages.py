"""The registry's public pages (issue 4): credit search by serial and the project's map point, on
SQLite and PostgreSQL, zh and en; and the location check in ``draft_project``."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry import reads, service, views
from carbonbridge.registry.location import MapPoint, map_point
from carbonbridge.registry.model import AccountKind, ProjectDraft, Retirement, Transfer, Units
from carbonbridge.registry.units import service as movements
from tests.registry.conftest import BUYER, DEVELOPER, REGULATOR, VERIFIER, World
from tests.registry.helpers import issued_report

#: Dongzhai Harbour, Haikou (approximate, synthetic test project)
DONGZHAI = {"lat": "19.95", "lon": "110.58"}


def _draft(code: str, parameters: dict[str, Any]) -> ProjectDraft:
    return ProjectDraft(
        code,
        "mangrove-dev",
        "Dongzhai Harbour mangrove afforestation",
        "东寨港红树林营造",
        "TEST-REMOVAL@1.0",
        "CN-HI",
        "CCER",
        parameters,
    )


@pytest.fixture
def located(world: World) -> str:
    """MG001 at Dongzhai Harbour, 2024: 100 t issued (1-80 held, 81-100 buffer); 30 t transferred to
    the buyer, who retires 1-10 for the Sanya marathon."""
    project, _ = service.draft_project(world.sessions, DEVELOPER, _draft("MG001", {"location": DONGZHAI}))
    service.validate_project(world.sessions, VERIFIER, project.id, "Conforms.")
    service.register_project(world.sessions, REGULATOR, project.id, "Registered.")
    issued_report(world.sessions, project, 2024, {"net_t": "100"})
    dev, buyer = world.dev[AccountKind.HOLDING].id, world.buyer[AccountKind.HOLDING].id
    movements.transfer(world.sessions, DEVELOPER, Transfer(Units(dev, project.id, 2024, quantity=30), buyer))
    units = Units(buyer, project.id, 2024, quantity=10)
    movements.retire(world.sessions, BUYER, Retirement(units, "Sanya marathon", "2025 race"))
    return project.id


@pytest.mark.parametrize(
    ("location", "field", "value"),
    [
        ({"lat": "91", "lon": "110.58"}, "parameters.location.lat", "91"),
        ({"lat": "19.95", "lon": "-180.5"}, "parameters.location.lon", "-180.5"),
        ({"lat": "north", "lon": "110.58"}, "parameters.location.lat", "north"),
        ({"lat": "19.95"}, "parameters.location.lon", None),
        ({"lat": True, "lon": "110.58"}, "parameters.location.lat", True),
        ({"lat": "NaN", "lon": "110.58"}, "parameters.location.lat", "NaN"),
        ("19.95,110.58", "parameters.location", "19.95,110.58"),
    ],
)
def test_draft_project_refuses_a_bad_location_and_stores_nothing(
    world: World, location: object, field: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.draft_project(world.sessions, DEVELOPER, _draft("MG009", {"location": location}))
    assert [(".".join(map(str, i.location)), i.value) for i in refused.value.issues] == [(field, value)]
    assert views.list_projects(world.sessions) == []


def test_draft_project_accepts_numbers_and_edges_and_no_location(world: World) -> None:
    for code, parameters in (
        ("EDGE1", {"location": {"lat": -90, "lon": 180}}),
        ("EDGE2", {"location": {"lat": "90", "lon": "-180.000"}}),
        ("NOLOC", {}),
    ):
        service.draft_project(world.sessions, DEVELOPER, _draft(code, parameters))
    assert sorted(p.code for p in views.list_projects(world.sessions)) == ["EDGE1", "EDGE2", "NOLOC"]


def _rows(text: str) -> list[str]:
    """The serial-search result rows as plain text, one per part."""
    rows = re.findall(r'<tr class="serial-part[^"]*">(.*?)</tr>', text, re.DOTALL)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in rows]


def test_serial_search_shows_a_retired_block_with_its_beneficiary_and_held_blocks(
    app_client: Any, world: World, located: str
) -> None:
    response = app_client.get("/registry/serials?q=CB-CN-HI-MG001-2024-1-50&lang=en")
    assert response.status_code == 200
    [record] = reads.retirement_records(world.sessions, located)
    assert _rows(response.text)[0] == (
        "CB-CN-HI-MG001-2024-1-10 10 retired Sanya marathon · 2025 race CB-CN-HI-MG001-2024-1-10 "
        f"{record.at:%Y-%m-%d} · retirement · Log entry {record.log_index} · verify"
    )
    assert [r.split(" · ")[0] for r in _rows(response.text)[1:]] == [
        f"CB-CN-HI-MG001-2024-11-30 20 held an account holder CB-CN-HI-MG001-2024-11-30 {record.at:%Y-%m-%d}",
        f"CB-CN-HI-MG001-2024-31-50 20 held an account holder CB-CN-HI-MG001-2024-31-80 {record.at:%Y-%m-%d}",
    ]
    assert f'href="/transparency-log/entries/{record.log_index}"' in response.text
    assert f'href="/registry/projects/{located}"' in response.text
    assert "buyer" not in response.text.lower()  # the holder organisation is never named
    assert "mangrove-dev" not in response.text


def test_serial_search_reads_one_credit_inside_a_block(app_client: Any, world: World, located: str) -> None:
    response = app_client.get("/registry/serials?q=cb-cn-hi-mg001-2024-37&lang=en")
    assert response.status_code == 200
    [row] = _rows(response.text)
    assert row.startswith("CB-CN-HI-MG001-2024-37-37 1 held an account holder CB-CN-HI-MG001-2024-31-80 ")


def test_serial_search_names_the_buffer_pool_and_serials_never_issued(
    app_client: Any, world: World, located: str
) -> None:
    response = app_client.get("/registry/serials?q=CB-CN-HI-MG001-2024-95-105&lang=en")
    assert response.status_code == 200
    buffer, unissued = _rows(response.text)
    assert buffer.startswith("CB-CN-HI-MG001-2024-95-100 6 buffer the registry's buffer pool")
    assert unissued == "CB-CN-HI-MG001-2024-101-105 5 not issued — — —"


@pytest.mark.parametrize(
    ("query", "reason_en", "reason_zh"),
    [
        (
            "CB-CN-HI-MG001-2024",
            "expected CB-<region>-<project>-<year>-<start>-<end>",
            "格式应为 CB-<地区>-<项目>-<年份>-<起始号>-<终止号>",
        ),
        ("CB-CN-HI-MG001-2024-9-5", "must be at least start (9)", "must be at least start (9)"),
    ],
)
def test_malformed_serial_is_422_with_the_reason(
    app_client: Any, world: World, located: str, query: str, reason_en: str, reason_zh: str
) -> None:
    en = app_client.get("/registry/serials", params={"q": query, "lang": "en"})
    assert en.status_code == 422
    assert "Invalid input" in en.text
    assert f'<td class="reason">{html.escape(reason_en)}</td>' in en.text
    zh = app_client.get("/registry/serials", params={"q": query, "lang": "zh"})
    assert zh.status_code == 422
    assert "输入无效" in zh.text
    assert f'<td class="reason">{html.escape(reason_zh)}</td>' in zh.text


def test_search_text_is_escaped(app_client: Any, world: World) -> None:
    response = app_client.get("/registry/serials", params={"q": "<script>alert(1)</script>"})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_unknown_project_serial_is_404(app_client: Any, world: World, located: str) -> None:
    response = app_client.get("/registry/serials?q=CB-CN-HI-NOPE1-2024-1-5&lang=en")
    assert response.status_code == 404
    assert '<td class="reason">unknown project</td>' in response.text


def test_empty_search_shows_the_form(app_client: Any, world: World) -> None:
    response = app_client.get("/registry/serials?lang=en")
    assert response.status_code == 200
    assert 'id="serial-search"' in response.text
    assert 'id="serial-result"' not in response.text


def test_project_sheet_shows_the_coordinates_osm_link_and_chart(
    app_client: Any, world: World, located: str
) -> None:
    text = html.unescape(app_client.get(f"/registry/projects/{located}?lang=en").text)
    assert '<span class="coordinates">19.95° N, 110.58° E</span>' in text
    assert 'href="https://www.openstreetmap.org/?mlat=19.95&mlon=110.58#map=12/19.95/110.58"' in text
    assert 'id="project-map"' in text
    assert '"lat": "19.95", "lon": "110.58"' in text
    assert "/static/vendor/echarts-6.1.0.min.js" in text
    zh = app_client.get(f"/registry/projects/{located}?lang=zh").text
    assert "不绘制底图" in zh


def test_registry_home_has_the_search_form_and_one_chart_of_located_projects(
    app_client: Any, world: World, located: str
) -> None:
    service.draft_project(world.sessions, DEVELOPER, _draft("NOLOC", {}))
    page = app_client.get("/registry?lang=en").text
    assert 'action="/registry/serials"' in page
    assert page.count('class="chart map"') == 1
    assert '"code": "MG001"' in page
    assert '"code": "NOLOC"' not in page
    nowhere = app_client.get(
        f"/registry/projects/{views.project_by_code(world.sessions, 'NOLOC').id}?lang=en"
    )
    assert "not given" in nowhere.text
    assert 'class="chart map"' not in nowhere.text


@given(
    lat=st.decimals(min_value=-90, max_value=90, places=6),
    lon=st.decimals(min_value=-180, max_value=180, places=6),
)
def test_map_point_reads_any_in_range_coordinate_exactly(lat: Decimal, lon: Decimal) -> None:
    assert map_point({"location": {"lat": str(lat), "lon": str(lon)}}) == MapPoint(lat, lon)


@given(
    lat=st.decimals(min_value=-90, max_value=90, places=3),
    lon=st.one_of(
        st.decimals(min_value=Decimal("180.001"), max_value=10**6, places=3),
        st.decimals(min_value=-(10**6), max_value=Decimal("-180.001"), places=3),
    ),
)
def test_map_point_refuses_an_out_of_range_longitude_naming_it(lat: Decimal, lon: Decimal) -> None:
    with pytest.raises(InvalidInput) as refused:
        map_point({"location": {"lat": str(lat), "lon": str(lon)}})
    assert [i.location for i in refused.value.issues] == [("parameters", "location", "lon")]


def test_serial_search_lists_at_most_the_first_blocks_of_a_long_range(
    app_client: Any, world: World, located: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SERIAL_PARTS_MAX", 2)
    response = app_client.get("/registry/serials?q=CB-CN-HI-MG001-2024-1-200&lang=en")
    assert response.status_code == 200
    assert [r.split(" ")[0] for r in _rows(response.text)] == [
        "CB-CN-HI-MG001-2024-1-10",
        "CB-CN-HI-MG001-2024-11-30",
    ]
    assert 'id="serial-truncated"' in response.text

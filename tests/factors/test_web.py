"""The factor library page: each dataset and factor links to its source document, titles are
distinct, carbon content reads tC/TJ (issue 10 §4)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from carbonbridge.factors.datasets import builtin_datasets

#: datasets whose document could not be located (docs/factor-sources.md): the publisher's site
NO_DOCUMENT_URL = {"cn-mee-grid-reporting"}


def test_shipped_datasets_have_distinct_titles() -> None:
    titles = [d.title for d, _ in builtin_datasets()]
    assert len(titles) == len(set(titles))


def test_shipped_datasets_link_to_a_document_not_a_home_page() -> None:
    home_pages = [d.ref for d, _ in builtin_datasets() if urlsplit(d.url).path in ("", "/")]
    assert {ref.split("@")[0] for ref in home_pages} == NO_DOCUMENT_URL


def test_series_b_links_to_each_years_announcement() -> None:
    urls = {d.version: d.url for d, _ in builtin_datasets() if d.id == "cn-mee-nbs-electricity-co2"}
    assert urls["2021"].endswith("/202404/t20240412_1070565.html")
    assert urls["2022"].endswith("/202412/t20241226_1099413.html")
    assert urls["2023"].endswith("/202512/t20251231_1139517.html")


def test_carbon_content_is_shown_as_tonnes_of_carbon_per_tj(app_client: Any) -> None:
    page = app_client.get("/factors?q=fuel.raw_coal&lang=en", headers={"HX-Request": "true"}).text
    row = re.search(r'<tr data-key="cn-mee-fuel-defaults@2015#A2-raw_coal-cc">(.*?)</tr>', page, re.S)
    assert row is not None
    assert '<td class="unit">tC/TJ</td>' in row.group(1)
    assert "carbon content (CC)" in row.group(1)
    assert 'href="https://www.ndrc.gov.cn/xxgk/zcfb/tz/201511/W020190905506438889540.pdf"' in row.group(1)


def test_every_factor_found_links_to_its_datasets_document(app_client: Any) -> None:
    page = app_client.get("/factors?q=electricity.grid&lang=zh").text
    keys = re.findall(r'<tr data-key="([^"]+)">', page)
    links = re.findall(r'<a class="source" href="([^"]+)"', page)
    urls = {d.ref: d.url for d, _ in builtin_datasets()}
    assert keys
    # the datasets table first (one link per dataset), then one per factor row
    assert [html.unescape(u) for u in links[-len(keys) :]] == [urls[k.split("#")[0]] for k in keys]
    assert "排放因子（EF）" in page

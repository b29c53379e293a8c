"""The factor library page: each dataset and factor links to its source document, titles are
distinct, carbon content reads tC/TJ (issue 10 §4)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

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


def _row_links(page: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-key="([^"]+)">.*?<a class="source" href="([^"]+)"', page)
    return {key: html.unescape(url) for key, url in rows}


def test_every_factor_found_links_to_its_document(app_client: Any) -> None:
    page = app_client.get("/factors?q=electricity.grid&lang=zh").text
    links = _row_links(page)
    urls = {f.key: f.source_url for _, factors in builtin_datasets() for f in factors}
    assert links
    assert links == {key: urls[key] for key in links}
    assert "排放因子（EF）" in page


#: where rows are read from a chapter or a workbook: (row key, the document's file), checked on the page
ROW_DOCUMENTS = {
    "ipcc-2006-v2-energy@2006#T1.2-natural_gas-ncv": "2_Volume2/V2_1_Ch1_Introduction.pdf",
    "ipcc-2006-v2-energy@2006#T1.4-natural_gas-co2": "2_Volume2/V2_1_Ch1_Introduction.pdf",
    "ipcc-2006-v2-energy@2006#T2.2-natural_gas-ch4": "2_Volume2/V2_2_Ch2_Stationary_Combustion.pdf",
    "ipcc-2006-v2-energy@2006#T3.2.1-natural_gas-co2": "2_Volume2/V2_3_Ch3_Mobile_Combustion.pdf",
    "desnz-ghg-conversion-factors@2023#air-domestic.average-with_rf": (
        "649c536906179b00113f74a9/ghg-conversion-factors-2023-flat-file-update.xlsx"
    ),
    "desnz-ghg-conversion-factors@2024-v1.1#air-domestic.average-with_rf": (
        "6722567c10b0d582ee8c4953/ghg-conversion-factors-2024-FlatFormat_v1_1.xlsx"
    ),
    "desnz-ghg-conversion-factors@2025-v1.0#air-domestic.average-with_rf": (
        "6846b6ea57f3515d9611f0dd/ghg-conversion-factors-2025-flat-format.xlsx"
    ),
    "ipcc-gwp100@2021#AR4-CH4": "2018/02/ar4-wg1-chapter2-1.pdf",
    "ipcc-gwp100@2021#AR5-CH4": "2018/02/WG1AR5_Chapter08_FINAL.pdf",
    "ipcc-gwp100@2021#AR6-CH4": "report/IPCC_AR6_WGI_Chapter07_SM.pdf",
}


@pytest.mark.parametrize(("key", "document"), ROW_DOCUMENTS.items())
def test_a_factor_links_to_the_chapter_or_workbook_its_row_is_read_from(
    app_client: Any, key: str, document: str
) -> None:
    activity = next(f.activity for _, factors in builtin_datasets() for f in factors if f.key == key)
    page = app_client.get(f"/factors?q={activity}&lang=en", headers={"HX-Request": "true"}).text
    assert _row_links(page)[key].endswith("/" + document)


def test_every_row_of_a_dataset_with_documents_has_its_own_document() -> None:
    """A table prefix that matches no row, or a row left on the publication page, is a typo."""
    for dataset, factors in builtin_datasets():
        if not dataset.documents:
            continue
        assert {f.source_url for f in factors} == {url for _, url in dataset.documents}, dataset.ref
        assert dataset.url not in {f.source_url for f in factors}, dataset.ref


def test_documents_are_files_on_the_publishers_sites() -> None:
    hosts = {"www.ipcc-nggip.iges.or.jp", "www.ipcc.ch", "assets.publishing.service.gov.uk"}
    for dataset, _ in builtin_datasets():
        for _, url in dataset.documents:
            parts = urlsplit(url)
            assert parts.scheme == "https", url
            assert parts.netloc in hosts, url
            assert parts.path.endswith((".pdf", ".xlsx")), url


def test_the_datasets_table_lists_each_dataset_s_documents(app_client: Any) -> None:
    page = app_client.get("/factors?lang=zh").text
    row = re.search(r'<tr data-ref="ipcc-2006-v2-energy@2006">(.*?)</tr>', page, re.S)
    assert row is not None
    documents = re.findall(r'<a class="document" href="([^"]+)"[^>]*>([^<]*)</a>', row.group(1))
    assert [name for _, name in documents] == ["Vol.2 Ch.1", "Vol.2 Ch.2", "Vol.2 Ch.3"]
    assert "各行取自" in row.group(1)
    desnz = re.search(r'<tr data-ref="desnz-ghg-conversion-factors@2025-v1.0">(.*?)</tr>', page, re.S)
    assert desnz is not None
    assert ">ghg-conversion-factors-2025-flat-format.xlsx</a>" in desnz.group(1)

"""The transparency-log page lists recent entries in words, paged, in zh and en (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.ledger import service
from carbonbridge.platform.db import unit_of_work

PROJECT = "prj_page"


def _log_project_and_issuance(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        service.append_event(
            session,
            "registry.project_drafted",
            {"project_id": PROJECT, "facts": {"code": "MG001", "name_en": "Mangroves", "name_zh": "红树林"}},
        )
        service.append_event(session, "accounting.submission", {"organisation_id": "o1"}, private=True)
        facts = {"quantity": 100, "buffer": 0, "vintage": 2024, "serial_start": 1, "serial_end": 100}
        service.append_event(session, "registry.issuance", {"project_id": PROJECT, "facts": facts})


def test_log_page_says_what_each_entry_records_in_english(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    _log_project_and_issuance(sessions)
    page = app_client.get("/transparency-log?lang=en").text
    assert "Issuance of 100 t to MG001 (vintage 2024, serials 1-100)" in page
    assert "Project MG001 drafted: Mangroves" in page
    assert "Activity data submitted (private: only a salted commitment is logged)" in page
    assert page.index("Issuance of 100 t") < page.index("Project MG001 drafted")  # newest first
    assert 'href="/transparency-log/entries/2"' in page


def test_log_page_says_it_in_chinese(app_client: Any, sessions: sessionmaker[Session]) -> None:
    _log_project_and_issuance(sessions)
    page = app_client.get("/transparency-log?lang=zh").text
    assert "向 MG001 签发 100 吨（年份 2024，序列号 1-100）" in page
    assert "项目 MG001 起草：红树林" in page
    assert "日志记录了什么" in page


def test_entries_are_paged_newest_first(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        for i in range(30):
            service.append_event(session, "test.event", {"i": i})
    first, second = service.entry_page(sessions, 1, 25), service.entry_page(sessions, 2, 25)
    assert (first.tree_size, first.pages) == (30, 2)
    assert [e.index for e in first.entries] == list(range(29, 4, -1))
    assert [e.index for e in second.entries] == [4, 3, 2, 1, 0]
    assert second.entries[0].event == {"i": 4}


def test_a_page_past_the_last_is_refused_and_names_the_field(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        service.append_event(session, "test.event", {"i": 0})
    with pytest.raises(InvalidInput) as refused:
        service.entry_page(sessions, 2, 25)
    assert refused.value.issues[0].location == ("page",)
    assert refused.value.issues[0].reason == "a page in 1..1"


def test_a_browser_asking_for_a_missing_page_gets_an_html_error(
    app_client: Any, sessions: sessionmaker[Session]
) -> None:
    response = app_client.get("/transparency-log?page=7&lang=en", headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "a page in 1..1" in response.text

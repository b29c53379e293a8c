"""A browser gets an HTML page in its language for every problem no page of its own renders (an
unknown address, a method a page does not take, an uncaught domain error, a bug), never raw
problem+json; the API's clients keep problem+json, whatever they accept."""

from __future__ import annotations

from typing import Any

import pytest

from carbonbridge.kernel.errors import NotFound

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("lang", "title"), [("zh", "此地址没有页面"), ("en", "There is no page at this address")]
)
def test_an_unknown_address_is_a_404_page_in_the_browsers_language(
    app_client: Any, lang: str, title: str
) -> None:
    response = app_client.get(f"/no-such-page?lang={lang}", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 id="error-title">{title}</h1>' in response.text


def test_a_method_a_page_does_not_take_is_a_405_page_with_allow(app_client: Any) -> None:
    response = app_client.delete("/inventory/region?lang=en", headers=BROWSER)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "GET"
    assert "This page does not take this kind of request" in response.text


def test_a_bug_on_a_page_is_a_500_page_with_the_request_id(app_client: Any) -> None:
    @app_client.app.get("/test-only/page-bug")
    def page_bug() -> None:
        raise RuntimeError("a bug")

    response = app_client.get(
        "/test-only/page-bug?lang=en", headers={**BROWSER, "X-Request-ID": "req-page-0001"}
    )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert '<code id="request-id">req-page-0001</code>' in response.text
    assert "a bug" not in response.text  # no internals


def test_an_uncaught_domain_error_on_a_page_is_a_page(app_client: Any) -> None:
    @app_client.app.get("/test-only/page-missing")
    def page_missing() -> None:
        raise NotFound("no organisation 'x'")

    response = app_client.get("/test-only/page-missing?lang=zh", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no organisation &#39;x&#39;" in response.text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/no-such-thing", BROWSER),  # the API answers problem+json even to a browser
        ("/no-such-page", {"Accept": "application/json"}),  # a script is not a browser
        ("/no-such-page", {}),
    ],
)
def test_clients_that_are_not_browsing_pages_keep_problem_json(
    app_client: Any, path: str, headers: dict[str, str]
) -> None:
    response = app_client.get(path, headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not-found"

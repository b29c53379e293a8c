"""The API docs (Swagger UI at ``/docs``) work without the internet, in headless Chromium."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_docs_render_the_operations_with_every_other_host_blocked(browser: Any, server: str) -> None:
    """Every request to a host other than the platform's is aborted, as on an intranet without
    internet access; Swagger UI still loads and lists the API's operations."""
    own = urlsplit(server).netloc
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_own_host(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_own_host)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    context.close()
    assert any("/api/v1/organisations" in p for p in paths)
    assert any("/api/v1/factors" in p for p in paths)
    assert elsewhere == []

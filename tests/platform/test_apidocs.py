"""The API docs page is served from the installation's own assets (``platform/apidocs.py``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from carbonbridge.platform.apidocs import SWAGGER_CSS, SWAGGER_JS


def test_docs_page_loads_swagger_ui_from_the_installation(app_client: Any) -> None:
    response = app_client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert f'src="{SWAGGER_JS}"' in html
    assert f'href="{SWAGGER_CSS}"' in html
    assert "/api/v1/openapi.json" in html
    assert "http://" not in html
    assert "https://" not in html


def test_vendored_swagger_assets_are_served(app_client: Any) -> None:
    for url in (SWAGGER_JS, SWAGGER_CSS):
        response = app_client.get(url)
        assert response.status_code == 200
        assert len(response.content) > 100_000


def test_redoc_is_not_served(app_client: Any) -> None:
    assert app_client.get("/redoc").status_code == 404


def test_vendored_readme_names_every_swagger_file() -> None:
    vendor = Path(str(resources.files("carbonbridge.platform"))) / "static" / "vendor"
    readme = (vendor / "README.md").read_text()
    for url in (SWAGGER_JS, SWAGGER_CSS):
        name = url.rsplit("/", 1)[1]
        assert f"`{name}`" in readme
        assert (vendor / name).stat().st_size > 100_000
    assert "swagger-ui-dist@5.35.0" in readme
    assert "Apache License" in (vendor / "swagger-ui-LICENSE").read_text()

"""The interactive API documentation (Swagger UI at ``/docs``), served from the installation.

FastAPI's default page loads Swagger UI from a public CDN, so ``/docs`` is blank on a government
intranet or wherever that CDN is slow or blocked (as it often is from mainland China). The
platform ships ``swagger-ui-dist`` pinned under ``static/vendor/`` (version, source and sha256 in
``static/vendor/README.md``) and points FastAPI's own page builder at it. ReDoc is not served:
its standalone bundle would be a second copy of the same document to vendor and keep current.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

#: the pinned Swagger UI release under ``/static/vendor/`` (``static/vendor/README.md``)
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_JS = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}-bundle.js"
SWAGGER_CSS = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}.css"
SWAGGER_FAVICON = "/static/vendor/swagger-ui-favicon-32x32.png"


def docs_router(openapi_url: str, title: str) -> APIRouter:
    """``GET /docs``: Swagger UI for the document at ``openapi_url``, every asset local.
    ``validatorUrl: null`` keeps Swagger UI from asking validator.swagger.io for a badge."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} · API",
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url=SWAGGER_FAVICON,
            swagger_ui_parameters={"validatorUrl": None},
        )

    return router

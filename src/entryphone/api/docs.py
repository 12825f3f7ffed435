"""`/docs`: Swagger UI served from the package itself, so it works without Internet access (a
control room, a lab network); FastAPI's default page loads its script and style from a CDN.

The assets are the unmodified swagger-ui-dist files vendored under `static/swagger-ui/` (its
VERSION file says which release and how it was fetched)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_PATH = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Mount the assets and the page; call on an app created with docs_url=None, redoc_url=None."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

"""/docs (Swagger UI) and /redoc (ReDoc) from files installed with the `fastapi-offline` package: no CDN, so the
documentation works offline and no third party's script runs on this origin. The pages hold no inline script
(src/warroom/web/static/docs-swagger.js starts Swagger UI), as the Content-Security-Policy wants."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from warroom.platform.app import App

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/api-docs"  # not under /static, which the pages' own mount answers

_SWAGGER = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>warroom API - Swagger UI</title>
<link rel="stylesheet" href="{PREFIX}/swagger-ui.css"><link rel="icon" href="{PREFIX}/favicon.png">
</head><body><div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{PREFIX}/swagger-ui-bundle.js"></script><script src="/static/docs-swagger.js"></script>
</body></html>"""

_REDOC = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>warroom API - ReDoc</title>
<link rel="icon" href="{PREFIX}/favicon.png"></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="{PREFIX}/redoc.standalone.js"></script>
</body></html>"""


def install(api: FastAPI, wr: App) -> None:
    """EXTENSIONS entry: the two documentation pages and their assets (public, like /openapi.json)."""
    api.mount(PREFIX, StaticFiles(directory=str(ASSETS)), name="api-docs")

    @api.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(_SWAGGER)

    @api.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC)

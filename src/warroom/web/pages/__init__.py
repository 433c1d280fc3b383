"""The browser UI: server-rendered pages, their static files, the session cookie and the live streams."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from warroom.platform.app import App
from warroom.web.pages import common

STATIC = Path(__file__).resolve().parent.parent / "static"


def install(api: FastAPI, app: App) -> None:
    """EXTENSIONS entry: the page routers (registry.PAGES), /static and the page error handlers."""
    from warroom.web.registry import PAGES  # the registry imports this module: read it when called

    common.install_handlers(api)
    for router in PAGES:
        api.include_router(router)
    api.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

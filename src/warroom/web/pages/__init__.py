"""The browser UI: server-rendered pages, their static files, the session cookie and the live streams."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from warroom.platform.app import App
from warroom.web import deps, sessions, sse
from warroom.web.pages import account, auth, catalog, common, declare, extras, incident, incident_actions, queue

STATIC = Path(__file__).resolve().parent.parent / "static"
ROUTERS = [auth.router, account.router, queue.router, declare.router, incident.router, incident_actions.router,
           catalog.router, sse.router, *extras.ROUTERS]


def install(api: FastAPI, app: App) -> None:
    """EXTENSIONS entry: pages, /static, page error handlers, and the cookie authenticator for /api/."""
    if sessions.cookie_authenticator not in deps.AUTHENTICATORS:
        deps.AUTHENTICATORS.append(sessions.cookie_authenticator)
    common.install_handlers(api)
    for router in ROUTERS:
        api.include_router(router)
    api.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

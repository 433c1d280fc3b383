"""The ASGI application: API routers, pages, error handling, request logs, background services."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from warroom.bootstrap import build_app
from warroom.platform.app import App
from warroom.web import errors
from warroom.web.body_limit import BodyLimit
from warroom.web.headers import SecurityHeaders
from warroom.web.proxies import TrustedProxies, parse_networks
from warroom.web.redact import needs_redaction, redact_path, redacting_send
from warroom.web.registry import BACKGROUND, EXTENSIONS, ROUTERS

log = logging.getLogger("warroom.http")



class RequestLog:
    """Pure ASGI middleware: one structured line per request, without buffering bodies."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def _send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            if status[0] >= 400 or log.isEnabledFor(logging.DEBUG):
                client = scope.get("client")
                log.info("request", extra={"method": scope["method"], "path": redact_path(scope["path"]),
                                           "status": status[0], "ms": round((time.perf_counter() - start) * 1000, 2),
                                           "client": client[0] if client else None})


class WarroomAPI(FastAPI):
    """FastAPI with a front door: `front.claims(scope)` requests (the alert intake, thousands per second in a
    storm) are handled before FastAPI's own per-request work; everything else, lifespan included, is FastAPI's."""

    front: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        front = self.front
        if front is not None:
            m = front.claims(scope)
            if m:
                await front.handle(m, scope, receive, send)
                return
        if scope["type"] == "http" and needs_redaction(scope):  # a key in the URL: keep it out of access logs
            send = redacting_send(scope, send)
        await super().__call__(scope, receive, send)


def create_app(wr: App | None = None, *, background: bool = True) -> FastAPI:
    wr = wr or build_app()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = max(1, wr.settings.api_threads)
        stops = [start(wr) for start in BACKGROUND] if background else []
        if background and wr.settings.gc_tuning:
            _tune_gc()
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()

    api = WarroomAPI(
        title="warroom",
        version="0.1.0",
        description="Major incident management: declare, coordinate, communicate, learn. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `warroom token create`).",
        lifespan=lifespan,
        docs_url=None,  # served from local files by web/api_docs.py, not from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    api.state.warroom = wr
    errors.install(api)
    for router in ROUTERS:
        api.include_router(router)
    for extend in EXTENSIONS:
        extend(api, wr)
    # The intake (answered by `api.front` before this stack anyway) keeps its own, larger limits.
    api.add_middleware(BodyLimit, limit=wr.settings.max_body_bytes,
                       exempt=lambda scope: bool(api.front is not None and api.front.claims(scope)))
    api.add_middleware(RequestLog)  # a refused body is logged too
    api.add_middleware(SecurityHeaders)  # CSP, nosniff, Referrer-Policy, X-Frame-Options (web/headers.py)
    nets = parse_networks(wr.settings.trusted_proxies)
    if nets:  # outermost: the log and the login throttle see the client behind the proxy
        api.add_middleware(TrustedProxies, networks=nets)
    return api


GC_GEN0_THRESHOLD = 50_000


def _tune_gc() -> None:
    """Serving allocates many short-lived objects and few cycles: move everything loaded at start-up out of the
    collector's sight (gc.freeze) and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


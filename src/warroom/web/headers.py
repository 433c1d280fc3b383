"""Security headers on every response (pure ASGI: one list concatenation per response).

The pages use no inline script or style (app.js and app.css are files; the Markdown renderer strips style
attributes), so the Content-Security-Policy allows scripts and styles from this origin only. The API
documentation pages (Swagger UI, ReDoc, served from local files) inject style elements at run time and ReDoc
runs a worker from a blob: URL; only those two pages get 'unsafe-inline' styles and blob: workers, never inline
script."""

from __future__ import annotations

from typing import Any

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/redoc"})

_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
           (b"x-frame-options", b"DENY")]
HEADERS = [(b"content-security-policy", CSP.encode()), *_COMMON]
DOCS_HEADERS = [(b"content-security-policy", DOCS_CSP.encode()), *_COMMON]
# The alert intake's JSON answers (web/intake_fast.py), for machines: nothing in them may be rendered or framed.
JSON_HEADERS = [(b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"), *_COMMON]


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = DOCS_HEADERS if scope["path"] in DOCS_PATHS else HEADERS

        async def _send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, _send)

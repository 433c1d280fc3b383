"""Secrets that arrive in URLs stay out of logs: an integration key in a key-in-path intake URL
(`/api/v1/integrations/<key>/alertmanager`, however the request is answered: 202, 404 or 405) and a `key=` query
parameter (the iCalendar feed URLs). Our request log uses `redact_path`; `redacting_send` rewrites the request's
scope when the response starts, which is when a server's own access log (uvicorn's, when run directly) reads it."""

from __future__ import annotations

import re
from typing import Any

_KEYED_WORD = "/integrations/"
_KEYED = re.compile(r"(/integrations/)([^/]+)", re.IGNORECASE)
_KEY_PARAM = re.compile(rb"(^|&)key=[^&]*")


def redact_path(path: str) -> str:
    """The path with an integration key shortened to its first 4 characters (ids, all digits, are kept). Any
    segment after `/integrations/` counts, whatever the case or the prefix: a sender configured with a base URL
    ending in '/' asks for '//api/v1/integrations/<key>/...' (a 404, but its key is just as secret)."""
    return _KEYED.sub(_shorten, path) if _KEYED_WORD in path.lower() else path


def _shorten(m: re.Match[str]) -> str:
    segment = m.group(2)
    return m.group(0) if segment.isascii() and segment.isdigit() else f"{m.group(1)}{segment[:4]}..."


def redact_query(query: bytes) -> bytes:
    return _KEY_PARAM.sub(rb"\1key=...", query) if b"key=" in query else query


def needs_redaction(scope: dict[str, Any]) -> bool:
    return _KEYED_WORD in scope["path"].lower() or b"key=" in scope.get("query_string", b"")


def redacting_send(scope: dict[str, Any], send: Any) -> Any:
    """`send`, which first rewrites the scope's path and query string when the response starts. The
    application has routed the request by then; what reads the scope afterwards is logging."""

    async def _send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            path = redact_path(scope["path"])
            if path != scope["path"]:
                scope["path"] = path
                scope["raw_path"] = path.encode()
            scope["query_string"] = redact_query(scope.get("query_string", b""))
        await send(message)

    return _send

"""Secrets that arrive in URLs stay out of logs: an integration key in a key-in-path intake URL
(`/api/v1/integrations/<key>/alertmanager`, however the request is answered: 202, 404 or 405) and a `key=` query
parameter (the iCalendar feed URLs). Our request log uses `redact_path`; `redacting_send` rewrites the request's
scope when the response starts, which is when a server's own access log (uvicorn's, when run directly) reads it."""

from __future__ import annotations

import re
from typing import Any

_KEYED_PREFIX = "/api/v1/integrations/"
_KEY_PARAM = re.compile(rb"(^|&)key=[^&]*")


def redact_path(path: str) -> str:
    """The path with an integration key shortened to its first 4 characters (ids, all digits, are kept)."""
    if not path.startswith(_KEYED_PREFIX):
        return path
    segment, slash, rest = path[len(_KEYED_PREFIX):].partition("/")
    if not segment or (segment.isascii() and segment.isdigit()):
        return path
    return f"{_KEYED_PREFIX}{segment[:4]}...{slash}{rest}"


def redact_query(query: bytes) -> bytes:
    return _KEY_PARAM.sub(rb"\1key=...", query) if b"key=" in query else query


def needs_redaction(scope: dict) -> bool:
    return scope["path"].startswith(_KEYED_PREFIX) or b"key=" in scope.get("query_string", b"")


def redacting_send(scope: dict, send: Any) -> Any:
    """`send`, which first rewrites the scope's path and query string when the response starts. The
    application has routed the request by then; what reads the scope afterwards is logging."""

    async def _send(message: dict) -> None:
        if message["type"] == "http.response.start":
            path = redact_path(scope["path"])
            if path != scope["path"]:
                scope["path"] = path
                scope["raw_path"] = path.encode()
            scope["query_string"] = redact_query(scope.get("query_string", b""))
        await send(message)

    return _send

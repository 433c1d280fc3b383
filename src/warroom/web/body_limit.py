"""A request body limit in front of the application (pure ASGI, nothing buffered).

Routes parse their bodies before authentication runs (FastAPI reads the body to build the arguments, forms are
parsed before the CSRF check), so without this a 256 MB body cost about 925 MB of memory and then got a 401.
The limit counts bytes as they arrive: a declared Content-Length over it is refused before anything is read,
and a body without one (chunked) or with a false one is cut off at the first byte over the limit. The answer is
413 whatever the route would have done with the truncated body. The alert intake keeps its own limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from warroom.web.errors import error_body


class _TooLarge(Exception):
    """Raised into the application by `receive` once the body passes the limit."""


class BodyLimit:
    def __init__(self, app: Any, limit: int, exempt: Callable[[dict[str, Any]], bool] = lambda scope: False) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.exempt(scope):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and (len(value) > 18 or int(value) > limit):  # int() refuses > 4,300 digits
                    await self._refuse(scope, send)
                    return
                break
        got = 0
        over = False
        started = False

        async def _receive() -> dict[str, Any]:
            nonlocal got, over
            if over:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                got += len(message.get("body", b""))
                if got > limit:
                    over = True
                    raise _TooLarge
            return message

        async def _send(message: dict[str, Any]) -> None:
            nonlocal started
            if over:  # whatever the route answers to a cut-off body (400, 422, 500), the answer is 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, _receive, _send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: dict[str, Any], send: Any) -> None:
        message = f"request body exceeds {self.limit} bytes"
        if scope["path"].startswith(("/api/", "/v2/")):
            body, kind = orjson.dumps(error_body("too_large", message)), b"application/json"
        else:
            body, kind = f"Request too large: {message}.\n".encode(), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})  # the rest of the body is never read
        await send({"type": "http.response.body", "body": body})

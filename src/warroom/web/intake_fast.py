"""A pure ASGI fast path for the alert intake: the same handlers as the documented routes in
web/api/alert_intake.py, answered before FastAPI itself (its telemetry check, middleware, routing,
dependency and response layers).

Alert intake is the one place where requests arrive by the thousand per second; everything else
passes straight through to the application."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import orjson
from fastapi import FastAPI

from warroom.alerts.sources import WEBHOOKS
from warroom.platform.app import App
from warroom.web.api.alert_intake import (
    PD_LIMIT,
    WEBHOOK_LIMIT,
    Answer,
    Disconnected,
    bearer,
    change_answer,
    pagerduty_answer,
    read_body,
    webhook_answer,
)
from warroom.web.headers import JSON_HEADERS

log = logging.getLogger("warroom.http")
_KINDS = {w.suffix: w.kind for w in WEBHOOKS}
_WEBHOOK = re.compile(rf"^/api/v1/(?:integrations/([^/]+)|intake)/({'|'.join(map(re.escape, _KINDS))})$")
_PAGERDUTY = {"/v2/enqueue": pagerduty_answer, "/v2/change/enqueue": change_answer}


class IntakeFastPath:
    """The front door of `web.app.WarroomAPI`: claims the intake requests, leaves everything else to FastAPI."""

    def __init__(self, wr: App) -> None:
        self.wr = wr

    def claims(self, scope: dict[str, Any]) -> re.Match[str] | bool:
        """A match for a webhook path, True for the PagerDuty paths, False for anything else."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path = scope["path"]
        return True if path in _PAGERDUTY else (_WEBHOOK.match(path) or False)

    async def handle(self, m: re.Match[str] | bool, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        declared = length.decode("latin-1") if length else None
        try:
            if m is True:
                answer = await _PAGERDUTY[scope["path"]](self.wr, await read_body(receive, declared, PD_LIMIT))
            else:
                assert isinstance(m, re.Match)
                key = m.group(1)
                if key is not None:  # keep the secret out of request logs
                    scope["path"] = f"/api/v1/integrations/{key[:4]}.../{m.group(2)}"
                else:
                    auth = headers.get(b"authorization")
                    key = bearer(auth.decode("latin-1") if auth else None)
                answer = await webhook_answer(self.wr, _KINDS[m.group(2)], key,
                                              await read_body(receive, declared, WEBHOOK_LIMIT))
        except Disconnected:
            return
        if answer[0] >= 400:
            log.info("request", extra={"method": "POST", "path": scope["path"], "status": answer[0]})
        await _send(send, answer)


async def _send(send: Any, answer: Answer) -> None:
    status, body, extra = answer
    payload = orjson.dumps(body)
    if not extra and _write_whole(send, status, payload):
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               *JSON_HEADERS]
    if extra:
        headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
# Our headers after content-type and content-length, as they go on the wire (they never change)
_TAIL = b"".join(name + b": " + value + b"\r\n" for name, value in JSON_HEADERS) + b"\r\n"


def _write_whole(send: Any, status: int, payload: bytes) -> bool:
    """Under uvicorn's httptools protocol (what `warroom serve` runs), write the whole answer at once.

    Its `send` writes the head and the body in two socket writes and checks every header against two regular
    expressions; an intake answer is small and its headers are constants, so one write of the same bytes does:
    the head as uvicorn builds it (its status line, its default `date` and `server` headers, then ours), the
    body, then the completion bookkeeping `send` does (keep-alive timer, pipelined requests). Anything else
    (another server, an access log, a connection closing or paused for writing, an answer with extra headers)
    takes the ASGI way."""
    cycle: Any = getattr(send, "__self__", None)  # uvicorn's (private) cycle, told by its module below
    if type(cycle).__module__ != _HTTPTOOLS or cycle.response_started or cycle.disconnected \
            or not cycle.keep_alive or cycle.access_log or cycle.flow.write_paused:
        return False
    head = [sys.modules[_HTTPTOOLS].STATUS_LINE[status]]
    for name, value in cycle.default_headers:
        head += (name, b": ", value, b"\r\n")
    head += (b"content-type: application/json\r\ncontent-length: ", b"%d" % len(payload), b"\r\n", _TAIL, payload)
    cycle.response_started = cycle.response_complete = True
    cycle.waiting_for_100_continue = False
    cycle.transport.write(b"".join(head))
    cycle.message_event.set()
    cycle.on_response()
    return True


def install(api: FastAPI, wr: App) -> None:
    """EXTENSIONS entry: the fast path is tried before FastAPI (see `WarroomAPI`), which costs more per request
    than the intake itself (telemetry check, error pages, body limits, request logs); it logs its own 4xx/5xx."""
    api.front = IntakeFastPath(wr)  # type: ignore[attr-defined]

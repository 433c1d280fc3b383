"""A pure ASGI fast path for the alert intake: the same handlers as the documented routes in
web/api/alert_intake.py, answered before FastAPI itself (its telemetry check, middleware, routing,
dependency and response layers).

Alert intake is the one place where requests arrive by the thousand per second; everything else
passes straight through to the application."""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from fastapi import FastAPI

from warroom.alerts.model import Kind
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
_WEBHOOK = re.compile(r"^/api/v1/(?:integrations/([^/]+)|intake)/(alertmanager|webhook)$")
_KINDS = {"alertmanager": Kind.ALERTMANAGER, "webhook": Kind.GENERIC}
_PAGERDUTY = {"/v2/enqueue": pagerduty_answer, "/v2/change/enqueue": change_answer}


class IntakeFastPath:
    """The front door of `web.app.WarroomAPI`: claims the intake requests, leaves everything else to FastAPI."""

    def __init__(self, wr: App) -> None:
        self.wr = wr

    def claims(self, scope: dict) -> re.Match[str] | bool:
        """A match for a webhook path, True for the PagerDuty paths, False for anything else."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path = scope["path"]
        return True if path in _PAGERDUTY else (_WEBHOOK.match(path) or False)

    async def handle(self, m: re.Match[str] | bool, scope: dict, receive: Any, send: Any) -> None:
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
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               *JSON_HEADERS]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def install(api: FastAPI, wr: App) -> None:
    """EXTENSIONS entry: the fast path is tried before FastAPI (see `WarroomAPI`), which costs more per request
    than the intake itself (telemetry check, error pages, body limits, request logs); it logs its own 4xx/5xx."""
    api.front = IntakeFastPath(wr)  # type: ignore[attr-defined]

"""The reference for bench/ingest.py and bench/notify.py: the Python ceiling of an HTTP intake on this machine,
measured in the same run.

A raw ASGI app, no framework: it reads the body, parses the JSON with the parser warroom's intake uses (orjson)
and answers 202 with a small JSON body shaped like warroom's (PagerDuty's for `/v2/enqueue`, warroom's own for
the Alertmanager and generic webhook paths), or 201 with an id for a declaration (`/api/v1/incidents`,
bench/notify.py). Nothing is validated or stored. The benchmarks serve it the way they serve nothing else:
uvicorn, uvloop, httptools, one worker, no access log, loopback only.

    .venv/bin/python -m uvicorn --app-dir bench reference_app:app --host 127.0.0.1 --port 8001 \\
        --loop uvloop --http httptools --no-access-log --no-proxy-headers

Whatever warroom does beyond this (validation, key checks, storing, committing, answering after the commit) is
what the ratio warroom / reference measures."""

from __future__ import annotations

import re
from typing import Any

import orjson

_WEBHOOK = re.compile(r"^/api/v1/(?:integrations/[^/]+|intake)/(?:alertmanager|webhook)$")
_PAGERDUTY = frozenset({"/v2/enqueue", "/v2/change/enqueue"})
_INCIDENTS = "/api/v1/incidents"  # bench/notify.py: a declaration's POST, answered 201 with an id
_HEADERS = [(b"content-type", b"application/json")]
_declared = [0]


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Any, status: int, body: Any) -> None:
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [*_HEADERS, (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _accept(path: str, raw: bytes) -> tuple[int, Any]:
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return 400, {"status": "invalid event", "message": "Request body is not JSON"}
    if not isinstance(event, dict):
        return 400, {"status": "invalid event", "message": "Request body is not a JSON object"}
    if path in _PAGERDUTY:
        return 202, {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key")}
    alerts = event.get("alerts")
    alerts = alerts if isinstance(alerts, list) else [event]
    keys = [a.get("fingerprint") if isinstance(a, dict) else None for a in alerts]
    return 202, {"status": "success", "accepted": len(keys), "dedup_keys": keys}


def _declare(raw: bytes) -> tuple[int, Any]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return 400, {"detail": "Request body is not JSON"}
    if not isinstance(doc, dict):
        return 400, {"detail": "Request body is not a JSON object"}
    _declared[0] += 1
    return 201, {"id": _declared[0], "ref": f"INC-{_declared[0]}", "title": doc.get("title"), "status": "identified"}


async def app(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if scope["method"] == "GET" and path == "/healthz":
        return await _answer(send, 200, {"status": "ok"})
    if scope["method"] == "POST" and path == _INCIDENTS:
        return await _answer(send, *_declare(await _body(receive)))
    if scope["method"] == "POST" and (path in _PAGERDUTY or _WEBHOOK.match(path)):
        return await _answer(send, *_accept(path, await _body(receive)))
    await _body(receive)
    await _answer(send, 404, {"detail": "Not Found"})

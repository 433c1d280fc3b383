"""Alert intake: PagerDuty Events API v2 (`POST /v2/enqueue`), Alertmanager webhooks and generic webhooks.

These routes are open to the network and authenticated by the integration key, not a user token.
A 2xx answer means the alerts are committed. Load is shed per integration with the status each
sender retries on: 429 for PagerDuty clients, 503 for Alertmanager (it retries only on 5xx) and for
generic webhooks. A wrong key gets the same answer whether or not any other key exists."""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from warroom.alerts import service
from warroom.alerts.changes import record_change
from warroom.alerts.model import MAX_NESTING, BadEvent, nested_deeper_than
from warroom.alerts.rules import Integration
from warroom.alerts.sources import BY_KIND, WEBHOOKS, pagerduty
from warroom.alerts.sources import PAGERDUTY as PAGERDUTY_KIND
from warroom.alerts.sources.change import parse_change
from warroom.alerts.writer import MAX_QUEUE, Unavailable, writer_of
from warroom.platform.app import App
from warroom.web.api.schemas.intake import PAGERDUTY, WEBHOOK, ChangeAccepted, EventAccepted
from warroom.web.deps import public

router = APIRouter(tags=["alert intake"])
log = logging.getLogger("warroom.alerts.intake")
KEY_AUTH = [Depends(public("integration key auth"))]

PD_LIMIT = 512 * 1024  # PagerDuty's own limit
WEBHOOK_LIMIT = 2 * 1024 * 1024  # Alertmanager posts carry whole groups
NUL = b"\\u0000"  # valid JSON, but PostgreSQL cannot store it in text or JSONB


class Disconnected(Exception):
    """The sender went away before its body arrived; there is nobody to answer."""


Answer = tuple[int, dict[str, Any], dict[str, str] | None]


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return status, body, headers


async def read_body(receive: Any, declared: str | None, limit: int) -> bytes | None:
    """The request body from the ASGI `receive`, or None once it is larger than `limit` bytes."""
    if declared and declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _shed(app: App, integ: Integration, n: int) -> float:
    """Seconds the sender should wait, or 0 to accept."""
    if writer_of(app).depth() > MAX_QUEUE:
        return 1.0
    return service.limiter_of(app).take(integ, n)


def _why(exc: Exception) -> str:
    """Say why without leaking internals: the writer already logged any unexpected error."""
    return str(exc) if isinstance(exc, Unavailable) else "internal error"


def _retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}


# -- PagerDuty Events API v2 ------------------------------------------------------------------

def _pd_invalid(errors: list[str], message: str = "Event object is invalid") -> Answer:
    return _json(400, {"status": "invalid event", "message": message, "errors": errors})


def _pd_accept(app: App, raw: bytes | None, parse: Any) -> tuple[Integration, Any] | Answer:
    """What both PagerDuty endpoints check, in order: size, JSON, NUL, routing key, the event itself, the rate.
    Returns (integration, parsed event), or the answer refusing it."""
    if raw is None:
        return _json(413, {"status": "invalid event", "message": f"Request body exceeds {PD_LIMIT} bytes",
                           "errors": ["body: too large"]})
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _pd_invalid([f"body: malformed JSON: {exc}"], "Event object is invalid: malformed JSON")
    if NUL in raw:
        return _pd_invalid(["body: must not contain NUL characters (\\u0000)"])
    if nested_deeper_than(raw, body):
        return _pd_invalid([f"body: nested deeper than {MAX_NESTING} levels"])
    integ = service.authenticate(app, pagerduty.routing_key(body))
    if integ is None or integ.kind != PAGERDUTY_KIND:
        return _pd_invalid(["routing_key: not a valid integration key"], "Invalid routing key")
    try:
        event = parse(body)
    except BadEvent as exc:
        return _pd_invalid(exc.errors)
    wait = _shed(app, integ, 1)
    if wait:
        return _json(429, {"status": "throttle event", "message": "Too many events; retry later"},
                     _retry_after(wait))
    return integ, event


def _not_committed(exc: Exception) -> Answer:
    return _json(503, {"status": "unavailable", "message": f"Not committed; retry: {_why(exc)}"}, _retry_after(1))


async def pagerduty_answer(app: App, raw: bytes | None) -> Answer:
    """Handle one Events API v2 request body (None: over the size limit)."""
    got = _pd_accept(app, raw, pagerduty.parse)
    if len(got) == 3:
        return got
    integ, alert = got
    try:
        await service.send(app, integ, [alert])
    except Exception as exc:  # noqa: BLE001 - nothing was committed for this event: the sender should retry
        return _not_committed(exc)
    return _json(202, {"status": "success", "message": "Event processed", "dedup_key": alert.dedup_key})


async def change_answer(app: App, raw: bytes | None) -> Answer:
    """Handle one Change Events request body (None: over the size limit): kept, never opens an incident."""
    got = _pd_accept(app, raw, parse_change)
    if len(got) == 3:
        return got
    integ, change = got
    try:
        change_id = await run_in_threadpool(record_change, app, integ, change)
    except Exception as exc:  # noqa: BLE001 - nothing was committed: the sender should retry
        log.exception("change event not stored")
        return _not_committed(exc)
    return _json(202, {"status": "success", "message": "Change event processed", "id": str(change_id)})


# -- Alertmanager and generic webhooks ----------------------------------------------------------

def _error(status: int, code: str, message: str, errors: list[str] | None = None,
           headers: dict[str, str] | None = None) -> Answer:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = [{"field": f, "problem": p} for f, _, p in (e.partition(": ") for e in errors)]
    return _json(status, body, headers)


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def webhook_answer(app: App, kind: str, key: str | None, raw: bytes | None) -> Answer:
    """Handle one Alertmanager or generic webhook body (None: over the size limit)."""
    if raw is None:
        return _error(413, "too_large", f"request body exceeds {WEBHOOK_LIMIT} bytes")
    integ = service.authenticate(app, key)
    if integ is None or integ.kind != kind:
        return _error(401, "unauthorized", "invalid integration key")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _error(400, "bad_request", f"malformed JSON: {exc}", [f"body: malformed JSON: {exc}"])
    if NUL in raw:
        return _error(400, "bad_request", "body: must not contain NUL characters", ["body: NUL (\\u0000) in text"])
    if nested_deeper_than(raw, body):
        return _error(400, "bad_request", f"body: nested deeper than {MAX_NESTING} levels",
                      [f"body: nested deeper than {MAX_NESTING} levels"])
    try:
        alerts = BY_KIND[kind].parse(body, integ.config)
    except BadEvent as exc:
        return _error(400, "invalid_event", str(exc), exc.errors)
    wait = _shed(app, integ, max(1, len(alerts)))
    if wait:
        return _error(503, "overloaded", "too many alerts for this integration; retry later",
                      headers=_retry_after(wait))
    if alerts:
        try:
            await service.send(app, integ, alerts)
        except Exception as exc:  # noqa: BLE001 - nothing was committed for this post: the sender should retry
            return _error(503, "unavailable", f"not committed; retry: {_why(exc)}", headers=_retry_after(1))
    return _json(202, {"status": "success", "accepted": len(alerts), "dedup_keys": [a.dedup_key for a in alerts]})


# -- routes (documented in the OpenAPI schema; the fast path below answers the same requests) ---

def _response(answer: Answer) -> Response:
    status, body, headers = answer
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


async def _body(request: Request, limit: int) -> bytes | None:
    try:
        return await read_body(request.receive, request.headers.get("content-length"), limit)
    except Disconnected:
        raise ClientDisconnect from None


@router.post("/v2/enqueue", status_code=202, dependencies=KEY_AUTH,
             responses={202: {"model": EventAccepted, "description": "Committed"}, **PAGERDUTY},
             summary="PagerDuty Events API v2 compatible: trigger, acknowledge, resolve")
async def enqueue(request: Request) -> Response:
    app: App = request.app.state.warroom
    return _response(await pagerduty_answer(app, await _body(request, PD_LIMIT)))


@router.post("/v2/change/enqueue", status_code=202, dependencies=KEY_AUTH,
             responses={202: {"model": ChangeAccepted, "description": "Stored"}, **PAGERDUTY},
             summary="PagerDuty Change Events compatible: a deploy or config change, kept for war rooms")
async def change_enqueue(request: Request) -> Response:
    app: App = request.app.state.warroom
    return _response(await change_answer(app, await _body(request, PD_LIMIT)))


def _by_path(kind: str) -> Any:
    async def handler(key: str, request: Request) -> Response:
        app: App = request.app.state.warroom
        return _response(await webhook_answer(app, kind, key, await _body(request, WEBHOOK_LIMIT)))

    return handler


def _by_header(kind: str) -> Any:
    async def handler(request: Request) -> Response:
        app: App = request.app.state.warroom
        key = bearer(request.headers.get("authorization"))
        return _response(await webhook_answer(app, kind, key, await _body(request, WEBHOOK_LIMIT)))

    return handler


for _w in WEBHOOKS:
    router.add_api_route(f"/api/v1/integrations/{{key}}/{_w.suffix}", _by_path(_w.kind), methods=["POST"],
                         status_code=202, dependencies=KEY_AUTH, responses=WEBHOOK,
                         summary=f"{_w.summary}, key in the path", name=f"{_w.suffix}_by_path")
    router.add_api_route(f"/api/v1/intake/{_w.suffix}", _by_header(_w.kind), methods=["POST"], status_code=202,
                         dependencies=KEY_AUTH, responses=WEBHOOK,
                         summary=f"{_w.summary}, key as 'Authorization: Bearer <key>'", name=f"{_w.suffix}_by_header")

"""Generic JSON webhooks, signed with HMAC-SHA256 using the endpoint's secret.

The receiver recomputes `hmac_sha256(secret, raw_body)` and compares it with the hex digest in
`X-Warroom-Signature: sha256=<hex>`; `X-Warroom-Idempotency-Key` (also in the body) is the same on every
retry of one notification."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson

from warroom.notifications.render import summary

_client = httpx.Client(timeout=10.0)


def sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_json(url: str, doc: dict[str, Any], key: str, secret: str = "") -> None:
    """POST `doc` as JSON; raise unless the receiver answers 2xx."""
    raw = orjson.dumps(doc)
    headers = {"Content-Type": "application/json", "X-Warroom-Idempotency-Key": key,
               "User-Agent": "warroom-notify/1"}
    if secret:
        headers["X-Warroom-Signature"] = sign(secret, raw)
    r = _client.post(url, content=raw, headers=headers)
    if r.status_code >= 300:
        raise RuntimeError(f"HTTP {r.status_code} from {url}: {r.text[:200]}")


def document(row: dict[str, Any]) -> dict[str, Any]:
    return {"idempotency_key": row["key"], "notification_id": row["id"], **row["payload"],
            "summary": summary(row["payload"])}


def send(row: dict[str, Any], secret: str) -> None:
    post_json(row["address"], document(row), row["key"], secret)

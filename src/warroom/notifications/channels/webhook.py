"""Generic JSON webhooks, signed with HMAC-SHA256 using the endpoint's secret.

The receiver recomputes `hmac_sha256(secret, raw_body)` and compares it with the hex digest in
`X-Warroom-Signature: sha256=<hex>`; `X-Warroom-Idempotency-Key` (also in the body) is the same on every
retry of one notification. Every connection is checked by the outbound policy (platform/outbound.py);
redirects are not followed."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from warroom.notifications.render import summary
from warroom.platform.outbound import DeliveryFailed, Policy, http_client


def sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class Poster:
    """POSTs JSON through one guarded httpx client (connections are pooled per destination)."""

    def __init__(self, guard: Policy, timeout: float = 10.0) -> None:
        self.client = http_client(guard, timeout)

    def post_json(self, url: str, doc: dict[str, Any], key: str, secret: str = "") -> None:
        """POST `doc` as JSON; raise unless the receiver answers 2xx."""
        raw = orjson.dumps(doc)
        headers = {"Content-Type": "application/json", "X-Warroom-Idempotency-Key": key,
                   "User-Agent": "warroom-notify/1"}
        if secret:
            headers["X-Warroom-Signature"] = sign(secret, raw)
        with self.client.stream("POST", url, content=raw, headers=headers) as r:
            _drain(r)
            if r.status_code >= 300:
                raise DeliveryFailed(f"HTTP {r.status_code}")

    def send(self, row: dict[str, Any], secret: str) -> None:
        """The `webhook` channel."""
        self.post_json(row["address"], document(row), row["key"], secret)


def _drain(r: Any, limit: int = 64 * 1024) -> None:
    """Read (and drop) a short answer so the connection can be reused; a long one is cut off instead."""
    seen = 0
    for chunk in r.iter_raw():
        seen += len(chunk)
        if seen > limit:
            return


def document(row: dict[str, Any]) -> dict[str, Any]:
    return {"idempotency_key": row["key"], "notification_id": row["id"], **row["payload"],
            "summary": summary(row["payload"])}

"""Wording of notifications (pure): the payload stores facts; these functions turn them into text."""

from __future__ import annotations

from typing import Any


def headline(payload: dict[str, Any]) -> str:
    inc = payload.get("incident") or {}
    what = {"page": "you are paged", "breach": "target breached"}.get(payload.get("event", ""), payload.get("event"))
    level = f" (level {payload['level']})" if payload.get("level") else ""
    return f"[{inc.get('priority', '?')}] {inc.get('ref', '')} {inc.get('title', '')}: {what}{level}"


def body(payload: dict[str, Any]) -> str:
    inc = payload.get("incident") or {}
    lines = [headline(payload), ""]
    if payload.get("reason"):
        lines.append(f"Reason: {payload['reason']}")
    lines += [f"Status: {inc.get('status', '')}", f"Open: {inc.get('url', '')}",
              "", "Acknowledge to stop the escalation."]
    return "\n".join(lines)

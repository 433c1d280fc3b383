"""PagerDuty Change Events (`POST /v2/change/enqueue`): a deploy, a config push, a feature flag flipped. They
open nothing; they are kept so that a war room can ask "what changed just before this broke?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warroom.alerts.links import links_of
from warroom.alerts.model import BadEvent
from warroom.alerts.sources.pagerduty import MAX_SUMMARY, parse_timestamp


@dataclass(frozen=True, slots=True)
class ChangeIn:
    summary: str
    source: str = ""
    occurred_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)


def parse_change(body: Any) -> ChangeIn:
    """One change event, validated as PagerDuty documents it (payload.summary required)."""
    if not isinstance(body, dict):
        raise BadEvent(["body: must be a JSON object"])
    errors: list[str] = []
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise BadEvent(["payload: is required and must be an object"])
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("payload.summary: is required")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"payload.summary: must be at most {MAX_SUMMARY} characters")
    source = payload.get("source", "")
    if not isinstance(source, str):
        errors.append("payload.source: must be a string")
    details = payload.get("custom_details", {})
    if not isinstance(details, dict):
        errors.append("payload.custom_details: must be an object")
    if "links" in body and not isinstance(body["links"], list):
        errors.append("links: must be a list")
    occurred = parse_timestamp(payload.get("timestamp"), errors)
    if errors:
        raise BadEvent(errors)
    assert isinstance(summary, str) and isinstance(source, str)  # checked above
    return ChangeIn(summary=summary.strip(), source=source.strip()[:255], occurred_at=occurred,
                    details=details, links=links_of({"links": body.get("links") or []}))

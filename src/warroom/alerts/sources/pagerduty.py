"""PagerDuty Events API v2 (`POST /v2/enqueue`): one event per request, `routing_key` is the integration key.

Validation follows PagerDuty's documented limits so clients get the answers they expect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import new_dedup_key
from warroom.alerts.model import SEVERITIES, Action, AlertIn, BadEvent, parse_instant, scalar_labels

MAX_SUMMARY = 1024
MAX_DEDUP = 255
LABEL_FIELDS = ("source", "component", "group", "class")


def routing_key(body: Any) -> str | None:
    key = body.get("routing_key") if isinstance(body, dict) else None
    return key if isinstance(key, str) and key else None


def parse_timestamp(raw: Any, errors: list[str]) -> datetime | None:
    """payload.timestamp: ISO 8601 with an offset, or None; a problem is appended to `errors`."""
    if raw is None:
        return None
    try:
        return parse_instant(raw)
    except ValueError as exc:
        errors.append(f"payload.timestamp: {exc}")
        return None


def _group(group: Any, dedup_key: str) -> str:
    """The sender's group: `payload.group` when given, otherwise the `dedup_key` (what Alertmanager's and
    Grafana's PagerDuty senders set to their alert group; an event without either is its own group, as in
    PagerDuty)."""
    return str(group) if group not in (None, "") else dedup_key


def parse(body: Any) -> AlertIn:
    """One event. A trigger without dedup_key gets a fresh one (returned to the sender)."""
    if not isinstance(body, dict):
        raise BadEvent(["body: must be a JSON object"])
    errors: list[str] = []
    stored = dict(body)
    stored.pop("routing_key", None)  # the key is a secret; whoever may read alerts sees their payloads
    action = body.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        raise BadEvent(["event_action: must be one of trigger, acknowledge, resolve"])
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not dedup or len(dedup) > MAX_DEDUP):
        errors.append(f"dedup_key: must be a non-empty string of at most {MAX_DEDUP} characters")
    if action != "trigger":
        if not dedup:
            errors.append(f"dedup_key: is required to {action}")
        if errors:
            raise BadEvent(errors)
        assert isinstance(dedup, str)  # checked above
        return AlertIn(dedup_key=dedup, action=Action(action), summary="", severity="info", payload=stored)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise BadEvent(errors + ["payload: is required to trigger and must be an object"])
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("payload.summary: is required")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"payload.summary: must be at most {MAX_SUMMARY} characters")
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append("payload.source: is required")
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        errors.append(f"payload.severity: must be one of {', '.join(SEVERITIES)}")
    occurred = parse_timestamp(payload.get("timestamp"), errors)
    details = payload.get("custom_details")
    for name in ("links", "images"):
        if name in body and not isinstance(body[name], list):
            errors.append(f"{name}: must be a list")
    if errors:
        raise BadEvent(errors)
    assert isinstance(summary, str) and isinstance(source, str) and isinstance(severity, str)  # checked above
    labels = scalar_labels({f: payload.get(f) for f in LABEL_FIELDS})
    service = None
    if isinstance(details, dict):
        scalar_labels(details, labels)  # scalar custom details become labels, up to the cap
        if isinstance(details.get("service"), str):
            service = details["service"]
    key = dedup or new_dedup_key()
    return AlertIn(
        dedup_key=key,
        action=Action.TRIGGER,
        summary=summary.strip(),
        severity=severity,
        source=source.strip(),
        labels=labels,
        payload=stored,
        group_hint=_group(payload.get("group"), key),
        service=service,
        occurred_at=occurred,
    )

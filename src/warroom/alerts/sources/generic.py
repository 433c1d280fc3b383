"""Generic JSON webhook: the integration's `mapping` says which payload fields carry what.

    "mapping": {"items": "alerts",            # optional: a list of alerts in one post
                "dedup_key": "id", "summary": "title", "severity": "level",
                "service": "tags.service", "status": "state", "source": "host",
                "group": "tags.cluster", "labels": "tags",
                "resolved_values": ["resolved", "ok"], "acknowledged_values": ["acknowledged"]}

Paths are dotted (`a.b.0.c`). Without a dedup_key path, the key is a hash of summary, source and service."""

from __future__ import annotations

from typing import Any

from warroom.alerts.fingerprint import digest, fit_key
from warroom.alerts.model import Action, AlertIn, BadEvent, normalize_severity, scalar_labels
from warroom.errors import Invalid

KIND = "generic"  # its integration kind (sources/__init__.py WEBHOOKS); only it has a config.mapping

PATH_FIELDS = ("items", "dedup_key", "summary", "severity", "service", "status", "source", "group", "labels")
DEFAULT_RESOLVED = ("resolved", "ok", "closed", "recovered", "inactive")
DEFAULT_ACKED = ("acknowledged", "ack")


def check_mapping(mapping: dict[str, Any]) -> None:
    """Raise Invalid on a mapping that could never work."""
    for key, value in mapping.items():
        if key in PATH_FIELDS:
            if not isinstance(value, str) or not value:
                raise Invalid(f"config.mapping.{key}", "must be a dotted path such as data.title")
        elif key in ("resolved_values", "acknowledged_values"):
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise Invalid(f"config.mapping.{key}", "must be a list of strings")
        else:
            raise Invalid(f"config.mapping.{key}", f"unknown; known: {', '.join(PATH_FIELDS)}, resolved_values, "
                                                   "acknowledged_values")
    if "summary" not in mapping:
        raise Invalid("config.mapping.summary", "is required for a generic webhook")


def pluck(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isascii() and part.isdigit() and len(part) < 10 and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _one(item: Any, mapping: dict[str, Any], where: str) -> AlertIn:
    def text(name: str) -> str | None:
        path = mapping.get(name)
        value = pluck(item, path) if path else None
        return None if value is None or isinstance(value, dict | list) else str(value)

    summary = text("summary")
    if not summary or not summary.strip():
        raise BadEvent([f"{where}{mapping['summary']}: missing (mapped to summary)"])
    status = (text("status") or "").strip().lower()
    resolved = {v.lower() for v in mapping.get("resolved_values", DEFAULT_RESOLVED)}
    acked = {v.lower() for v in mapping.get("acknowledged_values", DEFAULT_ACKED)}
    action = Action.RESOLVE if status in resolved else Action.ACKNOWLEDGE if status in acked else Action.TRIGGER
    raw_labels = pluck(item, mapping["labels"]) if "labels" in mapping else None
    labels = scalar_labels(raw_labels) if isinstance(raw_labels, dict) else {}
    service, source = text("service"), text("source") or ""
    key = text("dedup_key") or digest(summary, source, service or "")[:32]
    return AlertIn(dedup_key=fit_key(key), action=action, summary=summary.strip()[:1024],
                   severity=normalize_severity(text("severity")), source=source[:255], labels=labels,
                   payload=item if isinstance(item, dict) else {"value": item}, group_hint=text("group") or "",
                   service=service)


def parse(body: Any, mapping: dict[str, Any]) -> list[AlertIn]:
    if not isinstance(body, dict | list):
        raise BadEvent(["body: must be a JSON object or list"])
    if "items" in mapping:
        items = pluck(body, mapping["items"])
        if not isinstance(items, list):
            raise BadEvent([f"{mapping['items']}: must be a list (mapped to items)"])
        return [_one(x, mapping, f"{mapping['items']}.{i}.") for i, x in enumerate(items)]
    if isinstance(body, list):
        return [_one(x, mapping, f"{i}.") for i, x in enumerate(body)]
    return [_one(body, mapping, "")]

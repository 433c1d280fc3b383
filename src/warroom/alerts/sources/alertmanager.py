"""Prometheus Alertmanager webhook (payload version 4): one post carries a group of alerts.

Idempotent per alert `fingerprint`; the post's `groupKey` is the group hint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.alerts.fingerprint import fit_key, labels_fingerprint
from warroom.alerts.model import Action, AlertIn, BadEvent, normalize_severity

MAX_SUMMARY = 1024


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or raw.startswith("0001-"):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def _str_map(raw: Any, where: str, errors: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be an object")
        return {}
    if all(type(v) is str for v in raw.values()):  # the usual case: Alertmanager sends strings
        return raw
    return {str(k): v if isinstance(v, str) else str(v) for k, v in raw.items()}


def parse(body: Any) -> list[AlertIn]:
    if not isinstance(body, dict):
        raise BadEvent(["body: must be a JSON object"])
    errors: list[str] = []
    version = body.get("version")
    if version is not None and str(version) != "4":
        errors.append(f"version: payload version {version} is not supported (expected 4)")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadEvent(errors + ["alerts: must be a list"])
    group_key = body.get("groupKey")
    hint = group_key if isinstance(group_key, str) else ""
    common = _str_map(body.get("commonLabels"), "commonLabels", errors)
    out: list[AlertIn] = []
    for i, a in enumerate(alerts):
        where = f"alerts.{i}"
        if not isinstance(a, dict):
            errors.append(f"{where}: must be an object")
            continue
        labels = _str_map(a.get("labels"), f"{where}.labels", errors)
        annotations = _str_map(a.get("annotations"), f"{where}.annotations", errors)
        status = a.get("status")
        if status not in ("firing", "resolved"):
            errors.append(f"{where}.status: must be firing or resolved")
            continue
        fp = a.get("fingerprint")
        key = fp if isinstance(fp, str) and fp else labels_fingerprint(labels)
        summary = (annotations.get("summary") or annotations.get("description") or labels.get("alertname")
                   or common.get("alertname") or "alert")
        out.append(AlertIn(
            dedup_key=fit_key(key),
            action=Action.TRIGGER if status == "firing" else Action.RESOLVE,
            summary=summary[:MAX_SUMMARY],
            severity=normalize_severity(labels.get("severity")),
            source=labels.get("instance") or labels.get("job") or "",
            labels=labels,
            payload=a,
            group_hint=hint,
            service=labels.get("service"),
            occurred_at=_time(a.get("startsAt")),
        ))
    if errors:
        raise BadEvent(errors)
    return out

"""Alert domain types (pure): what a parsed event says, and how an integration is configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, get_args


class Action(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class AlertStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


Severity = Literal["critical", "error", "warning", "info"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

_SEVERITY_ALIASES = {
    "critical": "critical", "crit": "critical", "page": "critical", "fatal": "critical", "disaster": "critical",
    "p1": "critical", "sev1": "critical", "emergency": "critical",
    "error": "error", "err": "error", "high": "error", "major": "error", "p2": "error", "sev2": "error",
    "warning": "warning", "warn": "warning", "average": "warning", "minor": "warning", "medium": "warning",
    "p3": "warning", "sev3": "warning",
    "info": "info", "information": "info", "informational": "info", "low": "info", "none": "info",
    "not classified": "info", "ok": "info", "p4": "info", "p5": "info",
}


def normalize_severity(raw: Any, default: str = "error") -> str:
    """Map the many spellings monitoring tools use onto critical / error / warning / info."""
    if raw is None:
        return default
    return _SEVERITY_ALIASES.get(str(raw).strip().lower(), default)


class BadEvent(ValueError):
    """An event that cannot be accepted; `errors` name each problem ("field: problem")."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(slots=True)
class AlertIn:
    """One alert event as a source reported it, before dedup and grouping. Nothing changes it once parsed; it is
    not `frozen` because a frozen dataclass's __init__ sets each field through object.__setattr__, which cost
    ~0.9 us per alert on the intake path (one per PagerDuty request, 100 per Alertmanager post)."""

    dedup_key: str
    action: Action
    summary: str
    severity: str
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    group_hint: str = ""  # Alertmanager groupKey, PagerDuty payload.group, a mapped field
    service: str | None = None  # a catalog service name named by the event, if any
    occurred_at: datetime | None = None


MAX_LABELS = 64
_SCALARS = (str, int, float)  # bool is an int


def scalar_labels(values: dict[Any, Any], into: dict[str, str] | None = None) -> dict[str, str]:
    """The scalar values of a sender's map as string labels, added to `into` until it holds MAX_LABELS;
    nested objects and lists are left in the raw payload."""
    labels = {} if into is None else into
    for k, v in values.items():
        if len(labels) >= MAX_LABELS:
            break
        if isinstance(v, _SCALARS):
            labels[str(k)] = str(v)
    return labels


def parse_instant(raw: Any) -> datetime:
    """An ISO 8601 time with its UTC offset (`Z` allowed); ValueError says which part is wrong."""
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset")
    return value


# A payload is stored as JSON, and orjson writes at most 254 nested levels (it parses 1024): anything deeper
# would be accepted and then fail to store on every retry. No monitoring system nests this deep.
MAX_NESTING = 128


def nested_deeper_than(raw: bytes, body: Any, limit: int = MAX_NESTING) -> bool:
    """Whether the parsed `body` nests more than `limit` objects/arrays. Cheap on the hot path: a body with
    fewer than `limit` brackets cannot nest that deep, and counting bytes is far faster than parsing them."""
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False
    level: list[tuple[Any, int]] = [(body, 1)]
    while level:
        value, depth = level.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        level.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False

"""Escalation policies and response/resolution targets (pure).

A policy is an ordered list of levels; each level pages its targets and waits `timeout_minutes`
for an acknowledgement before the next level is paged. After the last level the whole policy runs
again, `repeat` more times; then the escalation is exhausted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from warroom.errors import Invalid

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
ROLES = ("coordinator", "comms_lead", "scribe")


class PolicyError(Invalid):
    """Bad policy or target data; `field` names what is wrong (a 422 at the API)."""


class TargetKind(StrEnum):
    USER = "user"
    SCHEDULE = "schedule"  # whoever is on call in that schedule when the level is paged
    TEAM = "team"  # every member of the team
    ROLE = "role"  # the incident's coordinator / comms_lead / scribe


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: int = 0
    role: str = ""


@dataclass(frozen=True)
class Level:
    timeout_minutes: int
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    repeat: int = 0


def next_step(policy: Policy, level: int, cycle: int) -> tuple[int, int] | None:
    """The (level, cycle) paged after `level` of `cycle` times out, or None when the policy is exhausted."""
    if level + 1 < len(policy.levels):
        return level + 1, cycle
    if cycle < policy.repeat:
        return 0, cycle + 1
    return None


def _target(data: Any, f: str) -> Target:
    if not isinstance(data, dict):
        raise PolicyError(f, "must be an object like {\"kind\": \"user\", \"id\": 3}")
    try:
        kind = TargetKind(str(data.get("kind")))
    except ValueError:
        raise PolicyError(f"{f}.kind", "must be user, schedule, team or role") from None
    if kind is TargetKind.ROLE:
        role = str(data.get("role") or "")
        if role not in ROLES:
            raise PolicyError(f"{f}.role", f"must be one of {', '.join(ROLES)}")
        return Target(kind, role=role)
    try:
        ident = int(data["id"])
    except (KeyError, TypeError, ValueError):
        raise PolicyError(f"{f}.id", "must be a number") from None
    return Target(kind, id=ident)


def policy_from_json(name: str, levels: Any, repeat: Any = 0) -> Policy:
    """Validate a policy given as JSON-shaped data; errors name the field."""
    if not str(name).strip():
        raise PolicyError("name", "must not be empty")
    if not isinstance(levels, list) or not levels:
        raise PolicyError("levels", "give at least one level")
    if len(levels) > 20:
        raise PolicyError("levels", "at most 20 levels")
    try:
        rep = int(repeat or 0)
    except (TypeError, ValueError):
        raise PolicyError("repeat", "must be a number") from None
    if not 0 <= rep <= 10:
        raise PolicyError("repeat", "must be between 0 and 10")
    out = []
    for i, lv in enumerate(levels):
        f = f"levels[{i}]"
        if not isinstance(lv, dict):
            raise PolicyError(f, "must be an object with timeout_minutes and targets")
        try:
            timeout = int(lv.get("timeout_minutes", 0))
        except (TypeError, ValueError):
            raise PolicyError(f"{f}.timeout_minutes", "must be a number") from None
        if not 1 <= timeout <= 24 * 60:
            raise PolicyError(f"{f}.timeout_minutes", "must be between 1 and 1440")
        targets = lv.get("targets")
        if not isinstance(targets, list) or not targets:
            raise PolicyError(f"{f}.targets", "give at least one target")
        out.append(Level(timeout, tuple(_target(t, f"{f}.targets[{j}]") for j, t in enumerate(targets))))
    return Policy(str(name).strip(), tuple(out), rep)


def policy_to_json(p: Policy) -> dict[str, Any]:
    return {"name": p.name, "repeat": p.repeat, "levels": [
        {"timeout_minutes": lv.timeout_minutes,
         "targets": [{"kind": t.kind.value, "role": t.role} if t.kind is TargetKind.ROLE
                     else {"kind": t.kind.value, "id": t.id} for t in lv.targets]}
        for lv in p.levels]}


# -- response and resolution targets ----------------------------------------------------------------

@dataclass(frozen=True)
class Targets:
    """Minutes to acknowledge / resolve per priority (None: no target) and the policy paged on a breach."""

    ack_minutes: dict[str, int | None]
    resolve_minutes: dict[str, int | None]
    breach_policy_id: int | None = None

    def due(self, priority: str, kind: str) -> int | None:
        return (self.ack_minutes if kind == "ack" else self.resolve_minutes).get(priority)


DEFAULT_TARGETS = Targets(
    ack_minutes={"P1": 5, "P2": 15, "P3": 60, "P4": 240, "P5": None},
    resolve_minutes={"P1": 240, "P2": 480, "P3": 1440, "P4": 4320, "P5": None},
)


def targets_from_json(data: Any) -> Targets:
    if not isinstance(data, dict):
        raise PolicyError("targets", "must be an object")
    out: dict[str, dict[str, int | None]] = {"ack_minutes": {}, "resolve_minutes": {}}
    for key in out:
        given = data.get(key, {})
        if not isinstance(given, dict):
            raise PolicyError(key, "must map priorities (P1..P5) to minutes")
        for prio, minutes in given.items():
            if prio not in PRIORITIES:
                raise PolicyError(f"{key}.{prio}", "unknown priority")
            if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)
                                        or not 1 <= minutes <= 525600):
                raise PolicyError(f"{key}.{prio}", "must be minutes between 1 and 525600, or null")
            out[key][prio] = minutes
    breach = data.get("breach_policy_id")
    if breach is not None and (not isinstance(breach, int) or isinstance(breach, bool)):
        raise PolicyError("breach_policy_id", "must be a policy id or null")
    return Targets(out["ack_minutes"], out["resolve_minutes"], breach)


def targets_to_json(t: Targets) -> dict[str, Any]:
    return {"ack_minutes": dict(t.ack_minutes), "resolve_minutes": dict(t.resolve_minutes),
            "breach_policy_id": t.breach_policy_id}

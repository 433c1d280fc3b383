"""Wording of notifications (pure): the payload stores facts; these functions turn them into text.

Payload events: `page` (an escalation level, or someone paged on request: `requested_by`, `message`),
`breach` (a missed target), `assigned` (you now hold a role: `role`, `role_title`, `team`, `by`) and
`promoted` (the incident became major: `reason`, `by`, `as` = why you hear of it)."""

from __future__ import annotations

from typing import Any

# Why a page reaches you, in words: the payload keeps the escalation's reason code (a fact).
REASONS = {
    "declared": "the incident was declared",
    "reopened": "the incident was reopened",
    "service added": "one of your services joined the incident",
    "timeout": "the previous level did not acknowledge in time",
    "repeat": "nobody acknowledged: the policy runs again",
    "requested": "someone pages you into the incident",
    "breach:ack": "the acknowledgement target was missed",
    "breach:resolve": "the resolution target was missed",
}
DEFAULT_POLICY = "none of its services has an escalation policy, so the default policy pages you"


def reason_text(code: str) -> str:
    """A page's reason code in words, e.g. "default_policy" or "reopened_default_policy"."""
    if code == "default_policy":
        return DEFAULT_POLICY
    if code.endswith("_default_policy"):
        return f"{reason_text(code.removesuffix('_default_policy'))}; {DEFAULT_POLICY}"
    return REASONS.get(code, code.replace("_", " "))


def summary(payload: dict[str, Any]) -> str:
    """The one sentence that says what happened to you, e.g. "You are the Major Incident Coordinator of INC-9"."""
    inc = payload.get("incident") or {}
    ref = inc.get("ref", "")
    event = payload.get("event", "")
    if event == "assigned":
        title = payload.get("role_title") or str(payload.get("role", "")).replace("_", " ")
        if payload.get("role") == "expert":
            team = f" for {payload['team']}" if payload.get("team") else ""
            return f"You are a {title.lower()}{team} on {ref}"
        return f"You are the {title} of {ref}"
    if event == "promoted":
        return f"{ref} is now a major incident"
    if event == "page" and payload.get("requested_by"):
        return f"{payload['requested_by']} pages you into {ref}"
    if event == "page":
        return f"You are paged for {ref}"
    if event == "breach":
        return f"{ref} missed a response target"
    return f"{ref}: {event}"


def headline(payload: dict[str, Any]) -> str:
    inc = payload.get("incident") or {}
    event = payload.get("event", "")
    what = {"page": "you are paged", "breach": "target breached", "promoted": "now a MAJOR incident"}.get(event)
    if event == "assigned":
        title = payload.get("role_title") or str(payload.get("role", "")).replace("_", " ")
        what = f"you are the {title}" if payload.get("role") != "expert" else f"you are a {title.lower()}"
    level = f" (level {payload['level']})" if payload.get("level") else ""
    return f"[{inc.get('priority', '?')}] {inc.get('ref', '')} {inc.get('title', '')}: {what or event}{level}"


def body(payload: dict[str, Any]) -> str:
    inc = payload.get("incident") or {}
    event = payload.get("event", "")
    lines = [headline(payload), ""]
    if event in ("assigned", "promoted"):
        by = f" ({event} by {payload['by']})" if payload.get("by") else ""
        lines.append(f"{summary(payload)}{by}.")
    elif payload.get("requested_by"):
        lines.append(f"{summary(payload)}.")
    if event == "promoted":
        if payload.get("reason"):
            lines.append(f"Why: {payload['reason']}")
        lines.append("You hear of it as its coordinator." if payload.get("as") == "coordinator"
                     else "You hear of it as the first on call for its services: it needs a coordinator.")
    elif payload.get("message"):
        lines.append(f"Message: {payload['message']}")
    elif payload.get("reason") and event in ("page", "breach") and not payload.get("requested_by"):
        lines.append(f"Reason: {reason_text(str(payload['reason']))}")
    lines += [f"Status: {inc.get('status', '')}", f"Open: {inc.get('url', '')}"]
    if event in ("page", "breach"):
        lines += ["", "Acknowledge to stop the escalation."]
    return "\n".join(lines)

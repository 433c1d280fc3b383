"""Incident lifecycle: the states and the legal moves between them (pure)."""

from __future__ import annotations

from enum import StrEnum

from warroom.errors import Conflict


class Status(StrEnum):
    IDENTIFIED = "identified"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES: frozenset[Status] = frozenset({Status.IDENTIFIED, Status.INVESTIGATING, Status.CONTAINED})

NEXT: dict[Status, frozenset[Status]] = {
    Status.IDENTIFIED: frozenset({Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED}),
    Status.INVESTIGATING: frozenset({Status.CONTAINED, Status.RESOLVED}),
    Status.CONTAINED: frozenset({Status.INVESTIGATING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.INVESTIGATING, Status.CLOSED}),  # reopen, or close after review
    Status.CLOSED: frozenset(),
}

# The milestone whose time is kept when an incident first enters a status.
MILESTONE_OF: dict[Status, str] = {
    Status.INVESTIGATING: "investigating_at",
    Status.CONTAINED: "contained_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
}

MILESTONES: tuple[str, ...] = (
    "detected_at",
    "acknowledged_at",
    "investigating_at",
    "contained_at",
    "resolved_at",
    "closed_at",
)


class IllegalMove(Conflict):
    """A status change that the lifecycle does not allow."""

    def __init__(self, cur: Status, to: Status) -> None:
        self.cur = cur
        self.to = to
        self.allowed = sorted(NEXT[cur])
        allowed = ", ".join(self.allowed) or "none (closed is final)"
        super().__init__(f"cannot move from {cur} to {to}; allowed next states: {allowed}")


def check_move(cur: Status, to: Status) -> None:
    """Raise IllegalMove unless `cur -> to` is a legal lifecycle move."""
    if to not in NEXT[cur]:
        raise IllegalMove(cur, to)


def is_open(status: Status) -> bool:
    return status in OPEN_STATUSES

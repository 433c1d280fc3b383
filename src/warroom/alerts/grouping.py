"""Where an alert goes (pure): join the group's open incident, reopen a recently resolved one, or open anew."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from warroom.incidents.lifecycle import OPEN_STATUSES, Status


class Placement(StrEnum):
    JOIN = "join"
    REOPEN = "reopen"
    OPEN = "open"


def place(status: str | None, resolved_at: datetime | None, now: datetime, reopen_window_s: int) -> Placement:
    """Decide for a firing alert whose group last fed an incident in `status` (None: no incident yet).

    A closed incident, a resolved one older than the window, or a merged-away one is never revived."""
    if status is None:
        return Placement.OPEN
    if Status(status) in OPEN_STATUSES:
        return Placement.JOIN
    if (status == Status.RESOLVED and resolved_at is not None
            and now - resolved_at <= timedelta(seconds=reopen_window_s)):
        return Placement.REOPEN
    return Placement.OPEN

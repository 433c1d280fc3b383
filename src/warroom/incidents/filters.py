"""The one incident filter (pure): the queue page, the API and the CLI all describe a search with it.

`params()` is its query-string form, read back by the page and by `GET /api/v1/incidents` alike."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from warroom.errors import Invalid
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.priority import Priority

ORDERS = ("queue", "recent")


@dataclass(frozen=True)
class IncidentFilter:
    q: str = ""                          # free text in title and description
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    major: bool | None = None
    open_only: bool | None = None        # True: open only; False: resolved/closed only
    service_id: int | None = None
    team_id: int | None = None
    order: str = "queue"                 # "queue": open majors, priority, age; "recent": newest first

    def __post_init__(self) -> None:
        for s in self.statuses:
            if s not in Status.__members__.values():
                raise Invalid("status", f"{s!r} is not one of {', '.join(Status)}")
        for p in self.priorities:
            if p not in Priority.__members__.values():
                raise Invalid("priority", f"{p!r} is not one of {', '.join(Priority)}")
        if self.order not in ORDERS:
            raise Invalid("order", f"{self.order!r} is not one of {', '.join(ORDERS)}")

    def params(self) -> list[tuple[str, str]]:
        """The filter as query-string pairs (defaults left out), e.g. for links and for the CLI's API call."""
        pairs = [("q", self.q)] if self.q else []
        pairs += [("status", s) for s in self.statuses] + [("priority", p) for p in self.priorities]
        if self.major is not None:
            pairs.append(("major", "1" if self.major else "0"))
        if self.open_only is not None:
            pairs.append(("open", "1" if self.open_only else "0"))
        if self.service_id is not None:
            pairs.append(("service_id", str(self.service_id)))
        if self.team_id is not None:
            pairs.append(("team_id", str(self.team_id)))
        if self.order != "queue":
            pairs.append(("order", self.order))
        return pairs

    def query(self) -> str:
        return urlencode(self.params())

    def for_queue(self) -> IncidentFilter:
        """The queue page's reading: no status named means open ones only; asking for finished statuses only
        shows history, newest first."""
        if not self.statuses:
            return replace(self, open_only=True)
        finished_only = not any(Status(s) in OPEN_STATUSES for s in self.statuses)
        return replace(self, order="recent") if finished_only else self

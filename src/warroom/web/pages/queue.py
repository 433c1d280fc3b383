"""The incident queue (home page): open incidents in work-queue order, filters, live refresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from warroom.catalog import store as cat_store
from warroom.errors import Invalid
from warroom.escalation.failures import paging_health
from warroom.incidents import store as st
from warroom.incidents.lifecycle import OPEN_STATUSES, Status
from warroom.incidents.priority import Priority
from warroom.platform.app import App
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int
from warroom.web.pages.common import PageError, ViewerPage, fragment, load_names, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200


@dataclass(frozen=True)
class Filters:
    q: str = ""
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    major: bool | None = None
    service_id: int | None = None
    team_id: int | None = None

    def query(self) -> str:
        pairs: list[tuple[str, Any]] = [("q", self.q)] if self.q else []
        pairs += [("status", s) for s in self.statuses] + [("priority", p) for p in self.priorities]
        if self.major is not None:
            pairs.append(("major", "1" if self.major else "0"))
        if self.service_id is not None:
            pairs.append(("service_id", self.service_id))
        if self.team_id is not None:
            pairs.append(("team_id", self.team_id))
        return urlencode(pairs)


def _int(name: str, raw: str | None) -> int | None:
    try:
        return optional_int(raw, name, problem="must be an id")
    except Invalid as exc:
        raise PageError(422, str(exc)) from None


def parse_filters(request: Request) -> Filters:
    """Filters from the query string; an unknown value is a 422 naming the field."""
    qp = request.query_params
    statuses = tuple(s for s in qp.getlist("status") if s)
    priorities = tuple(p for p in qp.getlist("priority") if p)
    for s in statuses:
        if s not in Status.__members__.values():
            raise PageError(422, f"status: {s!r} is not one of {', '.join(Status)}")
    for p in priorities:
        if p not in Priority.__members__.values():
            raise PageError(422, f"priority: {p!r} is not one of {', '.join(Priority)}")
    major_raw = qp.get("major", "")
    if major_raw not in ("", "1", "0"):
        raise PageError(422, "major: must be 1 or 0")
    return Filters(q=qp.get("q", "").strip()[:200], statuses=statuses, priorities=priorities,
                   major=None if major_raw == "" else major_raw == "1",
                   service_id=_int("service_id", qp.get("service_id")), team_id=_int("team_id", qp.get("team_id")))


def queue_rows(app: App, conn: Connection, f: Filters) -> dict[str, Any]:
    """The incidents for these filters plus what the rows need to render."""
    finished_only = bool(f.statuses) and not any(Status(s) in OPEN_STATUSES for s in f.statuses)
    items, total = st.search(conn, statuses=list(f.statuses) or None, open_only=None if f.statuses else True,
                             priorities=list(f.priorities) or None, major=f.major, service_id=f.service_id,
                             team_id=f.team_id, text=f.q or None, limit=PAGE_SIZE,
                             order="recent" if finished_only else "queue")  # history: newest first
    names = load_names(conn, {i.coordinator_id for i in items if i.coordinator_id})
    return {"incidents": items, "total": total, "names": names, "now": app.clock.now(),
            "page_size": PAGE_SIZE, "paging": paging_health(conn, items)}


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    f = parse_filters(request)
    with app.db.read() as conn:
        ctx = queue_rows(app, conn, f)
        after = st.last_event_id(conn)
        teams = cat_store.list_teams(conn)
        services = cat_store.list_services(conn)
    return render(request, "queue.html", filters=f, after=after, team_options=[(t["id"], t["name"]) for t in teams],
                  service_options=[(x["id"], x["name"]) for x in services],
                  status_options=[(s.value, s.value.capitalize()) for s in Status],
                  priority_options=[(p.value, p.value) for p in Priority], **ctx)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows_fragment(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    """The queue's table body alone, re-fetched by the page when the live stream says something changed."""
    f = parse_filters(request)
    with app.db.read() as conn:
        ctx = queue_rows(app, conn, f)
    return HTMLResponse(fragment("_queue_rows.html", **ctx), headers={"Cache-Control": "no-store"})

"""REST: incidents, their lifecycle, roles, links, notes and timeline."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Response

from warroom.auth.permissions import Principal
from warroom.errors import NotFound
from warroom.escalation import responders
from warroom.incidents import queries, service
from warroom.incidents.filters import IncidentFilter
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Priority
from warroom.platform.app import App
from warroom.web.api.schemas import ERRORS, MAX_ID, QueryId
from warroom.web.api.schemas.incidents import (
    AssignIn,
    DeclareIn,
    EditIn,
    EventOut,
    IncidentOut,
    IncidentPage,
    LinkIn,
    MergeIn,
    MoveIn,
    NoteIn,
    PageIn,
    ReasonIn,
    UnassignIn,
    VersionIn,
)
from warroom.web.deps import Responder, Viewer, get_app

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=ERRORS)


_KEY = re.compile(r"(INC-)?([0-9]{1,10})", re.ASCII)


def resolve_id(app: App, key: str) -> int:
    """Accept the numeric id or the human reference (INC-42); anything else, or too large, is a 404."""
    k = key.strip().upper()
    m = _KEY.fullmatch(k)
    if m is None or int(m.group(2)) > MAX_ID:
        raise NotFound(f"{key[:40]!r} is not an incident id or reference (INC-42)")
    if m.group(1):
        s = queries.by_ref(app, int(m.group(2)))
        if s is None:
            raise NotFound(f"{k} not found")
        return s.id
    return int(m.group(2))


@router.post("", status_code=201, response_model=IncidentOut, summary="Declare an incident")
def declare(body: DeclareIn, response: Response, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    s = service.declare(app, p, **body.model_dump())
    response.headers["Location"] = f"/api/v1/incidents/{s.id}"
    return IncidentOut.of(s)


@router.get("", response_model=IncidentPage, summary="List and filter incidents (work-queue order)")
def list_incidents(
    app: App = Depends(get_app),
    p: Principal = Viewer,
    status: list[Status] | None = Query(None),
    open: bool | None = Query(None, description="Only open (true) or only resolved/closed (false)"),
    priority: list[Priority] | None = Query(None),
    major: bool | None = None,
    service_id: QueryId = None,
    team_id: QueryId = None,
    q: str | None = Query(None, max_length=200, pattern=r"^[^\x00]*$",
                          description="Free text in title and description"),
    order: str = Query("queue", pattern="^(queue|recent)$"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> Any:
    f = IncidentFilter(q=q or "", statuses=tuple(s.value for s in status or ()),
                       priorities=tuple(x.value for x in priority or ()), major=major, open_only=open,
                       service_id=service_id, team_id=team_id, order=order)
    found = queries.search(app, f, limit=limit, offset=offset)
    return IncidentPage(items=[IncidentOut.of(s) for s in found.items], total=found.total, limit=limit, offset=offset)


@router.get("/{key}", response_model=IncidentOut)
def get_incident(key: str, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return IncidentOut.of(service.get(app, resolve_id(app, key)))


@router.patch("/{key}", response_model=IncidentOut, summary="Edit fields; impact/urgency recompute the priority")
def edit_incident(key: str, body: EditIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    changes = body.model_dump(exclude_unset=True, exclude={"version", "priority", "priority_reason"})
    changes = {k: v for k, v in changes.items() if v is not None}
    s = service.edit(app, p, resolve_id(app, key), changes, priority=body.priority,
                     priority_reason=body.priority_reason, version=body.version)
    return IncidentOut.of(s)


@router.post("/{key}/acknowledge", response_model=IncidentOut)
def acknowledge(key: str, body: VersionIn | None = None, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.acknowledge(app, p, resolve_id(app, key), body.version if body else None))


@router.post("/{key}/status", response_model=IncidentOut, summary="Move through the lifecycle (409 if illegal)")
def move(key: str, body: MoveIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.move(app, p, resolve_id(app, key), body.status, note=body.note,
                                       version=body.version, children=body.children))


@router.post("/{key}/promote", response_model=IncidentOut, summary="Promote to a major incident")
def promote(key: str, body: ReasonIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.promote(app, p, resolve_id(app, key), body.reason, body.version))


@router.post("/{key}/demote", response_model=IncidentOut, summary="Demote from major incident")
def demote(key: str, body: ReasonIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.demote(app, p, resolve_id(app, key), body.reason, body.version))


@router.post("/{key}/roles", response_model=IncidentOut, summary="Assign a role (coordinator, comms_lead, ...)")
def assign(key: str, body: AssignIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.assign(app, p, resolve_id(app, key), body.role, body.user_id, body.team_id,
                                         body.version))


@router.post("/{key}/roles/remove", response_model=IncidentOut, summary="Take a role away")
def unassign(key: str, body: UnassignIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.unassign(app, p, resolve_id(app, key), body.role, body.user_id, body.team_id,
                                           body.version))


@router.post("/{key}/notes", response_model=EventOut, status_code=201, summary="Add a note to the timeline")
def add_note(key: str, body: NoteIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    _, event = service.add_note(app, p, resolve_id(app, key), body.text)
    return EventOut.of(event)


@router.post("/{key}/pages", response_model=EventOut, status_code=201,
             summary="Page a person, a team or a schedule's on-call into the incident, with a message")
def page(key: str, body: PageIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    """Answers the `responders.paged` timeline event: who asked, whom, the message, who was reached. The pages
    stop like any other once the incident is acknowledged."""
    return EventOut.of(responders.page(app, p, resolve_id(app, key), user_id=body.user_id, team_id=body.team_id,
                                       schedule_id=body.schedule_id, message=body.message))


@router.get("/{key}/timeline", response_model=list[EventOut], summary="The append-only timeline (audit trail)")
def timeline(key: str, app: App = Depends(get_app), p: Principal = Viewer, after_seq: int = Query(0, ge=0, le=MAX_ID),
             limit: int = Query(1000, ge=1, le=5000)) -> Any:
    return [EventOut.of(e) for e in service.timeline(app, resolve_id(app, key), after_seq, limit)]


@router.post("/{key}/children", response_model=IncidentOut, summary="Put a child incident under this major one")
def link_child(key: str, body: LinkIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.link_child(app, p, resolve_id(app, key), body.child_id))


@router.get("/{key}/children", response_model=list[IncidentOut])
def children(key: str, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    iid = service.get(app, resolve_id(app, key)).id
    return [IncidentOut.of(s) for s in queries.children(app, iid)]


@router.post("/{key}/merge", response_model=IncidentOut, summary="Merge this incident, a duplicate, into a primary")
def merge(key: str, body: MergeIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return IncidentOut.of(service.merge(app, p, resolve_id(app, key), body.primary_id))


@router.get("/{key}/duplicates", response_model=list[IncidentOut])
def duplicates(key: str, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    iid = service.get(app, resolve_id(app, key)).id
    return [IncidentOut.of(s) for s in queries.duplicates(app, iid)]

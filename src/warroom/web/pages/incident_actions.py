"""War room actions: each form posts here with the CSRF token and the version it was rendered at.

Success redirects back to the war room page (303). A refusal re-renders the page with the current state
and a message naming the problem, with the domain's status: 409 for a stale version or an illegal move,
422 for a bad field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from warroom.errors import Conflict, Invalid, WarroomError
from warroom.escalation import responders
from warroom.incidents import queries as incidents
from warroom.incidents import service
from warroom.incidents.events import IncidentState
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Urgency
from warroom.incidents.roles import Role
from warroom.platform.app import App
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int, parse_int
from warroom.web.pages.common import FormCtx, ResponderForm, redirect
from warroom.web.pages.incident import incident_response, load_state

router = APIRouter(include_in_schema=False)


def choice(c: FormCtx, name: str, kind: Any) -> Any:
    raw = c.get(name)
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(str(x) for x in kind)
        raise Invalid(name, f"choose one of {allowed}" if raw else "is required") from None


@overload
def number(c: FormCtx, name: str, *, required: Literal[True] = True) -> int: ...
@overload
def number(c: FormCtx, name: str, *, required: bool) -> int | None: ...
def number(c: FormCtx, name: str, *, required: bool = True) -> int | None:
    raw = c.get(name)
    if not required:
        return optional_int(raw, name, problem="must be a number")
    return parse_int(raw, name, problem="must be a number")


def explain(exc: WarroomError) -> str:
    if isinstance(exc, Invalid):
        return f"{exc.field.replace('_', ' ').capitalize()}: {exc.problem}."
    if isinstance(exc, Conflict) and "version" in str(exc):
        return (f"Someone else changed this incident while you were looking at it ({exc}). The page now shows "
                "the current state: check it, then try again.")
    return str(exc)[:1].upper() + str(exc)[1:] + "."


def act(request: Request, app: App, c: FormCtx, ref: int, fn: Callable[[IncidentState], Any]) -> Response:
    """Run one use case for INC-ref; redirect on success, re-render with the reason on refusal."""
    state = load_state(app, ref)
    try:
        fn(state)
    except WarroomError as exc:
        kept = {k: c.get(k) for k in ("text", "reason", "note", "child_ref", "primary_ref", "message") if c.get(k)}
        return incident_response(request, app, ref, error=explain(exc), status=exc.status, form=kept)
    return redirect(f"/incidents/{ref}")


@router.post("/incidents/{ref}/acknowledge")
def acknowledge(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref,
               lambda s: service.acknowledge(app, c.principal, s.id, number(c, "version", required=False)))


@router.post("/incidents/{ref}/status")
def move(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.move(
        app, c.principal, s.id, choice(c, "status", Status), note=c.get("note")[:2000] or None,
        version=number(c, "version", required=False), children=c.get("children") or None))


@router.post("/incidents/{ref}/promote")
def promote(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.promote(app, c.principal, s.id, c.get("reason")[:2000],
                                                               number(c, "version", required=False)))


@router.post("/incidents/{ref}/demote")
def demote(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.demote(app, c.principal, s.id, c.get("reason")[:2000],
                                                              number(c, "version", required=False)))


@router.post("/incidents/{ref}/roles")
def assign(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    def fn(s: IncidentState) -> Any:
        role = choice(c, "role", Role)
        team_id = number(c, "team_id", required=False) if role is Role.EXPERT else None
        if role is Role.EXPERT and team_id is None:
            raise Invalid("team_id", "choose the team the expert represents")
        return service.assign(app, c.principal, s.id, role, number(c, "user_id"), team_id,
                              number(c, "version", required=False))

    return act(request, app, c, ref, fn)


PAGE_TARGETS = {"user": "user_id", "team": "team_id", "schedule": "schedule_id"}


@router.post("/incidents/{ref}/pages")
def page(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    """Page a person, a team or a schedule's on-call into the incident; `target` is e.g. "team:3"."""
    def fn(s: IncidentState) -> Any:
        kind, _, raw = c.get("target").partition(":")
        problem = "choose a person, a team or a schedule to page"
        if kind not in PAGE_TARGETS:
            raise Invalid("target", problem)
        target_id = parse_int(raw, "target", problem=problem)
        return responders.page(app, c.principal, s.id, message=c.get("message")[:2001],
                               **{PAGE_TARGETS[kind]: target_id})

    return act(request, app, c, ref, fn)


@router.post("/incidents/{ref}/roles/remove")
def unassign(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.unassign(
        app, c.principal, s.id, choice(c, "role", Role), number(c, "user_id", required=False),
        number(c, "team_id", required=False), number(c, "version", required=False)))


@router.post("/incidents/{ref}/impact")
def change_impact(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    """Change impact and urgency; the service recomputes the priority from the matrix."""
    return act(request, app, c, ref, lambda s: service.edit(
        app, c.principal, s.id, {"impact": choice(c, "impact", Impact), "urgency": choice(c, "urgency", Urgency)},
        version=number(c, "version", required=False)))


@router.post("/incidents/{ref}/notes")
def add_note(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.add_note(app, c.principal, s.id, c.get("text")))


def other_incident(app: App, c: FormCtx, name: str) -> int:
    """The id of the incident named in field `name` by its number (42 or INC-42)."""
    ref = parse_int(c.get(name).upper().removeprefix("INC-"), name, problem="give an incident number such as INC-42")
    other = incidents.by_ref(app, ref)
    if other is None:
        raise Invalid(name, f"there is no incident INC-{ref}")
    return other.id


@router.post("/incidents/{ref}/children")
def link_child(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    return act(request, app, c, ref, lambda s: service.link_child(app, c.principal, s.id,
                                                                  other_incident(app, c, "child_ref")))


@router.post("/incidents/{ref}/merge")
def merge(ref: PathId, request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    """Merge this incident, a duplicate, into the primary named in the form."""
    return act(request, app, c, ref, lambda s: service.merge(app, c.principal, s.id,
                                                             other_incident(app, c, "primary_ref")))

"""On-call, escalation and notification pages (issue 4's domains): who is on call now, schedules, escalation
policies, notification delivery attempts, and the war room's escalation and notification panels.
Listed in web/registry.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from warroom.auth.permissions import Principal
from warroom.errors import NotFound, WarroomError
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as esc
from warroom.incidents.events import IncidentState
from warroom.notifications import outbox
from warroom.notifications import queries as notify_queries
from warroom.notifications.redact import may_retry, sees_paging_details, shown
from warroom.oncall import queries as oncall_queries
from warroom.platform.app import App
from warroom.web.api.schemas import PathId
from warroom.web.deps import get_app
from warroom.web.numbers import optional_int
from warroom.web.pages.common import (
    AdminForm,
    FormCtx,
    PageError,
    ResponderForm,
    ViewerPage,
    incident_refs,
    load_names,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)
UPCOMING_DAYS = 7
NOTIFICATION_STATES = ("pending", "delivered", "dead", "cancelled")


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    """Who is on call now in each schedule, and the shifts of the coming week."""
    now = app.clock.now()
    current = oncall_queries.who_is_on_call(app)
    schedules = []
    for row in oncall_queries.list_schedules(app):
        shifts = oncall_queries.schedule_shifts(app, row["id"], now, now + timedelta(days=UPCOMING_DAYS))
        schedules.append({**row, "shifts": shifts[:40]})
    names = load_names(app)
    return render(request, "oncall.html", current=current, schedules=schedules, names=names, now=now,
                  days=UPCOMING_DAYS)


@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    return policies_response(request, app)


def policies_response(request: Request, app: App, *, error: str = "", status: int = 200) -> HTMLResponse:
    policies = [esc_queries.get_policy(app, p["id"]) for p in esc_queries.list_policies(app)]
    schedules = {r["id"]: r["name"] for r in oncall_queries.list_schedules(app)}
    names = load_names(app)
    return render(request, "policies.html", status=status, error=error, policies=policies, names=names,
                  schedules=schedules, targets=esc.get_targets(app),
                  policy_names={p["id"]: p["name"] for p in policies},
                  default_policy_id=esc_queries.get_default_policy(app)["policy_id"])


@router.post("/policies/default")
def set_default_policy(request: Request, app: App = Depends(get_app), c: FormCtx = AdminForm) -> Response:
    """The policy paged when none of an incident's services has one (empty: none)."""
    try:
        esc.set_default_policy(app, c.principal, optional_int(c.get("policy_id"), "policy_id",
                                                              problem="must be a policy id"))
    except WarroomError as exc:
        return policies_response(request, app, error=str(exc), status=exc.status)
    return redirect("/policies")


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    state = request.query_params.get("state", "")
    if state and state not in NOTIFICATION_STATES:
        raise PageError(422, f"state: {state!r} is not one of {', '.join(NOTIFICATION_STATES)}")
    rows = notify_queries.list_(app, state=state or None, limit=200, viewer=s.principal)
    names = load_names(app)
    refs = incident_refs(app, {r["incident_id"] for r in rows if r["incident_id"]})
    return render(request, "notifications.html", notifications=rows, names=names, refs=refs, state=state,
                  states=[(x, x) for x in NOTIFICATION_STATES])


@router.get("/notifications/{notification_id}", response_class=HTMLResponse)
def notification_page(notification_id: PathId, request: Request, app: App = Depends(get_app),
                      s: Any = ViewerPage) -> HTMLResponse:
    """One notification and every delivery attempt."""
    return notification_response(request, app, notification_id, s.principal)


@router.post("/notifications/{notification_id}/retry")
def retry_notification(notification_id: PathId, request: Request, app: App = Depends(get_app),
                       c: FormCtx = ResponderForm) -> Response:
    """Send a dead or cancelled notification again."""
    try:
        outbox.retry(app, notification_id, by=c.principal)
    except WarroomError as exc:
        return notification_response(request, app, notification_id, c.principal, error=str(exc), status=exc.status)
    return redirect(f"/notifications/{notification_id}")


def notification_response(request: Request, app: App, notification_id: int, viewer: Principal, *,
                          error: str = "", status: int = 200) -> HTMLResponse:
    try:
        n = notify_queries.get(app, notification_id, viewer=viewer)
    except NotFound:
        raise PageError(404, f"There is no notification {notification_id}.") from None
    names = load_names(app)
    refs = incident_refs(app, {n["incident_id"]} if n["incident_id"] else set())
    return render(request, "notification.html", status=status, error=error, n=n, names=names, refs=refs,
                  can_retry=may_retry(viewer, n["user_id"]))


def escalation_panel(app: App, state: IncidentState) -> dict[str, Any] | None:
    """War room panel: escalations under way and the response/resolution targets."""
    data = esc_queries.escalations_for(app, state.id)
    if not data["escalations"] and not data["targets"]:
        return None
    policies = {p["id"]: p["name"] for p in esc_queries.list_policies(app)}
    return {"title": "Escalation and targets", "template": "_panel_escalation.html", "policies": policies,
            "now": app.clock.now(), **data}


def notifications_panel(app: App, state: IncidentState) -> dict[str, Any] | None:
    """War room panel: pages and messages sent about this incident, with their delivery state."""
    # no viewer here: redacted
    rows = [shown(None, r) for r in notify_queries.list_(app, incident_id=state.id, limit=30)]
    if not rows:
        return None
    return {"title": "Notifications", "template": "_panel_notifications.html", "notifications": rows}


def person_panel(app: App, user_id: int, viewer: Any) -> dict[str, Any] | None:
    """Person page: their shifts in the coming two weeks and exactly where a page to them goes."""
    from warroom.notifications import contacts

    now = app.clock.now()
    shifts = oncall_queries.user_shifts(app, user_id, now, now + timedelta(days=14))
    return {"title": "On call and contact", "template": "_panel_person_oncall.html", "shifts": shifts[:30],
            "plan": contacts.where_pages_go(app, user_id), "details": sees_paging_details(viewer)}

"""REST: the notification outbox (states, delivery attempts, retry) and each person's contact methods and rules."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from warroom.auth.permissions import Principal
from warroom.notifications import contacts, outbox
from warroom.notifications import queries as notify_queries
from warroom.platform.app import App
from warroom.web.api.schemas import ERRORS, PathId, QueryId
from warroom.web.api.schemas.notifications import (
    ContactsOut,
    MethodAdded,
    MethodIn,
    NotificationDetail,
    NotificationOut,
    RuleIn,
    RuleOut,
)
from warroom.web.deps import Responder, Viewer, get_app

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=ERRORS)


@router.get("/notifications", response_model=list[NotificationOut],
            summary="Notifications, newest first; state=dead lists the dead letters")
def list_notifications(app: App = Depends(get_app), p: Principal = Viewer,
                       state: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
                       incident_id: QueryId = None, limit: int = Query(100, ge=1, le=1000)) -> Any:
    return notify_queries.list_(app, state=state, incident_id=incident_id, limit=limit, viewer=p)


@router.get("/notifications/{notification_id}", response_model=NotificationDetail,
            summary="One notification and every delivery attempt")
def get_notification(notification_id: PathId, app: App = Depends(get_app), p: Principal = Viewer) -> Any:
    return notify_queries.get(app, notification_id, viewer=p)


@router.post("/notifications/{notification_id}/retry", response_model=NotificationDetail,
             summary="Send a dead or cancelled notification again (its recipient or an admin)")
def retry_notification(notification_id: PathId, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return outbox.retry(app, notification_id, by=p)


@router.get("/users/{user_id}/contacts", response_model=ContactsOut,
            summary="A person's contact methods and rules (addresses whole for the person and admins)")
def get_contacts(user_id: PathId, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return contacts.contacts_of(app, user_id, viewer=p)


@router.post("/users/{user_id}/contact-methods", status_code=201, response_model=MethodAdded)
def add_method(user_id: PathId, body: MethodIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return contacts.add_method(app, p, user_id, **body.model_dump())


@router.delete("/users/{user_id}/contact-methods/{method_id}", status_code=204)
def remove_method(user_id: PathId, method_id: PathId, app: App = Depends(get_app),
                  p: Principal = Responder) -> Response:
    contacts.remove_method(app, p, user_id, method_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/contact-rules", status_code=201, response_model=RuleOut,
             summary="E.g. chat after 2 minutes for P1/P2")
def add_rule(user_id: PathId, body: RuleIn, app: App = Depends(get_app), p: Principal = Responder) -> Any:
    return contacts.add_rule(app, p, user_id, **body.model_dump())


@router.delete("/users/{user_id}/contact-rules/{rule_id}", status_code=204)
def remove_rule(user_id: PathId, rule_id: PathId, app: App = Depends(get_app), p: Principal = Responder) -> Response:
    contacts.remove_rule(app, p, user_id, rule_id)
    return Response(status_code=204)

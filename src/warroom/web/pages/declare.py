"""The declare-incident form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from warroom.catalog import queries as catalog
from warroom.errors import WarroomError
from warroom.incidents import service
from warroom.incidents.decide import IDENTIFIED_VIA
from warroom.incidents.priority import Impact, Priority, Urgency
from warroom.platform.app import App
from warroom.web.api.schemas.incidents import DeclareIn
from warroom.web.deps import get_app
from warroom.web.pages.common import FormCtx, ResponderForm, ResponderPage, redirect, render

router = APIRouter(include_in_schema=False)


def _form_page(request: Request, app: App, values: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> HTMLResponse:
    services = catalog.services(app)
    return render(request, "declare.html", status=status, v=values, errors=errors, services=services,
                  impacts=list(Impact), urgencies=list(Urgency), priorities=list(Priority),
                  identified_via=IDENTIFIED_VIA,
                  matrix={f"{i}|{u}": p.value for (i, u), p in service.get_matrix(app).items()})


@router.get("/incidents/new", response_class=HTMLResponse)
def declare_page(request: Request, app: App = Depends(get_app), s: Any = ResponderPage) -> HTMLResponse:
    return _form_page(request, app, {"impact": "moderate", "urgency": "medium", "identified_via": "engineer",
                                     "service_ids": []}, {})


@router.post("/incidents")
def declare_submit(request: Request, app: App = Depends(get_app), c: FormCtx = ResponderForm) -> Response:
    values: dict[str, Any] = {k: c.get(k) for k in ("title", "description", "category", "identified_via", "impact",
                                                       "urgency", "priority", "priority_reason")}
    raw_ids = [str(x) for x in c.form.getlist("service_ids")]
    values["service_ids"] = raw_ids
    data = {k: v for k, v in values.items() if v not in ("", None)}
    data.setdefault("service_ids", [])
    try:
        body = DeclareIn.model_validate(data)
    except ValidationError as exc:
        errors = {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        return _form_page(request, app, values, errors, status=422)
    try:
        state = service.declare(app, c.principal, **body.model_dump())
    except WarroomError as exc:
        field = getattr(exc, "field", "form")
        return _form_page(request, app, values, {field: getattr(exc, "problem", str(exc))}, status=exc.status)
    return redirect(f"/incidents/{state.ref}")

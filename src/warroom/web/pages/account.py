"""Your account: who you are, your API tokens (with their last use and expiry), and changing your password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from warroom.auth import queries as auth_queries
from warroom.auth import service as auth
from warroom.auth.permissions import UserRole
from warroom.errors import WarroomError
from warroom.platform.app import App
from warroom.web.deps import get_app
from warroom.web.pages.common import FormCtx, ViewerPage, form_needs, render
from warroom.web.sessions import checking_own_password, client_ip

router = APIRouter(include_in_schema=False)
ViewerForm = Depends(form_needs(UserRole.VIEWER))


def account_response(request: Request, app: App, user_id: int, *, status: int = 200, **ctx: Any) -> HTMLResponse:
    me = auth_queries.user(app, user_id)
    tokens = auth_queries.tokens(app, user_id)
    return render(request, "account.html", status=status, me=me, tokens=tokens, now=app.clock.now(),
                  errors=ctx.pop("errors", {}), **ctx)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, app: App = Depends(get_app), s: Any = ViewerPage) -> HTMLResponse:
    return account_response(request, app, s.principal.user_id)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, app: App = Depends(get_app), c: FormCtx = ViewerForm) -> HTMLResponse:
    """Needs the current password; ends the user's other sessions (this one stays signed in)."""
    uid = c.principal.user_id
    current, new, again = (str(c.form.get(k, ""))[:201] for k in ("current_password", "new_password",
                                                                  "confirm_password"))
    if new != again:
        return account_response(request, app, uid, status=422,
                                errors={"confirm_password": "does not match the new password"})
    try:
        ended = checking_own_password(app, c.principal, client_ip(request), lambda: auth.change_own_password(
            app, c.principal, current_password=current, new_password=new, keep_session=c.session.id,
            revoke_tokens=c.get("revoke_tokens") == "1"))
    except WarroomError as exc:
        field = getattr(exc, "field", "current_password")
        return account_response(request, app, uid, status=exc.status,
                                errors={field: getattr(exc, "problem", str(exc))})
    return account_response(request, app, uid, changed=True, ended=ended)

"""Login and logout pages."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warroom.auth.passwords import Busy
from warroom.auth.permissions import UserRole
from warroom.platform.app import App
from warroom.web import sessions
from warroom.web.deps import get_app, public
from warroom.web.pages.common import FormCtx, page_needs, redirect, render

router = APIRouter(include_in_schema=False)
_LOGIN_OPEN = [Depends(public("the login form is how a visitor proves who they are"))]


def safe_next(value: str | None) -> str:
    """Only same-site paths: '/x' yes, '//evil.example' and 'https://evil.example' no."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_form(request: Request, *, next_url: str, username: str = "", error: str = "",
                status: int = 200) -> HTMLResponse:
    token = request.cookies.get(sessions.LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = render(request, "login.html", status=status, next_url=next_url, username=username, error=error,
                  login_csrf=token)
    resp.set_cookie(sessions.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                    secure=request.app.state.warroom.settings.secure_cookies)
    return resp


@router.get("/login", dependencies=_LOGIN_OPEN)
def login_page(request: Request, next: str | None = None, app: App = Depends(get_app)) -> Response:
    if sessions.current_session(request, app) is not None:
        return redirect(safe_next(next))
    return _login_form(request, next_url=safe_next(next))


@router.post("/login", dependencies=_LOGIN_OPEN)
async def login_submit(request: Request, app: App = Depends(get_app)) -> Response:
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:200]
    next_url = safe_next(str(form.get("next", "")))
    if not sessions.tokens_match(request.cookies.get(sessions.LOGIN_CSRF_COOKIE), str(form.get("csrf", ""))):
        return _login_form(request, next_url=next_url, username=username, status=403,
                           error="The login form expired. Please try again.")
    if not username.strip() or not password:
        return _login_form(request, next_url=next_url, username=username, status=422,
                           error="Enter your username and password.")
    try:
        result = await sessions.login_async(app, username, password, sessions.client_ip(request))
    except (sessions.Throttled, Busy) as exc:
        refused = _login_form(request, next_url=next_url, username=username, status=429,
                              error=str(exc).capitalize() + ".")
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if result is None:
        return _login_form(request, next_url=next_url, username=username, status=401,
                           error="Wrong username or password.")
    token, _ = result
    resp = RedirectResponse(next_url, status_code=303)
    sessions.set_cookie(app, resp, token)
    resp.delete_cookie(sessions.LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
async def logout(request: Request, app: App = Depends(get_app),
                 s: sessions.Session = Depends(page_needs(UserRole.VIEWER))) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    ctx = FormCtx(s, form)
    if not sessions.tokens_match(s.csrf_token, ctx.get("csrf")):
        return render(request, "error.html", status=403, message="This form has expired. Reload and try again.")
    await run_in_threadpool(sessions.logout, app, request)
    resp = redirect("/login")
    sessions.clear_cookie(app, resp)
    return resp

"""What every page shares: the Jinja2 environment, page/form dependencies (session + role + CSRF), lookups,
formatting filters, and the exception handlers that turn "not logged in" into a redirect to /login."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from warroom.auth.permissions import Principal, UserRole
from warroom.catalog.queries import Names, names
from warroom.errors import Invalid
from warroom.incidents import queries as incidents
from warroom.platform.app import App
from warroom.platform.reads import Source
from warroom.web.deps import get_app
from warroom.web.markdown import render_markdown
from warroom.web.sessions import Session, current_session, tokens_match

log = logging.getLogger("warroom.web")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)



class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__("login required")
        self.next_url = next_url


class PageError(Exception):
    """Render the error page with this status (403 wrong role, 404 unknown incident, 403 stale form)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FormCtx:
    session: Session
    form: FormData

    @property
    def principal(self) -> Principal:
        return self.session.principal

    def get(self, name: str, default: str = "") -> str:
        """A text field, stripped; a NUL character (which no database text column takes) is refused."""
        value = self.form.get(name, default)
        if not isinstance(value, str):
            return default
        if "\x00" in value:
            raise Invalid(name, "must not contain NUL characters")
        return value.strip()


def page_needs(role: UserRole) -> Callable[..., Session]:
    """Dependency for pages: a live session whose user holds `role`; otherwise redirect to /login or 403."""

    def dep(request: Request, app: App = Depends(get_app)) -> Session:
        s = current_session(request, app)
        if s is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        if not s.principal.can(role):
            raise PageError(403, f"This needs the {role} role; you are signed in as a {s.principal.role}.")
        request.state.principal = s.principal
        return s

    dep.warroom_role = role  # type: ignore[attr-defined]
    return dep


def form_needs(role: UserRole) -> Callable[..., Any]:
    """Dependency for form posts: page_needs(role) plus the form's CSRF token; yields the parsed form."""
    base = page_needs(role)

    async def dep(request: Request, s: Session = Depends(base)) -> FormCtx:
        form = await request.form()
        if not tokens_match(s.csrf_token, form.get("csrf")):
            raise PageError(403, "This form has expired or did not come from this site. Reload the page and "
                                 "try again.")
        return FormCtx(s, form)

    dep.warroom_role = role  # type: ignore[attr-defined]
    return dep


ViewerPage = Depends(page_needs(UserRole.VIEWER))
ResponderPage = Depends(page_needs(UserRole.RESPONDER))
AdminPage = Depends(page_needs(UserRole.ADMIN))
ResponderForm = Depends(form_needs(UserRole.RESPONDER))
AdminForm = Depends(form_needs(UserRole.ADMIN))


def load_names(src: Source, user_ids: set[int] | None = None) -> Names:
    """Names of teams, services and people (only those in `user_ids` when given): catalog.queries.names."""
    return names(src, user_ids)


def run_panels(panels: Sequence[Callable[..., dict[str, Any] | None]], *args: Any) -> list[dict[str, Any]]:
    """The optional sections other domains add to a page; one that fails is logged and left out, so it can
    never take the page down."""
    out = []
    for panel in panels:
        try:
            got = panel(*args)
        except Exception:
            log.exception("page panel %s failed", getattr(panel, "__name__", panel))
            got = None
        if got:
            out.append(got)
    return out


def incident_refs(src: Source, incident_ids: set[int]) -> dict[int, int]:
    """id -> INC number, for linking rows of other domains to war rooms."""
    return incidents.refs(src, incident_ids)


def ago(seconds: float) -> str:
    """42s, 17m, 3h 05m, 2d 4h: compact elapsed time."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def ts(value: datetime | str | None, seconds: bool = False) -> str:
    """2026-01-05 09:00 UTC (with seconds for timeline entries); — for no time."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


env.filters.update(ts=ts, iso=iso, md=render_markdown, ago=ago)
env.globals.update(ROLE_RANK={r.value: i for i, r in enumerate((UserRole.VIEWER, UserRole.RESPONDER,
                                                                 UserRole.ADMIN))})


def admin_banners(request: Request, principal: Principal | None) -> list[dict[str, Any]]:
    """What an admin must know on every page (e-mail delivery not configured or failing); never breaks a page."""
    if principal is None or not principal.can(UserRole.ADMIN):
        return []
    from warroom.notifications import health

    try:
        app: App = request.app.state.warroom
        with app.db.read() as conn:
            return health.admin_banners(app, conn)
    except Exception:
        log.exception("admin banners failed")
        return []


def demo_present(request: Request) -> bool:
    """Whether the demo organisation is loaded (warroom.demo keeps the org setting "demo" while it is)."""
    from warroom.platform import kv

    try:
        app: App = request.app.state.warroom
        with app.db.read() as conn:
            return kv.get(conn, "demo") is not None
    except Exception:
        log.exception("demo flag unreadable")
        return False


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a template with the signed-in user, their CSRF token and the navigation."""
    session: Session | None = getattr(request.state, "web_session", None)
    principal = session.principal if session else None
    ctx.setdefault("banners", admin_banners(request, principal))
    ctx.setdefault("demo", demo_present(request))
    from warroom.web.registry import NAV  # the registry imports every page: read it when called

    nav = [(path, label) for path, label, role in NAV if principal and principal.can(role)]
    html = env.get_template(name).render(request=request, user=principal, csrf=session.csrf_token if session else "",
                                         nav=nav, path=request.url.path, can_act=bool(principal and principal.can(
                                             UserRole.RESPONDER)), is_admin=bool(principal and principal.can(
                                             UserRole.ADMIN)), **ctx)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def fragment(name: str, **ctx: Any) -> str:
    return env.get_template(name).render(**ctx)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def install_handlers(api: FastAPI) -> None:
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return redirect("/login?next=" + quote(exc.next_url, safe="/"))

    async def _error(request: Request, exc: PageError) -> HTMLResponse:
        return render(request, "error.html", status=exc.status, message=exc.message)

    # Starlette types a handler as taking any Exception, not the class it is registered for (its stub's gap).
    api.add_exception_handler(LoginRequired, _login)  # type: ignore[arg-type]
    api.add_exception_handler(PageError, _error)  # type: ignore[arg-type]

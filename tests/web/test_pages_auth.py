"""Login, sessions, CSRF, throttling, logout and role checks of the pages."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.pages_support import csrf_of, declare, login, login_as
from warroom.bootstrap import build_app
from warroom.platform.settings import Settings
from warroom.web import sessions
from warroom.web.app import create_app
from warroom.web.registry import PAGES as PAGE_ROUTERS


def page_routes() -> list[APIRoute]:
    return [r for router in PAGE_ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def test_pages_redirect_to_login_when_not_signed_in(api, users) -> None:
    open_paths = {"/login"}
    for route in page_routes():
        if route.path in open_paths:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods - {"HEAD"}:
            r = api.request(method, path, follow_redirects=False)
            assert r.status_code == 303, f"{method} {path} -> {r.status_code}"
            assert r.headers["location"].startswith("/login?next=")


def test_every_page_route_declares_a_role_or_is_public() -> None:
    def calls(dep):  # noqa: ANN001, ANN202
        return [d.call for d in dep.dependencies] + [c for d in dep.dependencies for c in calls(d)]

    for route in page_routes():
        guards = [c for c in calls(route.dependant) if hasattr(c, "warroom_role") or hasattr(c, "warroom_public")]
        assert guards, f"{route.path} has no role guard"


def test_login_sets_a_secure_session_cookie_and_redirects_to_next(api, users) -> None:
    r = login(api, "rui", next_url="/people")
    assert r.status_code == 303 and r.headers["location"] == "/people"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = api.get("/people")
    assert page.status_code == 200 and "Rui" in page.text


def test_cookie_is_secure_when_configured(db_url, clock, users) -> None:
    wr = build_app(Settings(database_url=db_url, secure_cookies=True), clock=clock)
    with TestClient(create_app(wr, background=False), base_url="https://testserver") as c:
        r = login(c, "rui")
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
        assert "Secure" in cookie
    wr.close()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(api, users, target) -> None:
    r = login(api, "rui", next_url=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(api, users) -> None:
    for name in ("rui", "nobody"):
        r = login(api, name, "wrong-password")
        assert r.status_code == 401 and "Wrong username or password" in r.text
        assert sessions.COOKIE not in api.cookies


def test_login_form_needs_its_csrf_token(api, users) -> None:
    api.get("/login")
    r = api.post("/login", data={"username": "rui", "password": "rui-password-1", "csrf": "forged"},
                 follow_redirects=False)
    assert r.status_code == 403 and sessions.COOKIE not in api.cookies


def test_login_is_throttled_per_username_and_address_across_processes(app, users, clock) -> None:
    other = build_app(app.settings, clock=clock)  # a second process: shares only the database
    with TestClient(create_app(app, background=False)) as a, TestClient(create_app(other, background=False)) as b:
        for i in range(sessions.MAX_FAILURES):
            assert login(a if i % 2 else b, "rui", "wrong-password").status_code == 401
        refused = login(a, "rui")  # even the right password waits now
        assert refused.status_code == 429 and "Too many failed logins" in refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert login(b, "ada").status_code == 303, "another username is not throttled"
        clock.advance(seconds=sessions.FAILURE_WINDOW.total_seconds() + 1)
        b.cookies.clear()
        assert login(b, "rui").status_code == 303
    other.close()


def test_logout_ends_the_session_everywhere(api, users) -> None:
    csrf = login_as(api, "responder")
    stolen = api.cookies[sessions.COOKIE]
    r = api.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    api.cookies.set(sessions.COOKIE, stolen)
    assert api.get("/", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(api, users) -> None:
    login_as(api, "responder")
    assert api.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert api.get("/", follow_redirects=False).status_code == 200


def test_session_expires_after_idle_time(api, users, clock) -> None:
    login_as(api, "viewer")
    clock.advance(seconds=sessions.IDLE.total_seconds() + 1)
    assert api.get("/", follow_redirects=False).status_code == 303


def test_form_posts_without_the_csrf_token_change_nothing(api, app, users) -> None:
    s = declare(app, users)
    login_as(api, "responder")
    r = api.post(f"/incidents/{s.ref}/promote", data={"reason": "big", "csrf": "forged"})
    assert r.status_code == 403 and "expired" in r.text
    from warroom.incidents import service

    assert service.get(app, s.id).major is False


def test_viewers_read_but_cannot_act(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "viewer")
    page = api.get(f"/incidents/{s.ref}")
    assert page.status_code == 200 and "Checkout failing" in page.text
    assert f'action="/incidents/{s.ref}/promote"' not in page.text and "Add note" not in page.text
    r = api.post(f"/incidents/{s.ref}/promote", data={"reason": "x", "csrf": csrf})
    assert r.status_code == 403 and "responder" in r.text
    assert api.get("/incidents/new").status_code == 403


def test_the_cookie_authenticates_api_reads_and_writes_need_the_csrf_header(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    assert api.get(f"/api/v1/incidents/{s.id}").json()["title"] == "Checkout failing"
    r = api.post(f"/api/v1/incidents/{s.id}/notes", json={"text": "from the browser"})
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["message"]
    r = api.post(f"/api/v1/incidents/{s.id}/notes", json={"text": "from the browser"},
                 headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_login_page_escapes_what_was_typed(api, users) -> None:
    r = login(api, '<script>alert(1)</script>', "wrong-password")
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    assert csrf_of(r.text)

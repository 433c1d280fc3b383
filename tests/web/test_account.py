"""Password changes, password resets, token expiry (issue 11.9) through the API and the account page."""

from __future__ import annotations

from datetime import timedelta

from tests.web.pages_support import csrf_of, login_as
from warroom.web import sessions


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_reset_logs_the_user_out_everywhere(api, users):
    login_as(api, "responder")
    assert api.get("/", follow_redirects=False).status_code == 200
    r = api.patch(f"/api/v1/users/{users.ids['responder']}", json={"password": "brand-new-pass"},
                  headers=users.headers("admin"))
    assert r.status_code == 200, r.text
    assert api.get("/", follow_redirects=False).status_code == 303  # the session is gone
    r = api.get("/api/v1/users/me", headers=users.headers("responder"))
    assert r.status_code == 401  # and so is the token
    assert api.get("/api/v1/users/me", headers=users.headers("viewer")).status_code == 200


def test_me_password_checks_the_current_one_and_ends_other_sessions(api, users, app):
    h = users.headers("responder")
    other, _ = sessions.login(app, "rui", "rui-password-1", "10.0.0.9")
    r = api.post("/api/v1/me/password", json={"current_password": "nope-nope", "new_password": "brand-new-pass"},
                 headers=h)
    assert r.status_code == 422 and "current_password" in r.text
    r = api.post("/api/v1/me/password", json={"current_password": "rui-password-1", "new_password": "short"},
                 headers=h)
    assert r.status_code == 422 and "new_password" in r.text
    r = api.post("/api/v1/me/password", json={"current_password": "rui-password-1"}, headers=h)
    assert r.status_code == 422 and "new_password" in r.text
    r = api.post("/api/v1/me/password", json={"current_password": "rui-password-1",
                                              "new_password": "brand-new-pass"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": True, "sessions_ended": 1, "tokens_revoked": False}
    assert sessions._lookup(app, other) is None
    assert api.get("/api/v1/users/me", headers=h).status_code == 200  # the token stays
    # from the browser (cookie + CSRF header): this session stays, the token goes when asked
    api.cookies.clear()
    page = api.get("/login")
    api.post("/login", data={"username": "rui", "password": "brand-new-pass", "csrf": csrf_of(page.text)})
    csrf = csrf_of(api.get("/").text)
    r = api.post("/api/v1/me/password", json={"current_password": "brand-new-pass", "new_password": "third-pass-3",
                                              "revoke_tokens": True}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["sessions_ended"] == 0
    assert api.get("/", follow_redirects=False).status_code == 200
    assert api.get("/api/v1/users/me", headers=h).status_code == 401


def test_tokens_with_an_expiry(api, users, clock):
    h = users.headers("viewer")
    r = api.post("/api/v1/tokens", json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 422 and "expires_at" in r.text
    r = api.post("/api/v1/tokens", json={"name": "ci", "expires_at": "9999-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 422 and "expires_at" in r.text
    later = clock.now() + timedelta(days=90)
    r = api.post("/api/v1/tokens", json={"name": "ci", "expires_at": later.isoformat()}, headers=h)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert api.get("/api/v1/users/me", headers=_bearer(token)).status_code == 200
    listed = {t["name"]: t for t in api.get("/api/v1/tokens", headers=h).json()}
    assert listed["ci"]["expires_at"] == "2026-04-05T09:00:00Z"
    assert listed["ci"]["last_used_at"] == "2026-01-05T09:00:00Z" and listed["test"]["expires_at"] is None
    clock.advance(days=90)
    r = api.get("/api/v1/users/me", headers=_bearer(token))
    assert r.status_code == 401
    assert api.get("/api/v1/users/me", headers=h).status_code == 200


def test_the_account_page_changes_the_password_and_lists_tokens(api, users, app):
    other, _ = sessions.login(app, "vic", "vic-password-1", "10.0.0.9")
    csrf = login_as(api, "viewer")
    page = api.get("/account")
    assert page.status_code == 200 and 'id="tokens"' in page.text and "wr_" in page.text
    assert 'href="/account"' in page.text
    form = {"csrf": csrf, "current_password": "vic-password-1", "new_password": "brand-new-pass",
            "confirm_password": "brand-new-pasX"}
    r = api.post("/account/password", data=form)
    assert r.status_code == 422 and "err-confirm_password" in r.text
    r = api.post("/account/password", data={**form, "current_password": "wrong-one", "confirm_password":
                                            "brand-new-pass"})
    assert r.status_code == 422 and "err-current_password" in r.text
    r = api.post("/account/password", data={**form, "confirm_password": "brand-new-pass", "csrf": "forged"})
    assert r.status_code == 403
    r = api.post("/account/password", data={**form, "confirm_password": "brand-new-pass"})
    assert r.status_code == 200 and 'id="password-changed"' in r.text and "1 other session ended" in r.text
    assert api.get("/account").status_code == 200  # still signed in here
    assert sessions._lookup(app, other) is None

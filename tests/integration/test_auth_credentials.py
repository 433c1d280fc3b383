"""Sessions and tokens after a password change, token expiry and last use (issue 11.9), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.auth import service as auth
from warroom.auth import store
from warroom.auth.permissions import Principal, UserRole
from warroom.errors import Invalid
from warroom.web import sessions


def _person(app, name="nora", role=UserRole.RESPONDER):
    row = auth.create_user(app, username=name, role=role, password=f"{name}-password-1")
    return Principal(row["id"], name, role)


def _signed_in(app, name):
    token, session = sessions.login(app, name, f"{name}-password-1", "127.0.0.1")
    return token, session


def test_an_admins_password_reset_ends_the_users_sessions_and_tokens(app):
    nora, other = _person(app), _person(app, "otto")
    cookie, _ = _signed_in(app, "nora")
    others_cookie, _ = _signed_in(app, "otto")
    token, _ = auth.create_token(app, nora.user_id, "laptop")
    others_token, _ = auth.create_token(app, other.user_id, "laptop")
    assert sessions._lookup(app, cookie) is not None and auth.principal_for_token(app, token) is not None
    auth.update_user(app, nora.user_id, password="a-new-password")
    assert sessions._lookup(app, cookie) is None
    assert auth.principal_for_token(app, token) is None
    with app.db.read() as conn:
        assert all(t["revoked_at"] is not None for t in store.list_tokens(conn, nora.user_id))
    # nobody else is touched, and other changes end nothing
    assert sessions._lookup(app, others_cookie) is not None and auth.principal_for_token(app, others_token)
    auth.update_user(app, other.user_id, display_name="Otto")
    assert sessions._lookup(app, others_cookie) is not None
    assert auth.authenticate_password(app, "nora", "a-new-password") is not None


def test_changing_your_own_password(app):
    nora = _person(app)
    here, here_session = _signed_in(app, "nora")
    elsewhere, _ = _signed_in(app, "nora")
    token, _ = auth.create_token(app, nora.user_id)
    for current, new, field in (("wrong-password", "a-new-password", "current_password"),
                                ("nora-password-1", "short", "new_password"),
                                ("nora-password-1", "x" * 201, "new_password"),
                                ("nora-password-1", "nora-password-1", "new_password")):
        with pytest.raises(Invalid) as err:
            auth.change_own_password(app, nora, current_password=current, new_password=new)
        assert err.value.field == field
    assert auth.authenticate_password(app, "nora", "nora-password-1") is not None  # a refusal changed nothing
    ended = auth.change_own_password(app, nora, current_password="nora-password-1", new_password="a-new-password",
                                     keep_session=here_session.id)
    assert ended == 1
    assert sessions._lookup(app, here) is not None and sessions._lookup(app, elsewhere) is None
    assert auth.principal_for_token(app, token) is not None  # tokens stay unless asked
    assert auth.authenticate_password(app, "nora", "nora-password-1") is None
    auth.change_own_password(app, nora, current_password="a-new-password", new_password="a-third-password",
                             revoke_tokens=True)
    assert auth.principal_for_token(app, token) is None and sessions._lookup(app, here) is None


def test_tokens_expire_and_record_their_last_use_once_a_minute(app, clock):
    nora = _person(app)
    now = clock.now()
    for when, problem in ((now - timedelta(seconds=1), "future"), (now + timedelta(days=5 * 366 + 1), "within")):
        with pytest.raises(Invalid) as err:
            auth.create_token(app, nora.user_id, "x", expires_at=when)
        assert err.value.field == "expires_at" and problem in err.value.problem
    token, row = auth.create_token(app, nora.user_id, "ci", expires_at=now + timedelta(days=90))
    forever, _ = auth.create_token(app, nora.user_id, "forever")
    assert row["expires_at"] == now + timedelta(days=90) and row["last_used_at"] is None

    def last_used():
        with app.db.read() as conn:
            return {t["name"]: t["last_used_at"] for t in store.list_tokens(conn, nora.user_id)}["ci"]

    assert auth.principal_for_token(app, token).username == "nora"
    assert last_used() == now
    clock.advance(seconds=30)
    auth.principal_for_token(app, token)
    assert last_used() == now  # not written again within the minute
    clock.advance(seconds=31)
    auth.principal_for_token(app, token)
    assert last_used() == now + timedelta(seconds=61)
    clock.set(now + timedelta(days=90))
    assert auth.principal_for_token(app, token) is None  # expired at its expires_at
    assert auth.principal_for_token(app, forever) is not None

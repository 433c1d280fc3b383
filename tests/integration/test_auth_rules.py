"""Who may do what with API tokens and calendar feeds, decided in the services (SQLite and PostgreSQL); the API
tests (tests/web) check the same answers through the routes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from warroom.auth import queries as auth_queries
from warroom.auth import service as auth
from warroom.auth import store as auth_store
from warroom.auth.permissions import UserRole
from warroom.errors import Conflict, Forbidden, NotFound
from warroom.oncall import feeds


def test_anyone_makes_their_own_token_only_an_admin_one_for_someone_else(app, users) -> None:
    vic, rui, ada = (users.principal(r) for r in ("viewer", "responder", "admin"))
    token, row = auth.issue_token(app, vic, None, "laptop")
    assert row["user_id"] == vic.user_id and auth.principal_for_token(app, token).user_id == vic.user_id
    assert auth.issue_token(app, vic, vic.user_id, "again")[1]["user_id"] == vic.user_id
    with pytest.raises(Forbidden, match="only an admin"):
        auth.issue_token(app, rui, vic.user_id, "for vic")
    assert auth.issue_token(app, ada, vic.user_id, "for vic")[1]["user_id"] == vic.user_id
    with pytest.raises(NotFound):
        auth.issue_token(app, ada, 999_999, "nobody")


def test_a_user_sees_their_own_tokens_an_admin_every_token(app, users) -> None:
    vic, rui, ada = (users.principal(r) for r in ("viewer", "responder", "admin"))
    assert {t["user_id"] for t in auth.tokens_visible_to(app, vic)} == {vic.user_id}
    assert {t["user_id"] for t in auth.tokens_visible_to(app, rui)} == {rui.user_id}
    assert {t["user_id"] for t in auth.tokens_visible_to(app, ada)} == {vic.user_id, rui.user_id, ada.user_id}
    assert all("token_hash" not in t for t in auth_queries.tokens(app))


def test_revoking_another_persons_token_is_not_found_unless_admin(app, users) -> None:
    vic, rui, ada = (users.principal(r) for r in ("viewer", "responder", "admin"))
    [vic_token] = [t["id"] for t in auth_queries.tokens(app, vic.user_id)]
    with pytest.raises(NotFound):
        auth.revoke_token(app, rui, vic_token)  # not Forbidden: the answer does not confirm the id exists
    with pytest.raises(NotFound):
        auth.revoke_token(app, rui, 999_999)
    assert auth.principal_for_token(app, users.tokens["viewer"]) is not None
    auth.revoke_token(app, ada, vic_token)
    assert auth.principal_for_token(app, users.tokens["viewer"]) is None
    with pytest.raises(NotFound):
        auth.revoke_token(app, ada, vic_token)  # already revoked
    [rui_token] = [t["id"] for t in auth_queries.tokens(app, rui.user_id)]
    auth.revoke_token(app, rui, rui_token)  # one's own
    assert auth.principal_for_token(app, users.tokens["responder"]) is None


def test_a_feed_url_is_for_its_owner_and_admins_and_its_key_opens_that_feed_only(app, users) -> None:
    vic, rui, ada = (users.principal(r) for r in ("viewer", "responder", "admin"))
    app.settings = replace(app.settings, secret_key="")
    with pytest.raises(Conflict, match="WARROOM_SECRET_KEY"):
        feeds.feed_url(app, vic, vic.user_id)
    app.settings = replace(app.settings, secret_key="s" * 32)
    url = feeds.feed_url(app, vic, vic.user_id)
    assert url == feeds.feed_url(app, ada, vic.user_id)
    assert url.endswith(f"/api/v1/feeds/users/{vic.user_id}.ics?key={feeds.feed_key(app, vic.user_id)}")
    with pytest.raises(Forbidden, match="only an admin"):
        feeds.feed_url(app, rui, vic.user_id)
    key = url.rsplit("=", 1)[1]
    feeds.check_feed_key(app, vic.user_id, key)
    for wrong_user, wrong_key in ((rui.user_id, key), (vic.user_id, key[:-1]), (vic.user_id, "é" * 40)):
        with pytest.raises(NotFound):
            feeds.check_feed_key(app, wrong_user, wrong_key)


def test_deactivating_or_making_a_viewer_asks_the_registered_demotion_checks(app, users) -> None:
    """auth knows nothing of incidents: the refusal comes from app.demotion_checks (bootstrap.DEMOTION_CHECKS,
    the incidents' role-holder check; tests/integration/test_dangerous_operations.py has it end to end)."""
    from warroom.bootstrap import DEMOTION_CHECKS
    from warroom.incidents.queries import held_roles_refusal

    assert app.demotion_checks == DEMOTION_CHECKS == (held_roles_refusal,)
    rui = users.ids["responder"]
    asked: list[int] = []

    def refuse(conn, user_id: int) -> str | None:
        asked.append(user_id)
        return "is needed elsewhere" if user_id == rui else None

    app.demotion_checks = (lambda conn, user_id: None, refuse)
    for change in ({"role": UserRole.VIEWER}, {"active": False}):
        with pytest.raises(Conflict, match="^rui is needed elsewhere$"):
            auth.update_user(app, rui, **change)
    with app.db.read() as conn:
        row = auth_store.get_user(conn, rui)
        assert (row["role"], row["active"]) == ("responder", True)
    assert asked == [rui, rui]
    auth.update_user(app, rui, display_name="Rui", role=UserRole.ADMIN)  # not a demotion: nobody is asked
    assert asked == [rui, rui]
    auth.update_user(app, users.ids["viewer"], active=False)  # asked, no reason: allowed
    assert asked[-1] == users.ids["viewer"]

"""Teams with members, services with owners, tiers and dependencies, users (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.integration.incidents_support import declare, small_catalog
from warroom.auth import service as auth
from warroom.auth.permissions import UserRole
from warroom.catalog import service as catalog
from warroom.catalog import store
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents import store as inc_store


def test_teams_and_members(app) -> None:
    t = catalog.create_team(app, "  Networks ", "routers")
    assert t["name"] == "Networks"
    with pytest.raises(Conflict):
        catalog.create_team(app, "Networks")
    with pytest.raises(Invalid):
        catalog.create_team(app, "  ")
    ana = auth.create_user(app, username="ana")["id"]
    catalog.add_member(app, t["id"], ana)
    catalog.add_member(app, t["id"], ana, "lead")  # role change, not a second membership
    with app.db.read() as conn:
        members = store.team_members_of(conn, t["id"])
        assert [(m["username"], m["role"]) for m in members] == [("ana", "lead")]
        assert store.teams_of_user(conn, ana) == [t["id"]]
    with pytest.raises(Invalid) as info:
        catalog.add_member(app, t["id"], 9999)
    assert info.value.field == "user_id"
    with pytest.raises(NotFound):
        catalog.add_member(app, 9999, ana)
    with pytest.raises(Invalid):
        catalog.add_member(app, t["id"], ana, "boss")
    catalog.remove_member(app, t["id"], ana)
    with pytest.raises(NotFound):
        catalog.remove_member(app, t["id"], ana)


def test_services_with_dependencies_and_no_cycles(app) -> None:
    ids = small_catalog(app)
    view = catalog.service_view(app, ids["payments"])
    assert view["depends_on"] == [ids["db"]] and view["dependents"] == [ids["checkout"]]
    assert view["tier"] == 1 and view["team_id"] == ids["apps"]
    with pytest.raises(Invalid, match="cycle") as info:
        catalog.update_service(app, ids["db"], depends_on=[ids["checkout"]])
    assert info.value.field == "depends_on"
    with pytest.raises(Invalid):
        catalog.update_service(app, ids["db"], depends_on=[ids["db"]])
    with pytest.raises(Invalid) as info:
        catalog.create_service(app, name="x", depends_on=[9999])
    assert info.value.field == "depends_on"
    with pytest.raises(Invalid) as info:
        catalog.create_service(app, name="x", team_id=9999)
    assert info.value.field == "team_id"
    with pytest.raises(Invalid) as info:
        catalog.create_service(app, name="x", tier=5)
    assert info.value.field == "tier"
    with pytest.raises(Conflict):
        catalog.create_service(app, name="db")
    with pytest.raises(Conflict):
        catalog.update_service(app, ids["db"], name="payments")
    with pytest.raises(NotFound):
        catalog.update_service(app, 9999, tier=2)
    catalog.update_service(app, ids["checkout"], tier=1, depends_on=[ids["db"]], description="web")
    view = catalog.service_view(app, ids["checkout"])
    assert (view["tier"], view["depends_on"], view["description"]) == (1, [ids["db"]], "web")
    with app.db.read() as conn:
        assert {s["name"] for s in store.list_services(conn, ids["apps"])} == {"payments", "checkout"}
        assert "x" not in {s["name"] for s in store.list_services(conn)}  # refused creations wrote nothing


def test_open_incidents_of_a_service(app) -> None:
    ids = small_catalog(app)
    s = declare(app, service_ids=[ids["db"]])
    with app.db.read() as conn:
        assert [i.id for i in inc_store.open_for_service(conn, ids["db"])] == [s.id]
        assert inc_store.open_for_service(conn, ids["checkout"]) == []


def test_users_and_tokens(app) -> None:
    u = auth.create_user(app, username="  Ana.B ", display_name="Ana B", role=UserRole.VIEWER, password="long-enough")
    assert u["username"] == "ana.b" and u["role"] == "viewer"
    with pytest.raises(Conflict):
        auth.create_user(app, username="ana.b")
    for bad, field in (({"username": "no spaces"}, "username"), ({"username": "x", "password": "short"}, "password"),
                       ({"username": "y", "time_zone": "Mars/Olympus"}, "time_zone")):
        with pytest.raises(Invalid) as info:
            auth.create_user(app, **bad)
        assert info.value.field == field
    assert auth.authenticate_password(app, "ANA.B", "long-enough").username == "ana.b"
    assert auth.authenticate_password(app, "ana.b", "wrong-password") is None
    assert auth.authenticate_password(app, "nobody", "long-enough") is None
    token, row = auth.create_token(app, u["id"], "laptop")
    assert token.startswith("wr_") and row["prefix"] == token[:10]
    assert auth.principal_for_token(app, token).role is UserRole.VIEWER
    auth.update_user(app, u["id"], active=False)
    assert auth.principal_for_token(app, token) is None  # inactive users' tokens stop working
    with pytest.raises(NotFound):
        auth.create_token(app, 9999)


def test_the_last_admin_cannot_be_demoted(app) -> None:
    created = auth.ensure_first_admin(app)
    assert created is not None and created[0] == "admin"
    assert auth.ensure_first_admin(app) is None
    admin = auth.authenticate_password(app, "admin", created[1])
    assert admin is not None and admin.role is UserRole.ADMIN
    with pytest.raises(Conflict):
        auth.update_user(app, admin.user_id, role=UserRole.VIEWER)
    assert auth.principal_for_token(app, created[2]).role is UserRole.ADMIN  # refused change wrote nothing

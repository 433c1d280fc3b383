"""The demo organisation: what it loads, that it loads once, and `warroom setup --demo-if-empty`."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import assert_replay_matches
from tests.integration.cli_support import base_env, invoke, run
from warroom.alerts import queries as alert_queries
from warroom.auth import service as auth
from warroom.auth import store as auth_store
from warroom.catalog import store as cat_store
from warroom.demo import PEOPLE, SERVICES, TEAMS, load_demo, load_demo_if_empty
from warroom.errors import Conflict
from warroom.escalation import queries as esc_queries
from warroom.incidents import store as inc_store
from warroom.notifications import queries as notify_queries
from warroom.oncall import queries as oncall_queries


def test_demo_loads_a_small_organisation(app) -> None:
    loaded = load_demo_if_empty(app)
    assert loaded is not None and set(loaded.passwords) == {p[0] for p in PEOPLE}
    with app.db.read() as conn:
        assert sorted(t["name"] for t in cat_store.list_teams(conn)) == sorted(TEAMS)
        assert {u["username"] for u in auth_store.list_users(conn)} == {p[0] for p in PEOPLE}
        services = {s["name"]: s for s in cat_store.list_services(conn)}
        assert set(services) == {s[0] for s in SERVICES}
        checkout = services["checkout"]["id"]
        assert len(cat_store.dependencies_of(conn, checkout)) == 2 and cat_store.all_dependencies(conn)
        assert all(s["team_id"] for s in services.values())
        assert any(cat_store.team_members_of(conn, t["id"]) for t in cat_store.list_teams(conn))
        items, total = inc_store.search(conn)
    assert total == 8
    statuses = {s.status for s in items}
    assert {"identified", "investigating", "contained", "resolved", "closed"} <= statuses
    major = items[0]
    assert major.major and major.coordinator_id and major.comms_lead_id and len(major.experts) == 2
    assert any(s.parent_id == major.id for s in items) and any(s.duplicate_of_id == major.id for s in items)
    assert auth.authenticate_password(app, "claire", "demo-password") is None, "no shared, published password"
    assert auth.authenticate_password(app, "claire", loaded.passwords["claire"]) is not None
    assert len(set(loaded.passwords.values())) == len(PEOPLE) and all(len(p) >= 16 for p in loaded.passwords.values())
    for s in items:
        assert_replay_matches(app, s.id)

    rows, _ = alert_queries.list_alerts(app)
    assert {r["status"] for r in rows} == {"firing", "resolved"} and len(rows) == 4
    by_key = {r["dedup_key"]: r for r in rows}
    lag = [r for k, r in by_key.items() if k.startswith("PostgresReplicationLag")]
    assert len(lag) == 2 and lag[0]["incident_id"] == lag[1]["incident_id"] is not None, "one incident, both alerts"
    assert by_key["PostgresDiskUsage-pg-main-1:9100"]["incident_id"] is None, "the info alert is suppressed"
    resolved = by_key["grafana-identity-5xx"]
    opened = {s.id: s for s in items if s.description.startswith("Opened from alert")}
    assert set(opened) == {lag[0]["incident_id"], resolved["incident_id"]}
    assert opened[resolved["incident_id"]].status == "resolved", "its only alert resolved: so did the incident"
    _no_page_waits_for_an_incident_that_is_not_open(app, items)
    assert load_demo_if_empty(app) is None  # no longer empty
    with pytest.raises(Conflict, match="already loaded"):
        load_demo(app)


def _no_page_waits_for_an_incident_that_is_not_open(app, items) -> None:
    """Pages of the demo's resolved, closed, merged or acknowledged incidents are cancelled, never sent."""
    from tests.notify_support import Recorder, run_ticks
    from warroom.notifications import outbox

    rec = Recorder(app)
    answered = {s.id for s in items if s.status not in ("identified", "investigating", "contained")
                or s.acknowledged_at is not None}
    rows = [r for r in notify_queries.list_(app, limit=1000) if r["payload"]["event"] in outbox.PAGE_KINDS]
    assert rows and {r["state"] for r in rows if r["incident_id"] in answered} == {"cancelled"}
    run_ticks(app)
    pages = [s for s in rec.sent if s["event"] in outbox.PAGE_KINDS]
    assert pages and not [s for s in pages if s["incident"]["id"] in answered]
    # role notices are not pages: the demo's coordinator assigned herself (no notice), the others hear of it
    told = {(s["address"], s["role"]) for s in rec.sent if s["event"] == "assigned"}
    assert told == {("ines@example.com", "comms_lead"), ("sam@example.com", "expert"),
                    ("li@example.com", "expert")}


def test_demo_loads_once_and_never_half(app) -> None:
    auth.create_user(app, username="maria")  # a name the demo wants
    with pytest.raises(Conflict, match="maria"):
        load_demo(app)
    with app.db.read() as conn:
        assert cat_store.list_teams(conn) == [] and inc_store.search(conn)[1] == 0
    assert load_demo_if_empty(app) is None  # a clash means "not empty": setup goes on without the demo


def test_setup_demo_if_empty_and_the_opt_out(tmp_path, sqlite_template) -> None:
    env = base_env(tmp_path / "a.db")
    assert run(env, "db", "upgrade").returncode == 0
    first = run(env, "setup", "--demo-if-empty")
    assert first.returncode == 0 and "First admin created" in first.stdout
    assert "Demo organisation loaded" in first.stdout and "demo-password" not in first.stdout
    logins = first.stdout.split("Demo logins (shown once):\n")[1].strip().splitlines()
    assert [line.split()[0] for line in logins] == [p[0] for p in PEOPLE]
    again = invoke(env, "setup", "--demo-if-empty")
    assert again.returncode == 0 and again.stdout == ""  # admin exists, demo already there: nothing to say
    demo = invoke(env, "demo")
    assert demo.returncode == 1 and demo.stderr.strip() == "error: the demo organisation is already loaded"

    shutil.copy(sqlite_template, tmp_path / "b.db")  # already migrated: saves a `db upgrade`
    env = base_env(tmp_path / "b.db", WARROOM_NO_DEMO="1")
    skipped = invoke(env, "setup", "--demo-if-empty")
    assert skipped.returncode == 0 and "First admin created" in skipped.stdout and "Demo" not in skipped.stdout
    users = invoke(env, "user", "list")
    assert users.stdout.split("\n")[1].split()[1] == "admin" and len(users.stdout.strip().splitlines()) == 2
    loaded = run(env, "demo")  # the explicit command still works
    assert loaded.returncode == 0 and loaded.stdout.startswith("demo loaded: 7 teams")
    assert "Demo logins (shown once):\n  maria " in loaded.stdout
    removed = run(env, "demo", "--remove")
    assert removed.returncode == 0 and removed.stdout.startswith("demo removed: 8 incidents"), removed.stdout
    users = invoke(env, "user", "list")
    assert len(users.stdout.strip().splitlines()) == 2, "only the first admin is left"
    again = invoke(env, "demo", "--remove")
    assert again.returncode == 1 and "no demo organisation" in again.stderr


def test_demo_pages_the_tier1_policy_and_someone_is_on_call(app) -> None:
    from warroom.incidents import service as incidents

    load_demo(app)
    on_call = oncall_queries.who_is_on_call(app)
    assert len(on_call) == 2 and all(row["user_id"] for row in on_call)
    [policy] = esc_queries.list_policies(app)
    with app.db.read() as conn:
        tier1 = [s for s in cat_store.list_services(conn) if s["tier"] == 1]
        [newest] = [s for s in inc_store.search(conn)[0] if s.title.startswith("Intermittent packet loss")]
    assert tier1 and all(s["escalation_policy_id"] == policy["id"] for s in tier1)  # packet loss: core-network
    assert "escalation.paged" in [e.kind for e in incidents.timeline(app, newest.id)]
    assert_replay_matches(app, newest.id)


def _counts(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from warroom.bootstrap import load_all_tables

    meta = load_all_tables()
    with app.db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in meta.sorted_tables}


def test_demo_remove_leaves_an_empty_organisation_with_the_first_admin(app) -> None:
    """`warroom demo --remove`: people, teams, services, schedules, policies, integrations, incidents with their
    timelines, alerts, escalations and notifications all go; the first admin (and the audit log) stay."""
    from warroom.demo import is_loaded, remove_demo
    from warroom.platform.clock import FakeClock

    created = auth.ensure_first_admin(app)
    assert created
    before = {k: v for k, v in _counts(app).items() if v}
    loaded = load_demo(app)
    assert is_loaded(app)
    claire = auth.authenticate_password(app, "claire", loaded.passwords["claire"])
    assert claire is not None
    from warroom.incidents import service as incidents
    from warroom.incidents.priority import Impact, Urgency

    with app.db.read() as conn:
        checkout = cat_store.get_service_by_name(conn, "checkout")["id"]
    incidents.declare(app, claire, title="played with the demo", service_ids=[checkout], impact=Impact.MINOR,
                      urgency=Urgency.LOW)  # made after loading, on a demo service: demo play, removed too
    if isinstance(app.clock, FakeClock):
        app.clock.advance(minutes=30)
    from warroom.worker.loop import tick

    tick(app)  # escalations and notifications exist
    loaded_counts = _counts(app)
    assert loaded_counts["incident_events"] > 20 and loaded_counts["alerts"] == 4
    summary = remove_demo(app)
    assert summary.startswith("demo removed: 9 incidents, 2 integrations, 7 services, 1 policies, 2 schedules, "
                              "7 teams"), summary
    after = {k: v for k, v in _counts(app).items() if v}
    assert after.pop("audit_log", 0) >= 1, "the removal itself is on the audit log"
    before.pop("audit_log", None)
    after.pop("org_settings", None), before.pop("org_settings", None)
    assert after == before, "only the first admin (and their token) is left"
    assert not is_loaded(app)
    with app.db.read() as conn:
        assert [u["username"] for u in auth_store.list_users(conn)] == ["admin"]
    load_demo(app)  # and it loads again, in the same process too (SQLite reuses the ids the demo had)
    assert is_loaded(app)


def test_every_page_says_demo_while_it_is_loaded(app) -> None:
    from fastapi.testclient import TestClient

    from tests.web.pages_support import login
    from warroom.demo import remove_demo
    from warroom.web.app import create_app

    loaded = load_demo(app)
    with TestClient(create_app(app, background=False)) as c:
        assert 'data-banner="demo"' in c.get("/login").text
        assert login(c, "claire", "demo-password").status_code != 303, "the old shared password is gone"
        assert login(c, "claire", loaded.passwords["claire"]).status_code == 303
        for path in ("/", "/services", "/teams", "/people", "/alerts", "/oncall", "/incidents/1"):
            r = c.get(path)
            assert r.status_code == 200 and 'data-banner="demo"' in r.text, path
        c.cookies.clear()
        remove_demo(app)
        assert 'data-banner="demo"' not in c.get("/login").text


def test_demo_remove_refuses_while_real_data_points_at_it(app) -> None:
    """A rota, a policy or a service made after the demo that names its people, schedules or policy by id would be
    left paging nobody (and SQLite gives the next new person a removed id): the removal says what, and waits."""
    from tests.notify_support import ADMIN
    from warroom.catalog import service as catalog
    from warroom.demo import is_loaded, remove_demo
    from warroom.escalation import service as escalation
    from warroom.oncall import service as oncall

    auth.ensure_first_admin(app)
    load_demo(app)
    with app.db.read() as conn:
        users = {u["username"]: u["id"] for u in auth_store.list_users(conn)}
        [demo_policy] = [r.id for r in conn.execute(select_policies())]
    rota = oncall.create_schedule(app, ADMIN, name="Real rota", time_zone="UTC", layers=[
        {"user_ids": [users["admin"], users["maria"]], "start": "2026-01-05T09:00", "shift": "weekly"}])
    policy = escalation.create_policy(app, ADMIN, name="Real policy", levels=[
        {"timeout_minutes": 5, "targets": [{"kind": "user", "id": users["li"]}]}])
    service = catalog.create_service(app, name="real-svc", escalation_policy_id=demo_policy)
    escalation.set_default_policy(app, ADMIN, demo_policy)
    with pytest.raises(Conflict) as refused:
        remove_demo(app)
    said = str(refused.value)
    assert "schedule 'Real rota' has maria" in said and "policy 'Real policy' pages demo user li" in said
    assert "service 'real-svc' uses the demo escalation policy" in said
    assert "the default escalation policy is the demo's" in said
    assert is_loaded(app), "nothing was removed"
    oncall.delete_schedule(app, ADMIN, rota["id"])
    escalation.delete_policy(app, ADMIN, policy["id"])
    catalog.update_service(app, service["id"], escalation_policy_id=None)
    escalation.set_default_policy(app, ADMIN, None)
    assert remove_demo(app).startswith("demo removed")


def select_policies():  # noqa: ANN201
    from sqlalchemy import select

    from warroom.escalation import store as esc_store

    return select(esc_store.policies.c.id)

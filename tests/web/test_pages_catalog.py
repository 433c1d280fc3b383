"""Declare form and the catalog pages: services with dependencies and open incidents, teams, people."""

from __future__ import annotations

import re

import pytest

from tests.web.pages_support import declare, login_as
from warroom.catalog import service as catalog
from warroom.incidents import service


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Rendering does not depend on the database; actions, sessions and streams run on both (other files)."""
    return sqlite_url


def test_declare_form_creates_the_incident_and_opens_its_war_room(api, app, users) -> None:
    svc = catalog.create_service(app, name="checkout")
    csrf = login_as(api, "responder")
    form = api.get("/incidents/new")
    assert form.status_code == 200 and 'for="title"' in form.text and "checkout" in form.text
    r = api.post("/incidents", data={"csrf": csrf, "title": "Checkout 500s", "description": "*all* users",
                                     "impact": "extensive", "urgency": "critical", "identified_via": "monitoring",
                                     "service_ids": [str(svc["id"])]}, follow_redirects=False)
    assert r.status_code == 303
    ref = int(r.headers["location"].rsplit("/", 1)[1])
    page = api.get(f"/incidents/{ref}").text
    assert "Checkout 500s" in page and "<em>all</em>" in page and ">P1<" in page
    with app.db.read() as conn:
        from warroom.incidents import store

        s = store.load_by_ref(conn, ref)
    assert s.service_ids == (svc["id"],) and s.declared_by == "rui" and s.identified_via == "monitoring"


def test_declare_form_errors_name_the_field_and_keep_the_input(api, app, users) -> None:
    csrf = login_as(api, "responder")
    r = api.post("/incidents", data={"csrf": csrf, "title": "", "description": "keep me", "impact": "huge",
                                     "urgency": "high"})
    assert r.status_code == 422
    assert 'id="err-title"' in r.text and 'id="err-impact"' in r.text and "keep me" in r.text
    r = api.post("/incidents", data={"csrf": csrf, "title": "x", "impact": "minor", "urgency": "low",
                                     "service_ids": ["999"]})
    assert r.status_code == 422 and "no such service: 999" in r.text
    r = api.post("/incidents", data={"csrf": csrf, "title": "x", "impact": "minor", "urgency": "low",
                                     "priority": "P1"})
    assert r.status_code == 422 and 'id="err-priority_reason"' in r.text
    with app.db.read() as conn:
        from warroom.incidents import store

        assert store.next_ref(conn) == 1, "nothing was declared"


def test_services_page_shows_dependencies_and_open_incidents(api, app, users) -> None:
    team = catalog.create_team(app, "Databases")
    db = catalog.create_service(app, name="postgres-main", team_id=team["id"], tier=1)
    pay = catalog.create_service(app, name="payments", depends_on=[db["id"]], tier=1)
    s = declare(app, users, "Payments slow", service_ids=[pay["id"]])
    login_as(api, "viewer")
    listing = api.get("/services").text
    row = re.search(rf"<tr>\s*<td><a href=\"/services/{pay['id']}\">payments.*?</tr>", listing, re.S).group(0)
    assert "postgres-main" in row and "1 open" in row
    detail = api.get(f"/services/{db['id']}").text
    assert "payments" in detail and "Databases" in detail  # used by, owned by
    detail = api.get(f"/services/{pay['id']}").text
    assert f"INC-{s.ref} Payments slow" in detail and "postgres-main" in detail
    assert api.get("/services/999").status_code == 404


def test_teams_and_people_pages(api, app, users) -> None:
    team = catalog.create_team(app, "Networks", "Cables & <routers>")
    catalog.add_member(app, team["id"], users.ids["responder"], "lead")
    login_as(api, "viewer")
    teams = api.get("/teams").text
    assert "Networks" in teams and "Cables &amp; &lt;routers&gt;" in teams and "lead" in teams
    people = api.get("/people").text
    assert "Networks (lead)" in people and "responder" in people and "vic" in people


def test_demo_data_renders_everywhere(api, app, users) -> None:
    from warroom.demo import load_demo

    load_demo(app)
    login_as(api, "viewer")
    for path in ("/", "/services", "/teams", "/people", "/incidents/1", "/incidents/2", "/incidents/3",
                 "/incidents/5"):
        assert api.get(path).status_code == 200, path
    assert service.get(app, 1).major


def test_person_page_shows_teams_and_incident_roles(api, app, users) -> None:
    from warroom.incidents.roles import Role

    team = catalog.create_team(app, "Networks")
    catalog.add_member(app, team["id"], users.ids["responder"], "lead")
    s = declare(app, users, "Packet loss")
    service.assign(app, users.principal("admin"), s.id, Role.COORDINATOR, users.ids["responder"])
    login_as(api, "viewer")
    assert f'href="/people/{users.ids["responder"]}"' in api.get("/people").text
    page = api.get(f"/people/{users.ids['responder']}").text
    assert "Networks" in page and "lead" in page and f"coordinator in <a href=\"/incidents/{s.ref}\">" in page
    assert api.get("/people/999").status_code == 404

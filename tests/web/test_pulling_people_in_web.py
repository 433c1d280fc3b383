"""Paging people into an incident and role notices through the API and the war room (issue 10.4): 201 with
the timeline event, 4xx naming the field and nothing written, the form and its timeline entry (escaped)."""

from __future__ import annotations

from tests.web.pages_support import declare, login_as
from warroom.auth import service as auth
from warroom.catalog import service as catalog
from warroom.incidents import service
from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import Role
from warroom.notifications import queries as notify_queries
from warroom.oncall import service as oncall

BASE = "/api/v1/incidents"


def test_api_pages_a_person_a_team_and_a_schedule(app, call, users) -> None:
    s = declare(app, users)
    ada = users.ids["admin"]
    auth.update_user(app, ada, email="ada@example.test")
    team = catalog.create_team(app, "dba")["id"]
    catalog.add_member(app, team, ada)
    sched = oncall.create_schedule(app, users.principal("admin"), name="primary", time_zone="UTC", layers=[
        {"name": "day", "user_ids": [ada], "start": "2026-01-01T00:00", "shift": "daily"}])["id"]
    r = call("POST", f"{BASE}/INC-{s.ref}/pages", json={"user_id": ada, "message": "need <b>you</b>"})
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["kind"] == "responders.paged" and ev["actor"] == "rui" and ev["seq"] == s.version + 1
    assert ev["data"] == {"target": {"kind": "user", "id": ada, "name": "Ada"}, "requested_by": "rui",
                          "message": "need <b>you</b>", "user_ids": [ada], "notifications": 1}
    for body in ({"team_id": team}, {"schedule_id": sched, "message": "primary?"}):
        r = call("POST", f"{BASE}/{s.id}/pages", json=body)
        assert r.status_code == 201 and r.json()["data"]["user_ids"] == [ada], r.text
    rows = notify_queries.list_(app, incident_id=s.id)
    assert len(rows) == 3 and {r["payload"]["event"] for r in rows} == {"page"}
    assert {r["payload"]["requested_by"] for r in rows} == {"rui"}


def test_api_page_refusals_name_the_field(app, call, users) -> None:
    s = declare(app, users)
    cases = [({}, 422, "user_id"), ({"user_id": users.ids["admin"], "team_id": 1}, 422, "team_id"),
             ({"user_id": users.ids["viewer"]}, 422, "user_id"), ({"team_id": 4242}, 422, "team_id"),
             ({"schedule_id": 4242}, 422, "schedule_id"), ({"user_id": 1, "message": "x" * 2001}, 422, "message"),
             ({"user_id": 1, "extra": 1}, 422, "extra"), ({"user_id": -1}, 422, "user_id")]
    for body, status, field in cases:
        r = call("POST", f"{BASE}/{s.id}/pages", json=body)
        assert r.status_code == status, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.json())
    assert call("POST", f"{BASE}/{s.id}/pages", "viewer", json={"user_id": 1}).status_code == 403
    assert call("POST", f"{BASE}/INC-999/pages", json={"user_id": 1}).status_code == 404
    service.move(app, users.principal("responder"), s.id, Status.RESOLVED)
    r = call("POST", f"{BASE}/{s.id}/pages", json={"user_id": users.ids["admin"]})
    assert r.status_code == 409 and "only an open incident pages people" in r.json()["message"]
    assert notify_queries.list_(app, incident_id=s.id) == []


def test_api_role_assignment_queues_a_notice_for_the_assignee(app, call, users) -> None:
    s = declare(app, users)
    auth.update_user(app, users.ids["admin"], email="ada@example.test")
    r = call("POST", f"{BASE}/{s.id}/roles", json={"role": "coordinator", "user_id": users.ids["admin"]})
    assert r.status_code == 200
    (row,) = notify_queries.list_(app, incident_id=s.id)
    assert row["user_id"] == users.ids["admin"] and row["channel"] == "email"
    assert row["payload"]["event"] == "assigned" and row["payload"]["role_title"] == "Major Incident Coordinator"


def post(api, csrf: str, ref: int, action: str, **data):  # noqa: ANN001, ANN201
    return api.post(f"/incidents/{ref}/{action}", data={"csrf": csrf, **data}, follow_redirects=False)


def test_war_room_pages_a_team_and_shows_it_on_the_timeline(api, app, users) -> None:
    s = declare(app, users)
    team = catalog.create_team(app, "dba")["id"]
    catalog.add_member(app, team, users.ids["admin"])
    csrf = login_as(api, "responder")
    html = api.get(f"/incidents/{s.ref}").text
    form = html.split('id="page-target"', 1)[1].split("</select>", 1)[0]
    assert f'value="team:{team}"' in form and f'value="user:{users.ids["admin"]}"' in form
    assert f'value="user:{users.ids["viewer"]}"' not in form
    r = post(api, csrf, s.ref, "pages", target=f"team:{team}", message="<script>x</script> replica lag")
    assert r.status_code == 303
    html = api.get(f"/incidents/{s.ref}").text
    assert "Paged team <b>dba</b>" in html and "asked by rui" in html
    assert "&lt;script&gt;x&lt;/script&gt; replica lag" in html and "<script>x</script>" not in html
    assert service.timeline(app, s.id)[-1].kind == "responders.paged"


def test_war_room_page_refusals_keep_the_message(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    r = post(api, csrf, s.ref, "pages", target=f"user:{users.ids['viewer']}", message="please look")
    assert r.status_code == 422 and "User id: vic is a viewer" in r.text and 'value="please look"' in r.text
    r = post(api, csrf, s.ref, "pages", target="galaxy:1", message="x")
    assert r.status_code == 422 and "Target: choose a person, a team or a schedule" in r.text
    assert service.get(app, s.id).version == s.version
    login_as(api, "viewer")
    assert 'id="page-target"' not in api.get(f"/incidents/{s.ref}").text


def test_roles_go_to_people_who_can_answer(app, users) -> None:
    s = declare(app, users)
    auth.update_user(app, users.ids["responder"], email="rui@example.test")
    got = service.assign(app, users.principal("admin"), s.id, Role.SCRIBE, users.ids["responder"])
    assert got.scribe_id == users.ids["responder"]
    (row,) = notify_queries.list_(app, incident_id=s.id)
    assert row["payload"]["by"] == "ada" and row["payload"]["role"] == "scribe"


def test_war_room_lists_role_notices_beside_pages(api, app, users) -> None:
    s = declare(app, users)
    auth.update_user(app, users.ids["admin"], email="ada@example.test")
    service.assign(app, users.principal("responder"), s.id, Role.COORDINATOR, users.ids["admin"])
    service.promote(app, users.principal("responder"), s.id, "revenue")
    login_as(api, "viewer")
    html = api.get(f"/incidents/{s.ref}").text
    assert "role notice</span> email → Ada" in html and "major notice</span> email → Ada" in html


def test_war_room_says_a_paged_person_cannot_be_reached(api, app, users) -> None:
    """Acceptance (issue 10.5): the admin has no account e-mail and no contact method: 'Paged ...' is not enough."""
    s = declare(app, users)
    csrf = login_as(api, "responder")
    r = post(api, csrf, s.ref, "pages", target=f"user:{users.ids['admin']}", message="need you")
    assert r.status_code == 303
    html = api.get(f"/incidents/{s.ref}").text
    entry = html.split("Paged user <b>", 1)[1].split("</li>", 1)[0]
    assert "reached nobody" in entry and "Ada cannot be reached at this priority" in entry
    assert 'data-flag="empty-page"' in html or 'data-flag="nobody-reached"' in html

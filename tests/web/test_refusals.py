"""Dangerous operations through the API and the war room forms (issue 10.7): 409 saying why, 422 naming the field,
nothing written; a parent's open children resolved or detached when the request says so."""

from __future__ import annotations

from tests.helpers import assert_replay_matches
from tests.web.pages_support import declare, login_as
from warroom.auth import service as auth
from warroom.catalog import service as catalog
from warroom.incidents import service
from warroom.incidents.lifecycle import Status

BASE = "/api/v1/incidents"


def _family(app, users):  # noqa: ANN001, ANN202
    p = users.principal("responder")
    parent = declare(app, users, "Region down")
    service.promote(app, p, parent.id, "whole region")
    child = declare(app, users, "Logins failing")
    service.link_child(app, p, parent.id, child.id)
    return service.get(app, parent.id), service.get(app, child.id)


def test_api_refuses_to_resolve_a_parent_with_open_children_then_resolves_them_when_asked(app, call, users) -> None:
    parent, child = _family(app, users)
    r = call("POST", f"{BASE}/{parent.id}/status", json={"status": "resolved"})
    assert r.status_code == 409 and f"has open child incidents: INC-{child.ref}" in r.json()["message"]
    r = call("POST", f"{BASE}/{parent.id}/status", json={"status": "resolved", "children": "ignore"})
    assert r.status_code == 422 and "children" in r.text
    assert service.get(app, parent.id).version == parent.version
    r = call("POST", f"{BASE}/{parent.id}/status", json={"status": "resolved", "children": "detach"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    got = service.get(app, child.id)
    assert got.status == "identified" and got.parent_id is None
    kinds = [e["kind"] for e in call("GET", f"{BASE}/{parent.id}/timeline", "viewer").json()]
    assert kinds[-1] == "status.changed" and "child.detached" in kinds[-3:]
    assert call("GET", f"{BASE}/{parent.id}/children", "viewer").json() == []
    assert_replay_matches(app, child.id)


def test_api_refuses_a_merge_into_a_resolved_incident(app, call, users) -> None:
    primary, dup = declare(app, users, "Checkout down"), declare(app, users, "Cannot pay")
    service.move(app, users.principal("responder"), primary.id, Status.RESOLVED)
    r = call("POST", f"{BASE}/{dup.id}/merge", json={"primary_id": primary.id})
    assert r.status_code == 409
    assert f"INC-{primary.ref} is resolved; merge into an open incident" in r.json()["message"]
    assert service.get(app, dup.id).duplicate_of_id is None


def test_api_gives_roles_only_to_active_people_who_may_write(app, call, users) -> None:
    s = declare(app, users)
    gone = auth.create_user(app, username="gone")["id"]
    auth.update_user(app, gone, active=False)
    team = catalog.create_team(app, "Databases")["id"]
    for body, problem in (({"role": "scribe", "user_id": users.ids["viewer"]}, "vic is a viewer"),
                          ({"role": "expert", "user_id": users.ids["viewer"], "team_id": team}, "vic is a viewer"),
                          ({"role": "coordinator", "user_id": gone}, "gone is deactivated")):
        r = call("POST", f"{BASE}/{s.id}/roles", json=body)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["user_id"]
        assert problem in r.json()["errors"][0]["problem"]
    assert service.get(app, s.id).version == s.version


def post(api, csrf: str, ref: int, action: str, **data):  # noqa: ANN001, ANN201
    return api.post(f"/incidents/{ref}/{action}", data={"csrf": csrf, **data}, follow_redirects=False)


def test_war_room_asks_what_to_do_with_open_children(api, app, users) -> None:
    parent, child = _family(app, users)
    csrf = login_as(api, "responder")
    html = api.get(f"/incidents/{parent.ref}").text
    assert 'id="move-children"' in html and f"Open children (INC-{child.ref})" in html
    r = post(api, csrf, parent.ref, "status", status="resolved", version=parent.version)
    assert r.status_code == 409 and f"has open child incidents: INC-{child.ref}" in r.text
    r = post(api, csrf, parent.ref, "status", status="resolved", children="resolve", version=parent.version)
    assert r.status_code == 303
    assert service.get(app, child.id).status == "resolved"
    html = api.get(f"/incidents/{parent.ref}").text
    assert f"Child incident <a href=\"/incidents/{child.ref}\">INC-{child.ref}</a> resolved along with this one" \
        in html and 'id="move-children"' not in html
    assert f"resolved with its parent INC-{parent.ref}" in api.get(f"/incidents/{child.ref}").text


def test_war_room_refuses_a_viewer_as_role_holder_and_does_not_offer_one(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    html = api.get(f"/incidents/{s.ref}").text
    select = html.split('id="assign-user"', 1)[1].split("</select>", 1)[0]
    assert "Rui" in select and "Vic" not in select
    r = post(api, csrf, s.ref, "roles", role="scribe", user_id=users.ids["viewer"], version=s.version)
    assert r.status_code == 422 and "User id: vic is a viewer; only responders and admins" in r.text
    assert service.get(app, s.id).scribe_id is None

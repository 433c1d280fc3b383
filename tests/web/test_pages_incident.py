"""The war room page: header, every action through its form, versions and 409s, the timeline per event kind."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

from tests.helpers import assert_replay_matches
from tests.web.pages_support import declare, login_as
from warroom.catalog import service as catalog
from warroom.incidents import service
from warroom.incidents.events import Event
from warroom.incidents.roles import Role


def post(api, csrf: str, ref: int, action: str, **data):  # noqa: ANN001, ANN201
    return api.post(f"/incidents/{ref}/{action}", data={"csrf": csrf, **data}, follow_redirects=False)


def test_war_room_header_shows_the_incident(api, app, users) -> None:
    team = catalog.create_team(app, "Databases")
    svc = catalog.create_service(app, name="postgres-main", team_id=team["id"])
    s = declare(app, users, description="**Bold** claim", service_ids=[svc["id"]])
    service.assign(app, users.principal("responder"), s.id, Role.COORDINATOR, users.ids["admin"])
    login_as(api, "viewer")
    html = api.get(f"/incidents/{s.ref}").text
    for needle in (f"INC-{s.ref}", "Checkout failing", "P3", "identified", "postgres-main", "Ada",
                   "<strong>Bold</strong>", f'data-live="/live/incidents/{s.ref}"', 'data-after="2"'):
        assert needle in html, needle


def test_responder_works_the_incident_through_the_forms(api, app, users) -> None:
    team = catalog.create_team(app, "Networks")
    s = declare(app, users)
    csrf = login_as(api, "responder")
    v = s.version
    assert post(api, csrf, s.ref, "acknowledge", version=v).status_code == 303
    v += 1
    assert post(api, csrf, s.ref, "promote", reason="Revenue impact", version=v).status_code == 303
    v += 1
    assert post(api, csrf, s.ref, "roles", role="coordinator", user_id=users.ids["responder"], version=v) \
        .status_code == 303
    v += 1
    assert post(api, csrf, s.ref, "roles", role="expert", user_id=users.ids["admin"], team_id=team["id"],
                version=v).status_code == 303
    v += 1
    assert post(api, csrf, s.ref, "status", status="investigating", note="looking", version=v).status_code == 303
    v += 1
    r = post(api, csrf, s.ref, "impact", impact="extensive", urgency="critical", version=v)
    assert r.status_code == 303
    assert post(api, csrf, s.ref, "notes", text="Failing over to the *replica*").status_code == 303
    now = service.get(app, s.id)
    assert now.major and now.coordinator_id == users.ids["responder"] and now.status == "investigating"
    assert now.priority == "P1", "impact/urgency recomputed the priority"
    assert now.acknowledged_at is not None and len(now.experts) == 1
    html = api.get(f"/incidents/{s.ref}").text
    for needle in ("Promoted to a major incident", "Revenue impact", "Rui is now coordinator",
                   "as subject-matter expert for Networks", "<em>replica</em>", "Priority P3 → <b>P1</b>",
                   "MAJOR INCIDENT"):
        assert needle in html, needle
    assert post(api, csrf, s.ref, "demote", reason="contained", version=now.version).status_code == 303
    assert not service.get(app, s.id).major
    assert_replay_matches(app, s.id)


def test_a_stale_version_gets_409_with_a_clear_message(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    service.add_note(app, users.principal("admin"), s.id, "someone else was faster")
    r = post(api, csrf, s.ref, "promote", reason="big", version=s.version)
    assert r.status_code == 409
    assert "Someone else changed this incident" in r.text and "reload" in r.text
    assert 'value="big"' in r.text, "what the user typed is kept"
    assert not service.get(app, s.id).major


def test_refusals_name_the_problem(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    r = post(api, csrf, s.ref, "status", status="closed")
    assert r.status_code == 409 and "allowed next states" in r.text
    r = post(api, csrf, s.ref, "promote", reason="  ")
    assert r.status_code == 422 and "Reason: a reason is required" in r.text
    r = post(api, csrf, s.ref, "status", status="bogus")
    assert r.status_code == 422 and "Status: choose one of" in r.text
    r = post(api, csrf, s.ref, "roles", role="expert", user_id=users.ids["admin"])
    assert r.status_code == 422 and "Team id" in r.text
    r = post(api, csrf, s.ref, "roles", role="coordinator", user_id="x")
    assert r.status_code == 422 and "User id: must be a number" in r.text
    r = post(api, csrf, s.ref, "notes", text="")
    assert r.status_code == 422
    assert post(api, csrf, 999, "notes", text="x").status_code == 404
    assert service.get(app, s.id).version == s.version, "nothing was written"


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element actually in the markup (escaped text is not an element)."""
    out: list[tuple[str, dict[str, str | None]]] = []

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            out.append((tag, dict(attrs)))

    P().feed(html)
    return out


def test_notes_are_sanitised_markdown(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    evil = ('<script>alert("x")</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)> '
            '<a href="#" onclick="alert(3)">a</a> **ok** [docs](https://example.org)')
    assert post(api, csrf, s.ref, "notes", text=evil).status_code == 303
    timeline = api.get(f"/incidents/{s.ref}").text.split('id="timeline"', 1)[1]
    found = elements(timeline)
    tags = {t for t, _ in found}
    assert "script" not in tags and "img" not in tags and "strong" in tags
    for tag, attrs in found:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript"), (tag, attrs)
    assert ("a", {"href": "https://example.org", "rel": "noopener noreferrer nofollow"}) in found


def test_unknown_event_kinds_render_generically_and_escaped(api, app, users) -> None:
    s = declare(app, users)
    with app.db.transaction() as tx:
        state = service.load_in(tx, s.id)
        service.append_in(app, tx, state, [Event("pager.sent", {"to": "<b>sam</b>", "attempt": 2,
                                                               "meta": {"x": "<i>"}}, "warroom",
                                                 datetime.now().astimezone())])
    login_as(api, "viewer")
    html = api.get(f"/incidents/{s.ref}").text
    assert "pager.sent" in html and "&lt;b&gt;sam&lt;/b&gt;" in html and "<b>sam</b>" not in html
    assert "<i>" not in html.split('id="timeline"', 1)[1]


def test_child_and_duplicate_incidents_are_shown(api, app, users) -> None:
    p = users.principal("responder")
    parent = declare(app, users, "Payments down")
    service.promote(app, p, parent.id, "big")
    child = declare(app, users, "Portal login errors")
    dup = declare(app, users, "Customers cannot pay")
    service.link_child(app, p, parent.id, child.id)
    service.merge(app, p, dup.id, parent.id)
    login_as(api, "viewer")
    html = api.get(f"/incidents/{parent.ref}").text
    assert "Child incidents" in html and "Portal login errors" in html
    assert "Duplicates merged here" in html and "Customers cannot pay" in html
    assert f"Child of <a href=\"/incidents/{parent.ref}\">" in api.get(f"/incidents/{child.ref}").text
    assert "Merged as a duplicate of" in api.get(f"/incidents/{dup.ref}").text


def test_summary_fragment_has_fresh_versions(api, app, users) -> None:
    s = declare(app, users)
    login_as(api, "responder")
    service.add_note(app, users.principal("admin"), s.id, "n")
    frag = api.get(f"/incidents/{s.ref}/summary").text
    assert "<html" not in frag and f'name="version" value="{s.version + 1}"' in frag


def test_roles_can_be_removed_and_incidents_linked_and_merged_from_the_page(api, app, users) -> None:
    team = catalog.create_team(app, "Networks")
    p = users.principal("responder")
    parent = declare(app, users, "Payments down")
    child = declare(app, users, "Portal errors")
    dup = declare(app, users, "Customers cannot pay")
    service.assign(app, p, parent.id, Role.COORDINATOR, users.ids["admin"])
    s = service.assign(app, p, parent.id, Role.EXPERT, users.ids["responder"], team["id"])
    csrf = login_as(api, "responder")
    assert 'aria-label="Remove the coordinator"' in api.get(f"/incidents/{parent.ref}").text
    r = post(api, csrf, parent.ref, "roles/remove", role="expert", user_id=users.ids["responder"],
             team_id=team["id"], version=s.version)
    assert r.status_code == 303
    assert post(api, csrf, parent.ref, "roles/remove", role="coordinator").status_code == 303
    r = post(api, csrf, parent.ref, "children", child_ref=f"INC-{child.ref}")
    assert r.status_code == 409 and "promote the parent first" in r.text
    service.promote(app, p, parent.id, "big")
    assert post(api, csrf, parent.ref, "children", child_ref=f"INC-{child.ref}").status_code == 303
    assert post(api, csrf, dup.ref, "merge", primary_ref=str(parent.ref)).status_code == 303
    r = post(api, csrf, child.ref, "merge", primary_ref="INC-999")
    assert r.status_code == 422 and "there is no incident INC-999" in r.text
    now = service.get(app, parent.id)
    assert now.coordinator_id is None and now.experts == ()
    assert service.get(app, child.id).parent_id == parent.id
    assert service.get(app, dup.id).duplicate_of_id == parent.id
    assert_replay_matches(app, parent.id)


def test_nonsense_ids_and_nul_text_are_4xx_not_5xx(api, app, users) -> None:
    s = declare(app, users)
    csrf = login_as(api, "responder")
    huge = str(2**40)
    for path in (f"/incidents/{huge}", f"/services/{huge}", f"/incidents/{s.ref}/summary?x=1",
                 f"/?team_id={huge}", f"/live/incidents/{s.ref}?after={huge}"):
        assert api.get(path).status_code < 500, path
    assert post(api, csrf, s.ref, "roles", role="coordinator", user_id=huge).status_code == 422
    assert post(api, csrf, s.ref, "children", child_ref=huge).status_code == 422
    r = post(api, csrf, s.ref, "notes", text="nul \x00 byte")
    assert r.status_code == 422 and "NUL" in r.text
    assert service.get(app, s.id).version == s.version


def test_a_failing_panel_of_another_domain_is_left_out(api, app, users, monkeypatch) -> None:
    from warroom.web import registry

    def broken(app, state):  # noqa: ANN001, ANN202
        raise RuntimeError("that domain is having a bad day")

    def fine(app, state):  # noqa: ANN001, ANN202
        return {"title": "Still here", "template": "_panel_notifications.html", "notifications": []}

    monkeypatch.setattr(registry, "PANELS", (broken, fine))
    s = declare(app, users)
    login_as(api, "viewer")
    page = api.get(f"/incidents/{s.ref}")
    assert page.status_code == 200 and "Still here" in page.text

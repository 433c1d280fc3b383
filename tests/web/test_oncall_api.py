"""REST API of on-call schedules, escalation policies, targets, contacts and notifications."""

from __future__ import annotations

from icalendar import Calendar

from tests.notify_support import Recorder, run_ticks


def _schedule(api, users, **kw):
    body = {"name": "primary", "time_zone": "Europe/Berlin", "layers": [
        {"name": "week", "user_ids": [users.ids["admin"], users.ids["responder"]], "start": "2026-01-05T09:00",
         "shift": "weekly"}], **kw}
    return api.post("/api/v1/schedules", json=body, headers=users.headers("admin"))


def test_schedule_lifecycle_on_call_override_shifts_and_ics(api, users, clock):
    r = _schedule(api, users)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    now = api.get("/api/v1/oncall", headers=users.headers("viewer")).json()
    assert now == [{"schedule_id": sid, "schedule": "primary", "time_zone": "Europe/Berlin",
                    "at": "2026-01-05T09:00:00Z", "user_id": users.ids["admin"], "layer": "week",
                    "until": "2026-01-12T08:00:00Z"}]
    later = api.get("/api/v1/oncall", params={"at": "2026-01-13T00:00:00Z", "schedule_id": sid},
                    headers=users.headers("viewer")).json()
    assert later[0]["user_id"] == users.ids["responder"]
    r = api.post(f"/api/v1/schedules/{sid}/overrides", headers=users.headers("responder"),
                 json={"user_id": users.ids["responder"], "start_at": "2026-01-10T00:00:00+01:00",
                       "end_at": "2026-01-11T00:00:00+01:00", "note": "I take Saturday"})
    assert r.status_code == 201, r.text
    shifts = api.get(f"/api/v1/schedules/{sid}/shifts", params={"start": "2026-01-09T00:00:00Z",
                     "end": "2026-01-13T00:00:00Z"}, headers=users.headers("viewer")).json()
    assert [(s["user_id"], s["layer"]) for s in shifts] == [
        (users.ids["admin"], "week"), (users.ids["responder"], "override"), (users.ids["admin"], "week"),
        (users.ids["responder"], "week")]
    ics = api.get(f"/api/v1/schedules/{sid}/calendar.ics", headers=users.headers("viewer"))
    assert ics.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(ics.content).walk("VEVENT")]
    assert any("Rui" in str(e["SUMMARY"]) for e in events)
    mine = api.get(f"/api/v1/users/{users.ids['responder']}/calendar.ics", headers=users.headers("viewer"))
    first = Calendar.from_ical(mine.content).walk("VEVENT")[0]
    assert first.decoded("DTEND") - first.decoded("DTSTART") == __import__("datetime").timedelta(days=1)
    got = api.get(f"/api/v1/schedules/{sid}", headers=users.headers("viewer")).json()
    assert got["on_call_now"]["user_id"] == users.ids["admin"] and len(got["overrides"]) == 1
    oid = got["overrides"][0]["id"]
    assert api.delete(f"/api/v1/schedules/{sid}/overrides/{oid}", headers=users.headers("responder")).status_code == 204
    assert api.delete(f"/api/v1/schedules/{sid}", headers=users.headers("admin")).status_code == 204
    assert api.get(f"/api/v1/schedules/{sid}", headers=users.headers("viewer")).status_code == 404


def test_schedule_input_errors_name_the_field(api, users):
    h = users.headers("admin")
    cases = [({"time_zone": "Mars/Base"}, "time_zone"),
             ({"layers": [{"user_ids": [1], "start": "tomorrow"}]}, "layers[0].start"),
             ({"layers": [{"user_ids": [99999], "start": "2026-01-01T00:00"}]}, "layers"),
             ({"layers": [{"user_ids": [1], "start": "2026-01-01T00:00", "shift": "yearly"}]}, "layers[0].shift")]
    for extra, field in cases:
        r = _schedule(api, users, **extra)
        assert r.status_code == 422, (extra, r.text)
        assert field in r.text, (field, r.text)
    assert _schedule(api, users).status_code == 201
    assert _schedule(api, users).status_code == 409
    assert api.post("/api/v1/schedules", json={"name": "x"}, headers=users.headers("responder")).status_code == 403
    assert api.get("/api/v1/schedules/2147483648", headers=h).status_code == 422
    assert api.get("/api/v1/schedules/5/shifts", params={"start": "2026-01-02T00:00:00Z",
                   "end": "2026-01-01T00:00:00Z"}, headers=h).status_code == 422
    r = api.post("/api/v1/schedules/1/overrides", headers=h, json={"user_id": 1, "start_at": "2026-01-02T00:00:00Z",
                                                                   "end_at": "2026-01-01T00:00:00Z"})
    assert r.status_code == 422 and "end_at" in r.text


def test_override_rules_answer_403_and_422(api, users):
    """Issue 11.6: a responder cannot put others on call nor remove others' overrides; viewers are not eligible."""
    sid = _schedule(api, users).json()["id"]
    window = {"start_at": "2026-01-06T00:00:00Z", "end_at": "2026-01-07T00:00:00Z"}
    url = f"/api/v1/schedules/{sid}/overrides"
    r = api.post(url, headers=users.headers("admin"), json={"user_id": users.ids["viewer"], **window})
    assert r.status_code == 422 and "user_id" in r.text and "viewer" in r.text
    # the admin holds the first week: the responder cannot hand it to anyone; the second week is theirs to swap
    r = api.post(url, headers=users.headers("responder"), json={"user_id": users.ids["admin"], **window})
    assert r.status_code == 403, r.text
    r = api.post(url, headers=users.headers("responder"), json={"user_id": users.ids["admin"], **{
        "start_at": "2026-01-13T00:00:00Z", "end_at": "2026-01-14T00:00:00Z"}})
    assert r.status_code == 201, r.text
    r = api.post(url, headers=users.headers("admin"), json={"user_id": users.ids["responder"], **window})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    r = api.post(url, headers=users.headers("admin"), json={"user_id": users.ids["admin"], "start_at":
                 "2026-01-06T00:00:00Z", "end_at": "2026-03-06T00:00:00Z"})
    assert r.status_code == 422 and "end_at" in r.text and "31 days" in r.text
    assert api.delete(f"{url}/{oid}", headers=users.headers("responder")).status_code == 403
    assert api.delete(f"{url}/{oid}", headers=users.headers("viewer")).status_code == 403
    assert api.delete(f"{url}/{oid}", headers=users.headers("admin")).status_code == 204
    history = api.get(f"/api/v1/schedules/{sid}/history", headers=users.headers("viewer")).json()
    assert [(h["action"], h["actor"]) for h in history] == [("override removed", "ada"), ("override added", "ada"),
                                                            ("override added", "rui")]


def test_policy_targets_and_incident_escalations(api, users, app, clock):
    rec = Recorder(app)
    h = users.headers("admin")
    body = {"name": "checkout", "repeat": 1, "levels": [
        {"timeout_minutes": 5, "targets": [{"kind": "user", "id": users.ids["responder"]}]},
        {"timeout_minutes": 5, "targets": [{"kind": "role", "role": "coordinator"}]}]}
    r = api.post("/api/v1/escalation-policies", json=body, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    bad = {**body, "levels": [{"timeout_minutes": 0, "targets": []}]}
    r = api.post("/api/v1/escalation-policies", json=bad, headers=h)
    assert r.status_code == 422 and "timeout_minutes" in r.text
    r = api.post("/api/v1/escalation-policies", json={**body, "levels": [
        {"timeout_minutes": 5, "targets": [{"kind": "role"}]}]}, headers=h)
    assert r.status_code == 422 and "levels[0].targets[0].role" in r.text
    assert api.put(f"/api/v1/escalation-policies/{pid}", json={**body, "repeat": 0}, headers=h).json()["repeat"] == 0
    svc = api.post("/api/v1/services", json={"name": "shop", "escalation_policy_id": pid}, headers=h)
    assert svc.status_code == 201, svc.text
    assert api.get(f"/api/v1/escalation-policies/{pid}", headers=h).json()["service_ids"] == [svc.json()["id"]]
    r = api.put("/api/v1/response-targets", headers=h, json={"ack_minutes": {"P1": 3}, "breach_policy_id": 999})
    assert r.status_code == 422 and "breach_policy_id" in r.text
    r = api.put("/api/v1/response-targets", headers=h, json={"ack_minutes": {"P1": 3}, "breach_policy_id": pid})
    assert r.json()["ack_minutes"]["P1"] == 3
    inc = api.post("/api/v1/incidents", headers=users.headers("responder"),
                   json={"title": "cart down", "impact": "extensive", "urgency": "critical",
                         "service_ids": [svc.json()["id"]]}).json()
    esc = api.get(f"/api/v1/incidents/{inc['ref']}/escalations", headers=users.headers("viewer")).json()
    assert esc["escalations"][0]["state"] == "active" and esc["escalations"][0]["level"] == 0
    assert {t["kind"]: t["due_at"] for t in esc["targets"]}["ack"] == "2026-01-05T09:03:00Z"
    tl = api.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=users.headers("viewer")).json()
    kinds = [e["kind"] for e in (tl["items"] if isinstance(tl, dict) else tl)]
    assert kinds[:2] == ["incident.declared", "escalation.paged"]
    assert api.get("/api/v1/incidents/INC-999/escalations", headers=h).status_code == 404
    paged = [e for e in (tl["items"] if isinstance(tl, dict) else tl) if e["kind"] == "escalation.paged"][0]
    assert paged["data"]["user_ids"] == [users.ids["responder"]]
    assert paged["data"]["notifications"] == 0  # rui has no e-mail address and no contact rules
    run_ticks(app)
    assert rec.sent == []


def test_a_policy_is_deleted_only_once_nothing_relies_on_it(api, users, app, clock):
    h = users.headers("admin")
    rui = {"kind": "user", "id": users.ids["responder"]}
    body = {"name": "db", "levels": [{"timeout_minutes": 5, "targets": [rui]}]}
    pid = api.post("/api/v1/escalation-policies", json=body, headers=h).json()["id"]
    svc = api.post("/api/v1/services", json={"name": "pg", "escalation_policy_id": pid}, headers=h).json()
    inc = api.post("/api/v1/incidents", headers=users.headers("responder"), json={
        "title": "replica lag", "impact": "extensive", "urgency": "critical", "service_ids": [svc["id"]]}).json()
    assert api.delete(f"/api/v1/escalation-policies/{pid}", headers=users.headers("responder")).status_code == 403
    r = api.delete(f"/api/v1/escalation-policies/{pid}", headers=h)
    assert r.status_code == 409 and "pg" in r.json()["message"]  # a service names it
    api.patch(f"/api/v1/services/{svc['id']}", json={"escalation_policy_id": None}, headers=h)
    r = api.delete(f"/api/v1/escalation-policies/{pid}", headers=h)
    assert r.status_code == 409 and str(inc["id"]) in r.json()["message"]  # still paging for the incident
    api.post(f"/api/v1/incidents/{inc['id']}/acknowledge", headers=users.headers("responder"))
    api.put("/api/v1/response-targets", headers=h, json={"breach_policy_id": pid})
    r = api.delete(f"/api/v1/escalation-policies/{pid}", headers=h)
    assert r.status_code == 409 and "breach" in r.json()["message"]
    api.put("/api/v1/response-targets", headers=h, json={"breach_policy_id": None})
    assert api.delete(f"/api/v1/escalation-policies/{pid}", headers=h).status_code == 204
    assert api.get(f"/api/v1/escalation-policies/{pid}", headers=h).status_code == 404
    assert api.delete(f"/api/v1/escalation-policies/{pid}", headers=h).status_code == 404
    kinds = [e["kind"] for e in api.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=h).json()]
    assert "escalation.paged" in kinds and "escalation.stopped" in kinds  # the record of its pages stays


def test_contacts_and_notifications_with_retry(api, users, app, clock):
    rec = Recorder(app, fail={"webhook"})
    app.notifications.retry = __import__("warroom.notifications.outbox", fromlist=["Retry"]).Retry(
        base_seconds=1, max_attempts=1)
    rid = users.ids["responder"]
    h = users.headers("responder")
    r = api.post(f"/api/v1/users/{rid}/contact-methods", headers=h,
                 json={"kind": "webhook", "address": "http://127.0.0.1:9/x", "secret": "k"})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert api.post(f"/api/v1/users/{rid}/contact-methods", headers=h,
                    json={"kind": "email", "address": "nope"}).status_code == 422
    assert api.post(f"/api/v1/users/{users.ids['admin']}/contact-methods", headers=h,
                    json={"kind": "email", "address": "a@b.c"}).status_code == 403
    r = api.post(f"/api/v1/users/{rid}/contact-rules", headers=h, json={"method_id": mid, "priorities": ["P9"]})
    assert r.status_code == 422
    r = api.post(f"/api/v1/users/{rid}/contact-rules", headers=h, json={"method_id": 12345})
    assert r.status_code == 422 and "method_id" in r.text
    assert api.post(f"/api/v1/users/{rid}/contact-rules", headers=h, json={"method_id": mid}).status_code == 201
    got = api.get(f"/api/v1/users/{rid}/contacts", headers=h).json()
    assert got["methods"][0]["has_secret"] is True and "secret" not in got["methods"][0]
    pol = api.post("/api/v1/escalation-policies", headers=users.headers("admin"), json={"name": "p", "levels": [
        {"timeout_minutes": 5, "targets": [{"kind": "user", "id": rid}]}]}).json()
    svc = api.post("/api/v1/services", json={"name": "s", "escalation_policy_id": pol["id"]},
                   headers=users.headers("admin")).json()
    api.post("/api/v1/incidents", headers=h, json={"title": "t", "impact": "minor", "urgency": "low",
                                                   "service_ids": [svc["id"]]})
    run_ticks(app)
    (dead,) = api.get("/api/v1/notifications", params={"state": "dead"}, headers=h).json()
    detail = api.get(f"/api/v1/notifications/{dead['id']}", headers=h).json()
    assert detail["attempt_log"][0]["ok"] is False and "webhook is down" in detail["attempt_log"][0]["error"]
    rec.fail.clear()
    assert api.post(f"/api/v1/notifications/{dead['id']}/retry", headers=h).json()["state"] == "pending"
    assert api.post(f"/api/v1/notifications/{dead['id']}/retry", headers=h).status_code == 409
    run_ticks(app)
    assert api.get(f"/api/v1/notifications/{dead['id']}", headers=h).json()["state"] == "delivered"
    assert api.post("/api/v1/notifications/424242/retry", headers=h).status_code == 404
    assert api.get("/api/v1/notifications", params={"state": "bogus"}, headers=h).status_code == 422
    assert api.delete(f"/api/v1/users/{rid}/contact-methods/{mid}", headers=h).status_code == 204


def test_personal_calendar_feed_opens_with_its_key_only(api, app, users, clock):
    from dataclasses import replace

    assert _schedule(api, users).status_code == 201
    me, h = users.ids["responder"], users.headers("responder")
    assert api.get(f"/api/v1/users/{me}/calendar-feed", headers=h).status_code == 409  # no server secret yet
    app.settings = replace(app.settings, secret_key="s" * 32)
    url = api.get(f"/api/v1/users/{me}/calendar-feed", headers=h).json()["url"]
    assert api.get(f"/api/v1/users/{users.ids['admin']}/calendar-feed", headers=h).status_code == 403
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    feed = api.get(path)  # no Authorization header: the key opens it
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content and b"On call: primary" in feed.content
    key = path.rsplit("=", 1)[1]
    assert api.get(path.replace(key, "0" * len(key))).status_code == 404
    assert api.get(path.replace(f"/users/{me}.ics", f"/users/{users.ids['admin']}.ics")).status_code == 404
    assert api.get(f"/api/v1/feeds/users/{me}.ics").status_code == 404


def test_absurd_layer_dates_are_refused_and_nothing_is_committed(api, users, app):
    """Issue 11.8: a layer near year 9999 answered 422 but committed the schedule, and then the on-call page,
    paging and intake failed for everyone. Now it is a 422 naming the field, and nothing is written."""
    admin = users.headers("admin")
    user = [users.ids["admin"]]
    cases = [({"start": "9999-12-31T23:00"}, "layers[0].start", "America/New_York"),
             ({"start": "0001-01-01T00:00"}, "layers[0].start", "Pacific/Kiritimati"),
             ({"start": "2026-01-05T09:00", "end": "9999-12-31T23:59"}, "layers[0].end", "America/New_York"),
             ({"start": "1969-12-31T09:00"}, "layers[0].start", "UTC"),
             ({"start": "2101-01-01T09:00"}, "layers[0].start", "UTC")]
    for layer, field, tz in cases:
        body = {"name": "far", "time_zone": tz, "layers": [{"user_ids": user, "shift": "weekly", **layer}]}
        r = api.post("/api/v1/schedules", json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field and "2100" in r.text
        assert api.get("/api/v1/schedules", headers=admin).json() == [], "a refused schedule is not committed"
    ok = _schedule(api, users)
    assert ok.status_code == 201
    sid = ok.json()["id"]
    bad = {"name": "primary", "time_zone": "America/New_York",
           "layers": [{"user_ids": user, "start": "9999-12-31T23:00", "shift": "weekly"}]}
    r = api.put(f"/api/v1/schedules/{sid}", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "layers[0].start"
    assert api.get("/api/v1/oncall", headers=users.headers("viewer")).status_code == 200
    assert api.get(f"/api/v1/schedules/{sid}", headers=admin).json()["layers"][0]["start"] == "2026-01-05T09:00"

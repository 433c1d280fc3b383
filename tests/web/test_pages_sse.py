"""SSE framing and resume, on a real server: the incident stream (id = seq, Last-Event-ID catch-up) and the
queue stream (id = global event id). On PostgreSQL the notices travel through LISTEN/NOTIFY."""

from __future__ import annotations

import json

import httpx

from tests.web.pages_support import SSEReader, declare, http_login, serve
from warroom.incidents import service


def timeline(frames: list[dict[str, str]]) -> list[dict[str, str]]:
    return [f for f in frames if f.get("event") == "timeline"]


def test_incident_stream_sends_new_events_with_seq_ids(app, users) -> None:
    s = declare(app, users)
    with serve(app) as base, http_login(base, "vic") as c:
        reader = SSEReader(c, f"/live/incidents/{s.ref}?after={s.version}")
        try:
            reader.wait_for(lambda fs: any("retry" in f for f in fs))
            assert reader.status == 200
            service.add_note(app, users.principal("responder"), s.id, "<script>alert(1)</script> *db* failover")
            service.promote(app, users.principal("responder"), s.id, "customers affected")
            frames = timeline(reader.wait_for(lambda fs: len(timeline(fs)) >= 2))
        finally:
            reader.close()
    assert [f["id"] for f in frames] == ["2", "3"]
    note = json.loads(frames[0]["data"])
    assert note["seq"] == 2 and note["kind"] == "note.added"
    assert "<script>" not in note["html"] and "&lt;script&gt;" in note["html"] and "<em>db</em>" in note["html"]
    assert json.loads(frames[1]["data"])["kind"] == "major.promoted"


def test_incident_stream_resumes_after_last_event_id(app, users) -> None:
    s = declare(app, users)
    for i in range(4):
        service.add_note(app, users.principal("responder"), s.id, f"note {i}")  # seqs 2..5
    with serve(app) as base, http_login(base, "vic") as c:
        reader = SSEReader(c, f"/live/incidents/{s.ref}?after=1", headers={"Last-Event-ID": "3"})
        try:
            frames = timeline(reader.wait_for(lambda fs: len(timeline(fs)) >= 2))
            service.add_note(app, users.principal("responder"), s.id, "after reconnect")
            frames = timeline(reader.wait_for(lambda fs: len(timeline(fs)) >= 3))
        finally:
            reader.close()
    assert [f["id"] for f in frames] == ["4", "5", "6"], "Last-Event-ID wins over ?after=, no gaps, no repeats"


def test_queue_stream_announces_changes_with_global_ids(app, users) -> None:
    first = declare(app, users)
    with serve(app) as base, http_login(base, "vic") as c:
        reader = SSEReader(c, "/live/queue?after=1")
        try:
            reader.wait_for(lambda fs: any("retry" in f for f in fs))
            declare(app, users, "Second")
            changed = reader.wait_for(lambda fs: any(f.get("event") == "changed" for f in fs))
        finally:
            reader.close()
    frame = next(f for f in changed if f.get("event") == "changed")
    assert int(frame["id"]) >= 2 and json.loads(frame["data"])["after"] >= 2
    assert first.id


def test_streams_need_a_session(app, users) -> None:
    s = declare(app, users)
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as c:
        for url in (f"/live/incidents/{s.ref}", "/live/queue"):
            r = c.get(url, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
        with http_login(base, "vic") as logged_in:
            assert logged_in.get("/live/incidents/999", follow_redirects=False).status_code == 404

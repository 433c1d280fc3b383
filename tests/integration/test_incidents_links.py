"""Roles, child incidents under a major one, merging duplicates, and notes (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, counts, declare, kinds, small_catalog
from warroom.auth import service as auth
from warroom.errors import Conflict, Invalid, NotFound
from warroom.incidents import service as svc
from warroom.incidents import store as st
from warroom.incidents.events import Expert
from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import Role


def _people(app, *names: str) -> list[int]:  # noqa: ANN001
    return [auth.create_user(app, username=n)["id"] for n in names]


def test_one_person_per_singular_role_and_reassignment_names_the_previous_holder(app) -> None:
    ana, bo, cy = _people(app, "ana", "bo", "cy")
    s = declare(app)
    s = svc.assign(app, RUI, s.id, Role.COORDINATOR, ana)
    s = svc.assign(app, RUI, s.id, Role.COMMS_LEAD, bo)
    s = svc.assign(app, RUI, s.id, Role.SCRIBE, ana)  # one person may hold two different roles
    v = s.version
    assert svc.assign(app, RUI, s.id, Role.COORDINATOR, ana).version == v  # no-op, no event
    s = svc.assign(app, RUI, s.id, Role.COORDINATOR, cy)
    assert (s.coordinator_id, s.comms_lead_id, s.scribe_id) == (cy, bo, ana)
    last = svc.timeline(app, s.id)[-1]
    assert last.kind == "role.assigned"
    assert last.data == {"role": "coordinator", "user_id": cy, "previous_user_id": ana, "team_id": None}
    s = svc.unassign(app, RUI, s.id, Role.SCRIBE)
    assert s.scribe_id is None
    with pytest.raises(Conflict):
        svc.unassign(app, RUI, s.id, Role.SCRIBE)
    with pytest.raises(Invalid) as info:
        svc.assign(app, RUI, s.id, Role.SCRIBE, 424242)
    assert info.value.field == "user_id"
    assert_replay_matches(app, s.id)


def test_experts_are_tied_to_teams(app) -> None:
    ids = small_catalog(app)
    ana, bo = _people(app, "ana", "bo")
    s = declare(app)
    with pytest.raises(Invalid) as info:
        svc.assign(app, RUI, s.id, Role.EXPERT, ana)
    assert info.value.field == "team_id"
    with pytest.raises(Invalid) as info:
        svc.assign(app, RUI, s.id, Role.EXPERT, ana, team_id=9999)
    assert info.value.field == "team_id"
    with pytest.raises(Invalid):
        svc.assign(app, RUI, s.id, Role.COORDINATOR, ana, team_id=ids["dbs"])
    s = svc.assign(app, RUI, s.id, Role.EXPERT, ana, team_id=ids["dbs"])
    s = svc.assign(app, RUI, s.id, Role.EXPERT, bo, team_id=ids["apps"])
    s = svc.assign(app, RUI, s.id, Role.EXPERT, ana, team_id=ids["apps"])
    assert s.experts == (Expert(ana, ids["dbs"]), Expert(bo, ids["apps"]), Expert(ana, ids["apps"]))
    s = svc.unassign(app, RUI, s.id, Role.EXPERT, ana, team_id=ids["dbs"])
    assert s.experts == (Expert(bo, ids["apps"]), Expert(ana, ids["apps"]))
    assert_replay_matches(app, s.id)


def test_child_incidents_under_a_major_incident(app) -> None:
    parent, child, other = declare(app, "outage"), declare(app, "portal errors"), declare(app, "third")
    with pytest.raises(Conflict, match="promote"):
        svc.link_child(app, RUI, parent.id, child.id)
    svc.promote(app, RUI, parent.id, "many customers")
    parent = svc.link_child(app, RUI, parent.id, child.id)
    assert svc.get(app, child.id).parent_id == parent.id
    assert kinds(app, parent.id)[-1] == "child.linked" and kinds(app, child.id)[-1] == "parent.set"
    with app.db.read() as conn:
        assert [c.id for c in st.children_of(conn, parent.id)] == [child.id]
    with pytest.raises(Conflict, match="already has a parent"):
        svc.link_child(app, RUI, parent.id, child.id)
    with pytest.raises(Invalid) as info:
        svc.link_child(app, RUI, parent.id, 9999)
    assert info.value.field == "child_id"
    with pytest.raises(NotFound):
        svc.link_child(app, RUI, 9999, other.id)
    # no cycles, however deep: other -> child -> parent, then parent under other is refused
    svc.promote(app, RUI, child.id, "sub-outage")
    svc.link_child(app, RUI, child.id, other.id)
    svc.promote(app, RUI, other.id, "deeper")
    before = counts(app)
    with pytest.raises(Conflict, match="cycle"):
        svc.link_child(app, RUI, other.id, parent.id)
    assert counts(app) == before
    for i in (parent.id, child.id, other.id):
        assert_replay_matches(app, i)


def test_merge_a_duplicate_into_its_primary(app) -> None:
    primary, dup = declare(app, "checkout down"), declare(app, "customers cannot pay")
    before = counts(app)
    with pytest.raises(Invalid) as info:
        svc.merge(app, RUI, dup.id, 9999)
    assert info.value.field == "primary_id"
    with pytest.raises(NotFound):
        svc.merge(app, RUI, 9999, primary.id)
    with pytest.raises(Invalid):
        svc.merge(app, RUI, dup.id, dup.id)
    assert counts(app) == before
    primary = svc.merge(app, RUI, dup.id, primary.id)
    dup = svc.get(app, dup.id)
    assert dup.duplicate_of_id == primary.id and dup.status == "resolved" and dup.resolved_at is not None
    assert primary.status == "identified" and kinds(app, primary.id)[-1] == "duplicate.attached"
    assert svc.timeline(app, dup.id)[-1].data["note"] == f"duplicate of INC-{primary.ref}"
    with pytest.raises(Conflict, match="already merged"):
        svc.merge(app, RUI, dup.id, primary.id)
    with pytest.raises(Conflict, match="itself a duplicate"):
        svc.merge(app, RUI, declare(app, "third").id, dup.id)
    with pytest.raises(Conflict, match="only an open incident"):
        svc.acknowledge(app, RUI, dup.id)  # resolved by the merge, never acknowledged
    with app.db.read() as conn:
        assert [d.id for d in st.duplicates_of(conn, primary.id)] == [dup.id]
    assert_replay_matches(app, primary.id)
    assert_replay_matches(app, dup.id)


def test_notes_are_appended_and_nothing_edits_them(app) -> None:
    s = declare(app)
    s1, e1 = svc.add_note(app, RUI, s.id, "  primary disk full  ")
    _, e2 = svc.add_note(app, RUI, s.id, "<script>alert(1)</script> failing over")
    assert (e1.seq, e2.seq) == (2, 3) and e1.data == {"text": "primary disk full"}
    assert e2.data["text"].startswith("<script>")  # stored as given; escaping is the renderer's job
    with pytest.raises(Invalid) as info:
        svc.add_note(app, RUI, s.id, "   ")
    assert info.value.field == "text"
    timeline = svc.timeline(app, s.id)
    assert [e.kind for e in timeline] == ["incident.declared", "note.added", "note.added"]
    assert all(e.recorded_at is not None for e in timeline)
    assert [e.seq for e in svc.timeline(app, s.id, after_seq=1, limit=1)] == [2]
    assert_replay_matches(app, s.id)


def test_closed_incidents_refuse_roles_but_keep_their_history(app) -> None:
    (ana,) = _people(app, "ana")
    s = declare(app)
    for to in (Status.RESOLVED, Status.CLOSED):
        s = svc.move(app, RUI, s.id, to)
    with pytest.raises(Conflict):
        svc.assign(app, RUI, s.id, Role.SCRIBE, ana)
    with pytest.raises(Conflict):
        svc.promote(app, RUI, s.id, "late")
    assert_replay_matches(app, s.id)


def test_add_note_returns_the_note_even_when_a_reactor_appends_after_it(app) -> None:
    from warroom.incidents.events import Event
    from warroom.platform.app import Reactor

    def react(app_, tx, state, events):  # noqa: ANN001, ANN202 - a downstream domain reacting to notes
        return [Event("test.reacted", {}, "warroom", app_.clock.now())]

    s = declare(app)
    app.reactors = (*app.reactors, Reactor("test", frozenset({"note.added"}), react))
    state, note = svc.add_note(app, RUI, s.id, "hello")
    assert (note.kind, note.seq, note.data["text"]) == ("note.added", 2, "hello")
    assert note.recorded_at is not None and state.version == 3
    assert kinds(app, s.id) == ["incident.declared", "note.added", "test.reacted"]
    assert_replay_matches(app, s.id)

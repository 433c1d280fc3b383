"""Dangerous operations are refused with the reason (issue 10.7): merging into a resolved or closed incident,
resolving or closing a parent whose children are still open (unless told to resolve or detach them), and
giving an incident role to someone who may not write. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.helpers import assert_replay_matches
from tests.integration.incidents_support import RUI, counts, declare, kinds
from warroom.auth import service as auth
from warroom.auth.permissions import UserRole
from warroom.auth.store import get_user
from warroom.catalog import service as catalog
from warroom.errors import Conflict, Invalid
from warroom.incidents import service as svc
from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import Role


def test_merging_into_a_resolved_or_closed_incident_is_refused(app) -> None:
    primary, dup = declare(app, "checkout down"), declare(app, "customers cannot pay")
    svc.move(app, RUI, primary.id, Status.RESOLVED)
    before = counts(app)
    with pytest.raises(Conflict, match=f"INC-{primary.ref} is resolved; merge into an open incident"):
        svc.merge(app, RUI, dup.id, primary.id)
    svc.move(app, RUI, primary.id, Status.CLOSED)
    before = counts(app)
    with pytest.raises(Conflict, match=f"INC-{primary.ref} is closed; merge into an open incident"):
        svc.merge(app, RUI, dup.id, primary.id)
    assert counts(app) == before
    assert svc.get(app, dup.id).status == "identified" and svc.get(app, dup.id).duplicate_of_id is None
    # a closed incident is never merged into anything either: it stays as it was reviewed
    with pytest.raises(Conflict, match=f"INC-{primary.ref} is closed; a closed incident"):
        svc.merge(app, RUI, primary.id, dup.id)
    assert counts(app) == before


def _parent_with_children(app, n: int = 2):  # noqa: ANN001, ANN202
    parent = declare(app, "outage")
    svc.promote(app, RUI, parent.id, "many customers")
    kids = [declare(app, f"child {i}") for i in range(n)]
    for k in kids:
        svc.link_child(app, RUI, parent.id, k.id)
    return svc.get(app, parent.id), [svc.get(app, k.id) for k in kids]


@pytest.mark.parametrize("to", [Status.RESOLVED, Status.CLOSED])
def test_a_parent_with_open_children_is_not_resolved_or_closed_silently(app, to) -> None:
    parent, (a, b) = _parent_with_children(app)
    svc.move(app, RUI, b.id, Status.RESOLVED)  # a resolved child does not hold the parent back
    if to is Status.CLOSED:
        with pytest.raises(Conflict, match=f"has open child incidents: INC-{a.ref};"):
            svc.move(app, RUI, parent.id, Status.RESOLVED)
        svc.move(app, RUI, parent.id, Status.RESOLVED, children="detach")
        svc.link_child(app, RUI, parent.id, declare(app, "late child").id)  # a child may come after
    before = counts(app)
    with pytest.raises(Conflict, match="has open child incidents: INC-[0-9]+; resolve them first") as info:
        svc.move(app, RUI, parent.id, to)
    assert "children: resolve or detach" in str(info.value)
    assert counts(app) == before
    with pytest.raises(Invalid) as bad:
        svc.move(app, RUI, parent.id, to, children="ignore")
    assert bad.value.field == "children" and counts(app) == before


def test_resolving_a_parent_can_resolve_its_open_children_too(app) -> None:
    parent, (a, b) = _parent_with_children(app)
    svc.move(app, RUI, b.id, Status.INVESTIGATING)
    parent = svc.move(app, RUI, parent.id, Status.RESOLVED, note="fixed", children="resolve")
    assert parent.status == "resolved"
    for child in (a, b):
        got = svc.get(app, child.id)
        assert got.status == "resolved" and got.parent_id == parent.id
        last = [e for e in svc.timeline(app, child.id) if e.kind == "status.changed"][-1]
        assert last.data == {"old": child.status if child.id == a.id else "investigating", "new": "resolved",
                             "note": f"resolved with its parent INC-{parent.ref}"}
        assert last.actor == "rui"
    tail = [(e.kind, e.data.get("child_ref")) for e in svc.timeline(app, parent.id)
            if e.kind in ("child.resolved", "status.changed")]
    assert tail == [("child.resolved", a.ref), ("child.resolved", b.ref), ("status.changed", None)]
    for i in (parent.id, a.id, b.id):
        assert_replay_matches(app, i)


def test_closing_a_parent_can_detach_its_open_children(app) -> None:
    parent, (a, b) = _parent_with_children(app)
    svc.move(app, RUI, parent.id, Status.RESOLVED, children="resolve")
    c = declare(app, "still broken")
    svc.link_child(app, RUI, parent.id, c.id)
    parent = svc.move(app, RUI, parent.id, Status.CLOSED, children="detach")
    assert parent.status == "closed"
    c = svc.get(app, c.id)
    assert c.status == "identified" and c.parent_id is None
    assert kinds(app, c.id)[-1] == "parent.removed"
    assert svc.timeline(app, c.id)[-1].data["parent_ref"] == parent.ref
    assert kinds(app, parent.id)[-2:] == ["child.detached", "status.changed"]
    assert svc.get(app, a.id).status == "resolved"  # resolved children are left as they are
    for i in (parent.id, a.id, b.id, c.id):
        assert_replay_matches(app, i)


def test_only_active_people_who_may_write_hold_an_incident_role(app) -> None:
    vic = auth.create_user(app, username="vic", role=UserRole.VIEWER)["id"]
    gone = auth.create_user(app, username="gone")["id"]
    auth.update_user(app, gone, active=False)
    rui = auth.create_user(app, username="ruth")["id"]
    s = declare(app)
    before = counts(app)
    team = catalog.create_team(app, "Databases")["id"]
    for uid, problem in ((vic, "vic is a viewer; only responders and admins"), (gone, "gone is deactivated")):
        for role in Role:
            with pytest.raises(Invalid) as info:
                svc.assign(app, RUI, s.id, role, uid, team if role is Role.EXPERT else None)
            assert info.value.field == "user_id" and problem in info.value.problem
    assert counts(app) == before
    assert svc.assign(app, RUI, s.id, Role.SCRIBE, rui).scribe_id == rui


def test_a_role_holder_is_not_made_a_viewer_or_deactivated_while_the_incident_is_open(app) -> None:
    """Acceptance (issue 10.7): 'role holders must be able to write' holds after the assignment too."""
    auth.create_user(app, username="ada", role=UserRole.ADMIN)
    erin = auth.create_user(app, username="erin")["id"]
    ben = auth.create_user(app, username="ben")["id"]
    s = declare(app, "checkout down")
    team = catalog.create_team(app, "Databases")["id"]
    svc.assign(app, RUI, s.id, Role.COORDINATOR, erin)
    svc.assign(app, RUI, s.id, Role.EXPERT, ben, team)
    for uid, who, role in ((erin, "erin", "coordinator"), (ben, "ben", "expert")):
        for change in ({"role": UserRole.VIEWER}, {"active": False}):
            with pytest.raises(Conflict, match=f"{who} holds a role in an open incident \\({role} of INC-{s.ref}\\)"):
                auth.update_user(app, uid, **change)
    with app.db.read() as conn:
        assert (get_user(conn, erin)["role"], get_user(conn, erin)["active"]) == ("responder", True)
    auth.update_user(app, erin, role=UserRole.ADMIN)  # still may write: allowed
    svc.move(app, RUI, s.id, Status.RESOLVED)  # once the incident is over, the people may change
    auth.update_user(app, erin, role=UserRole.VIEWER)
    auth.update_user(app, ben, active=False)

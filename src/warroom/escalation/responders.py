"""Pulling people into an incident: tell a person they now hold a role in it, tell the right people that it
became a major incident, and page a person, a team or a schedule's on-call into it on request.

`reactor` answers assignments and promotions inside the incident transaction and only writes outbox rows:
an assignment or a promotion is not a page, so it goes at once through every contact method the person's rules
name for the incident's priority, and acknowledging the incident does not cancel it. Nobody is told of what they
did themselves. `page` is a use case: the request and whom it reached go on the timeline as `responders.paged`;
its notifications are pages like any other (acknowledging the incident cancels the undelivered ones); a team
with an escalation policy is paged through that policy, which escalates until someone acknowledges."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from warroom.auth.permissions import Principal, UserRole
from warroom.auth.store import get_user, users
from warroom.catalog.store import get_team, services, team_members_of
from warroom.errors import Conflict, Invalid
from warroom.escalation.paging import incident_brief, load_policy, resolve_targets, start_in
from warroom.incidents import events as ev
from warroom.incidents import service as incidents
from warroom.incidents.events import Event, IncidentState
from warroom.incidents.lifecycle import Status, is_open
from warroom.incidents.roles import ROLE_TITLES, Role
from warroom.notifications import outbox
from warroom.notifications.contacts import planned_sends
from warroom.oncall.queries import on_call_user_in
from warroom.oncall.store import get_schedule
from warroom.platform.app import App, Reactor
from warroom.platform.db import Tx

PAGED = "responders.paged"
MAX_MESSAGE = 2000


# -- telling people: the reactor ------------------------------------------------------------------

def react(app: App, tx: Tx, state: IncidentState, events: list[Event]) -> list[Event]:
    """An assignee hears they hold the role; a promotion reaches the coordinator, or else level 1 of the
    incident's services' escalation policies."""
    for e in events:
        if e.kind == ev.ROLE_ASSIGNED:
            team = get_team(tx.conn, e.data["team_id"]) if e.data.get("team_id") else None
            payload = {"event": "assigned", "role": e.data["role"], "role_title": ROLE_TITLES[Role(e.data["role"])],
                       "team": team["name"] if team else None, "by": e.actor}
            _tell(app, tx, state, e, [e.data["user_id"]], payload)
        elif e.kind == ev.MAJOR_PROMOTED:
            if state.coordinator_id is not None:
                who, why = [state.coordinator_id], "coordinator"
            else:
                who, why = level_one(app, tx.conn, state), "on call"
            payload = {"event": "promoted", "reason": e.data.get("reason"), "by": e.actor, "as": why}
            _tell(app, tx, state, e, who, payload)
    return []  # the notices are not timeline facts


reactor = Reactor("responders", frozenset({ev.ROLE_ASSIGNED, ev.MAJOR_PROMOTED}), react)


def level_one(app: App, conn: Connection, state: IncidentState) -> list[int]:
    """Whom level 1 of the incident's services' escalation policies reaches now."""
    if not state.service_ids:
        return []
    q = (select(services.c.escalation_policy_id).where(services.c.id.in_(state.service_ids),
                                                       services.c.escalation_policy_id.is_not(None)).distinct())
    out: list[int] = []
    for pid in sorted(conn.execute(q).scalars()):
        policy = load_policy(conn, pid)
        if policy is not None:
            out += [u for u in resolve_targets(conn, policy.levels[0], state, app.clock.now()) if u not in out]
    return out


def _tell(app: App, tx: Tx, state: IncidentState, cause: Event, user_ids: list[int], payload: dict[str, Any]) -> None:
    actor_id = tx.conn.execute(select(users.c.id).where(users.c.username == cause.actor)).scalar()
    user_ids = [u for u in user_ids if u != actor_id]
    now = app.clock.now()
    body = {**payload, "incident": incident_brief(app, state)}
    rows, seen = [], set()
    for send in planned_sends(tx.conn, user_ids, state.priority, now):
        where = (send["user_id"], send["channel"], send["address"])
        if where in seen:  # one notice per place, however many rules name it
            continue
        seen.add(where)
        rows.append({"key": f"inc{state.id}-s{cause.seq}-{payload['event']}-u{send['user_id']}-{send['rule']}-"
                            f"{send['channel']}",
                     "incident_id": state.id, "user_id": send["user_id"], "method_id": send["method_id"],
                     "channel": send["channel"], "address": send["address"], "due_at": now,
                     "payload": {**body, "recipient": {"user_id": send["user_id"]}}})
    outbox.enqueue(app, tx, rows)


# -- paging on request: the use case --------------------------------------------------------------

def page(app: App, p: Principal, incident_id: int, *, user_id: int | None = None, team_id: int | None = None,
         schedule_id: int | None = None, message: str = "") -> Event:
    """Page one person, a team or a schedule's on-call into an open incident. Returns the `responders.paged`
    event as appended (who asked, whom, their message, who was reached)."""
    given = [name for name, v in (("user_id", user_id), ("team_id", team_id), ("schedule_id", schedule_id))
             if v is not None]
    if len(given) != 1:
        raise Invalid(given[1] if given else "user_id", "give exactly one of user_id, team_id or schedule_id")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise Invalid("message", f"must be at most {MAX_MESSAGE} characters")
    with app.db.transaction() as tx:
        s = incidents.load_in(tx, incident_id)
        if not is_open(Status(s.status)):
            raise Conflict(f"INC-{s.ref} is {s.status}; only an open incident pages people (reopen it first)")
        target, user_ids, policy_id = _target(tx.conn, app, user_id, team_id, schedule_id)
        data: dict[str, Any] = {"target": target, "requested_by": p.actor, "message": message}
        extra = {"requested_by": p.actor, "message": message, "target": target["name"]}
        events: list[Event] = []
        if policy_id is not None:
            paged = start_in(app, tx, s, policy_id, "requested", extra)
            assert paged is not None  # _target checked the policy exists
            data.update(policy=paged.data["policy"], escalation_id=paged.data["escalation_id"],
                        user_ids=paged.data["user_ids"], notifications=paged.data["notifications"])
            events = [Event(PAGED, data, p.actor, app.clock.now()), paged]
        else:
            count, unreachable = _page_rows(app, tx, s, user_ids, extra)
            data.update(user_ids=user_ids, notifications=count)
            if unreachable:  # said, not hidden behind "paged": nothing of theirs covers this priority
                data["unreachable_ids"] = unreachable
            events = [Event(PAGED, data, p.actor, app.clock.now())]
        seq = s.version + 1
        incidents.append_in(app, tx, s, events)
    return events[0].at_seq(seq)


def _page_rows(app: App, tx: Tx, state: IncidentState, user_ids: list[int],
               extra: dict[str, Any]) -> tuple[int, list[int]]:
    """Pages to these people, through their contact rules (delays included), cancelled like any page.
    Returns (notifications queued, the people none of them goes to)."""
    now = app.clock.now()
    payload = {"event": "page", "incident": incident_brief(app, state), "reason": "requested", **extra}
    seq = state.version + 1
    rows = [{"key": f"inc{state.id}-req{seq}-u{send['user_id']}-{send['rule']}-{send['channel']}",
             "incident_id": state.id, "user_id": send["user_id"], "method_id": send["method_id"],
             "channel": send["channel"], "address": send["address"], "due_at": send["due_at"],
             "payload": {**payload, "recipient": {"user_id": send["user_id"]}}}
            for send in planned_sends(tx.conn, user_ids, state.priority, now)]
    outbox.enqueue(app, tx, rows)
    reached = {r["user_id"] for r in rows}
    return len(rows), [u for u in user_ids if u not in reached]


def _target(conn: Connection, app: App, user_id: int | None, team_id: int | None,
            schedule_id: int | None) -> tuple[dict[str, Any], list[int], int | None]:
    """(what was asked for, the people it reaches now, the escalation policy to start instead, if any)."""
    if user_id is not None:
        user = get_user(conn, user_id)
        if user is None:
            raise Invalid("user_id", f"no such user: {user_id}")
        if not user["active"]:
            raise Invalid("user_id", f"{user['username']} is deactivated")
        if user["role"] == UserRole.VIEWER:
            raise Invalid("user_id", f"{user['username']} is a viewer; only responders and admins are paged into "
                                     "an incident")
        return {"kind": "user", "id": user_id, "name": user["display_name"] or user["username"]}, [user_id], None
    if team_id is not None:
        team = get_team(conn, team_id)
        if team is None:
            raise Invalid("team_id", f"no such team: {team_id}")
        target = {"kind": "team", "id": team_id, "name": team["name"]}
        policy_id = team_policy(conn, team_id)
        if policy_id is not None:
            return target, [], policy_id
        members = _active(conn, [m["id"] for m in team_members_of(conn, team_id)])
        if not members:
            raise Invalid("team_id", f"{team['name']} has no active members and its services name no escalation "
                                     "policy: nobody to page")
        return target, members, None
    assert schedule_id is not None  # exactly one of the three, checked by the caller
    schedule = get_schedule(conn, schedule_id)
    if schedule is None:
        raise Invalid("schedule_id", f"no such schedule: {schedule_id}")
    who = on_call_user_in(conn, schedule_id, app.clock.now())
    if who is None:
        raise Invalid("schedule_id", f"nobody is on call in {schedule['name']} right now")
    return {"kind": "schedule", "id": schedule_id, "name": schedule["name"]}, [who], None


def team_policy(conn: Connection, team_id: int) -> int | None:
    """A team's escalation policy: the one its services name (the most used, if they name several)."""
    q = select(services.c.escalation_policy_id).where(services.c.team_id == team_id,
                                                      services.c.escalation_policy_id.is_not(None))
    counts = Counter(conn.execute(q).scalars())
    for pid, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if load_policy(conn, pid) is not None:
            return pid
    return None


def _active(conn: Connection, user_ids: list[int]) -> list[int]:
    if not user_ids:
        return []
    q = select(users.c.id).where(users.c.id.in_(user_ids), users.c.active.is_(True),
                                 users.c.role != UserRole.VIEWER.value)
    keep = set(conn.execute(q).scalars())
    return [u for u in user_ids if u in keep]

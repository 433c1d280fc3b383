"""Contact methods (where to reach a person) and rules (which method, how soon, for which priorities).

A user without rules is e-mailed at once at their account address, if they have one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from warroom.auth.permissions import Principal, UserRole
from warroom.auth.store import existing_user_ids, users
from warroom.errors import Forbidden, Invalid, NotFound
from warroom.notifications import store as st
from warroom.notifications.channels import CHANNELS
from warroom.notifications.redact import may_see, redact, shown
from warroom.platform.app import App
from warroom.platform.outbound import policy_of

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


def _own_or_admin(p: Principal, user_id: int) -> None:
    if p.user_id != user_id and p.role is not UserRole.ADMIN:
        raise Forbidden("only an admin may change another person's contact methods and rules")


def _check_user(conn: Connection, user_id: int) -> None:
    if not existing_user_ids(conn, {user_id}):
        raise NotFound(f"user {user_id} not found")


def add_method(app: App, p: Principal, user_id: int, *, kind: str, address: str, secret: str = "",
               label: str = "") -> dict[str, Any]:
    _own_or_admin(p, user_id)
    if kind not in CHANNELS:
        raise Invalid("kind", f"must be one of {', '.join(CHANNELS)}")
    address = address.strip()
    CHANNELS[kind].check(address, policy_of(app.settings))
    with app.db.transaction() as tx:
        _check_user(tx.conn, user_id)
        mid = st.insert_method(tx.conn, user_id=user_id, kind=kind, address=address, secret=secret, label=label,
                               created_at=app.clock.now())
    return {"id": mid, "user_id": user_id, "kind": kind, "address": address, "label": label,
            "has_secret": bool(secret)}


def remove_method(app: App, p: Principal, user_id: int, method_id: int) -> None:
    _own_or_admin(p, user_id)
    with app.db.transaction() as tx:
        if not st.delete_method(tx.conn, user_id, method_id):
            raise NotFound(f"contact method {method_id} of user {user_id} not found")


def add_rule(app: App, p: Principal, user_id: int, *, method_id: int, delay_minutes: int = 0,
             priorities: list[str] | None = None) -> dict[str, Any]:
    """E.g. "chat after 2 minutes for P1/P2": method_id=<chat>, delay_minutes=2, priorities=["P1", "P2"]."""
    _own_or_admin(p, user_id)
    priorities = list(priorities or [])
    bad = [x for x in priorities if x not in PRIORITIES]
    if bad:
        raise Invalid("priorities", f"unknown priority: {', '.join(bad)}")
    if not 0 <= delay_minutes <= 24 * 60:
        raise Invalid("delay_minutes", "must be between 0 and 1440")
    with app.db.transaction() as tx:
        _check_user(tx.conn, user_id)
        method = st.get_method(tx.conn, method_id)
        if method is None or method["user_id"] != user_id:
            raise Invalid("method_id", f"user {user_id} has no contact method {method_id}")
        rid = st.insert_rule(tx.conn, user_id=user_id, method_id=method_id, delay_minutes=delay_minutes,
                             priorities=priorities, created_at=app.clock.now())
    return {"id": rid, "user_id": user_id, "method_id": method_id, "delay_minutes": delay_minutes,
            "priorities": priorities}


def remove_rule(app: App, p: Principal, user_id: int, rule_id: int) -> None:
    _own_or_admin(p, user_id)
    with app.db.transaction() as tx:
        if not st.delete_rule(tx.conn, user_id, rule_id):
            raise NotFound(f"contact rule {rule_id} of user {user_id} not found")


def contacts_of(app: App, user_id: int, viewer: Principal | None = None) -> dict[str, Any]:
    """A person's methods, rules, and where a page to them goes (see where_pages_go). Secrets are never shown;
    addresses are whole for the person and admins (and for `viewer=None`, the server itself), redacted for
    everyone else."""
    whole = viewer is None or may_see(viewer, user_id)
    with app.db.read() as conn:
        _check_user(conn, user_id)
        methods = [{k: v for k, v in dict(m).items() if k != "secret"} | {"has_secret": bool(m["secret"])}
                   for m in st.methods_of(conn, user_id)]
        rules = [{k: r[k] for k in ("id", "user_id", "method_id", "delay_minutes", "priorities", "kind", "address")}
                 for r in st.rules_of(conn, [user_id])]
    if not whole:
        methods = [shown(viewer, m, "kind") for m in methods]
        rules = [shown(viewer, r, "kind") for r in rules]
    return {"user_id": user_id, "methods": methods, "rules": rules, "pages_go": where_pages_go(app, user_id)}


def planned_sends(conn: Connection, user_ids: list[int], priority: str, now: datetime) -> list[dict[str, Any]]:
    """What each user's rules ask for at `priority`: user_id, method_id, channel, address, due_at, rule."""
    if not user_ids:
        return []
    out: list[dict[str, Any]] = []
    covered: set[int] = set()
    for r in st.rules_of(conn, user_ids):
        covered.add(r["user_id"])
        if r["priorities"] and priority not in r["priorities"]:
            continue
        out.append({"user_id": r["user_id"], "method_id": r["method_id"], "channel": r["kind"],
                    "address": r["address"], "due_at": now + timedelta(minutes=r["delay_minutes"]),
                    "rule": f"r{r['id']}"})
    rest = [u for u in user_ids if u not in covered]
    if rest:
        from sqlalchemy import select

        for uid, email in conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(rest))):
            if email:
                out.append({"user_id": uid, "method_id": None, "channel": "email", "address": email,
                            "due_at": now, "rule": "default"})
    return out


def shown_address(kind: str, address: str, label: str = "") -> str:
    """Where a method points, safe to show to anyone: an e-mail address; for a URL the label or its redacted
    form (notifications/redact.py: scheme and host; an Apprise URL's host is often a token, so its scheme)."""
    if kind == "email":
        return address
    return label or redact(kind, address)


def reach_plan(conn: Connection, user_ids: list[int], now: datetime) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Per person and priority, the sends a page would make now: `planned_sends`, the very code paging uses."""
    plan: dict[int, dict[str, list[dict[str, Any]]]] = {u: {p: [] for p in PRIORITIES} for u in user_ids}
    for priority in PRIORITIES:
        for send in planned_sends(conn, user_ids, priority, now):
            minutes = int((send["due_at"] - now).total_seconds() // 60)
            plan[send["user_id"]][priority].append({**send, "delay_minutes": minutes})
    return plan


def unreachable_priorities(conn: Connection, user_ids: list[int], now: datetime) -> dict[int, list[str]]:
    """The priorities at which a page would reach each person nowhere (people reachable at all of them left out)."""
    plan = reach_plan(conn, user_ids, now)
    out = {u: [p for p in PRIORITIES if not by_p[p]] for u, by_p in plan.items()}
    return {u: ps for u, ps in out.items() if ps}


def where_pages_go(app: App, user_id: int) -> dict[str, Any]:
    """Exactly where a page to this person goes, per priority, in the order it is sent; the rules as set; the
    account e-mail fallback (used only while the person has no rules); methods no rule uses (never paged)."""
    from sqlalchemy import select

    now = app.clock.now()
    with app.db.read() as conn:
        _check_user(conn, user_id)
        plan = reach_plan(conn, [user_id], now)[user_id]
        methods = {m["id"]: m for m in st.methods_of(conn, user_id)}
        rules = st.rules_of(conn, [user_id])
        email = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar_one_or_none()

    def where(send: dict[str, Any]) -> str:
        m = methods.get(send["method_id"]) if send["method_id"] else None
        return shown_address(send["channel"], send["address"], m["label"] if m else "")

    by_priority = [{"priority": p, "sends": [{"channel": s["channel"], "where": where(s),
                                              "delay_minutes": s["delay_minutes"],
                                              "fallback": s["method_id"] is None}
                                             for s in sorted(plan[p], key=lambda s: s["delay_minutes"])]}
                   for p in PRIORITIES]
    used = {r["method_id"] for r in rules}
    return {
        "user_id": user_id,
        "by_priority": by_priority,
        "unreachable": [x["priority"] for x in by_priority if not x["sends"]],
        "rules": [{"id": r["id"], "channel": r["kind"], "delay_minutes": r["delay_minutes"],
                   "priorities": list(r["priorities"]), "where": shown_address(r["kind"], r["address"],
                                                                               methods[r["method_id"]]["label"])}
                  for r in sorted(rules, key=lambda r: (r["delay_minutes"], r["id"]))],
        "fallback_email": email if not rules and email else None,
        "unused_methods": [{"id": m["id"], "kind": m["kind"], "where": shown_address(m["kind"], m["address"],
                                                                                     m["label"])}
                           for m in methods.values() if m["id"] not in used],
    }

"""A small demo organisation so a newcomer sees a working product at once.

It is test data, marked as such: its people get random passwords (returned once, to be printed once), every page
shows a banner while it is present (the `demo` setting, which also records what the demo created), and
`remove_demo` takes it out again whole: its people, teams, services, schedules, policies, integrations, and the
incidents on them with their timelines, alerts and notifications. Deleting timeline rows breaks the append-only
rule on purpose: a demo incident is not a record of anything that happened (docs/security.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Connection

from warroom.alerts import queries as alert_queries
from warroom.alerts import service as alerts
from warroom.alerts.sources import alertmanager, pagerduty
from warroom.auth import service as auth
from warroom.auth import store as auth_store
from warroom.auth.permissions import Principal, UserRole
from warroom.catalog import service as catalog
from warroom.catalog import store as cat_store
from warroom.errors import Conflict, NotFound
from warroom.escalation import queries as esc_queries
from warroom.escalation import service as escalation
from warroom.incidents import service as incidents
from warroom.incidents import store as inc_store
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Urgency
from warroom.incidents.roles import Role
from warroom.oncall import queries as oncall_queries
from warroom.oncall import service as oncall
from warroom.platform import audit, kv
from warroom.platform.app import App
from warroom.platform.purge import purge

TEAMS = ["Infrastructure", "Networks", "Databases", "Applications", "Customer Service", "Security", "Development"]
PEOPLE = [  # username, name, team, role
    ("maria", "Maria Okafor", "Infrastructure", UserRole.RESPONDER),
    ("li", "Li Wei", "Networks", UserRole.RESPONDER),
    ("sam", "Sam Patel", "Databases", UserRole.RESPONDER),
    ("jo", "Jo Fischer", "Applications", UserRole.RESPONDER),
    ("ines", "Ines Duarte", "Customer Service", UserRole.RESPONDER),
    ("tom", "Tom Berg", "Security", UserRole.RESPONDER),
    ("dev", "Dev Anand", "Development", UserRole.RESPONDER),
    ("claire", "Claire Martin", "Applications", UserRole.RESPONDER),  # coordinator
    ("exec", "Erin Exec", None, UserRole.VIEWER),
]
SERVICES = [  # name, team, tier, depends on, description
    ("core-network", "Networks", 1, [], "Data-centre and cloud networking"),
    ("postgres-main", "Databases", 1, ["core-network"], "Primary PostgreSQL cluster"),
    ("identity", "Security", 1, ["postgres-main"], "Login and single sign-on"),
    ("payments", "Applications", 1, ["postgres-main", "identity"], "Card and wallet payments"),
    ("checkout", "Applications", 1, ["payments", "identity"], "Web and mobile checkout"),
    ("search", "Development", 2, ["core-network"], "Product search"),
    ("support-portal", "Customer Service", 3, ["identity"], "Customer help centre"),
]
DEMO_KEY = "demo"  # org setting: present while the demo is loaded; holds the ids of what it created


@dataclass(frozen=True)
class Loaded:
    summary: str
    passwords: dict[str, str] = field(default_factory=dict)  # username -> random password, shown once


def _password() -> str:
    return secrets.token_urlsafe(12)
SCHEDULES = ("Primary on-call", "Secondary on-call")
POLICY = "Tier-1 services"


def _paging(app: App, user_ids: dict[str, int], team_ids: dict[str, int]) -> int:
    """Two on-call rotations and the escalation policy of the tier-1 services."""
    admin = auth.system_principal()
    start = (app.clock.now() - timedelta(days=7)).date().isoformat() + "T09:00"  # already running in every zone
    primary = oncall.create_schedule(
        app, admin, name=SCHEDULES[0], time_zone="Europe/Berlin",
        description="Weekly rotation of the platform engineers, handoff Monday 09:00 Berlin time",
        layers=[{"name": "weekly", "user_ids": [user_ids[u] for u in ("sam", "maria", "li", "jo")],
                 "start": start, "shift": "weekly"}])
    secondary = oncall.create_schedule(
        app, admin, name=SCHEDULES[1], time_zone="America/New_York",
        description="Daily backup rotation",
        layers=[{"name": "daily", "user_ids": [user_ids[u] for u in ("dev", "tom", "claire")],
                 "start": start, "shift": "daily"}])
    policy = escalation.create_policy(
        app, admin, name=POLICY, repeat=1,
        description="Primary on-call, then secondary, then the Infrastructure team",
        levels=[{"timeout_minutes": 5, "targets": [{"kind": "schedule", "id": primary["id"]}]},
                {"timeout_minutes": 10, "targets": [{"kind": "schedule", "id": secondary["id"]}]},
                {"timeout_minutes": 15, "targets": [{"kind": "team", "id": team_ids["Infrastructure"]}]}])
    return policy["id"]


INTEGRATIONS = ("Prometheus (demo)", "Grafana (demo)")


def _alertmanager_post(status: str, alerts_: list[tuple[str, str, str, str]], when: datetime) -> dict[str, Any]:
    """An Alertmanager webhook body (payload version 4) for alerts of (alertname, instance, severity, summary)."""
    return {"version": "4", "groupKey": "{}:{alertname=" + f'"{alerts_[0][0]}"' + "}", "status": status,
            "receiver": "warroom", "groupLabels": {"alertname": alerts_[0][0]}, "alerts": [
                {"status": status, "labels": {"alertname": name, "instance": instance, "severity": severity,
                                              "job": "postgres", "service": "postgres-main"},
                 "annotations": {"summary": summary,
                                 "runbook_url": f"https://runbooks.example.com/postgres/{name.lower()}"},
                 "startsAt": when.isoformat(), "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr={name}",
                 "fingerprint": f"{name}-{instance}"[:64]}
                for name, instance, severity, summary in alerts_]}


def _alerts(app: App, svc: dict[str, int]) -> int:
    """Two monitoring integrations and what they sent: an incident opened by Alertmanager alerts, an info alert a
    rule suppresses, and a Grafana alert that fired and resolved its incident on its own. The keys are not
    kept: rotate one on the integration's page to send alerts of your own."""
    admin = auth.system_principal()
    _, prom_key = alerts.create_integration(
        app, admin, name=INTEGRATIONS[0], kind="alertmanager", service_id=svc["postgres-main"],
        config={"group_by": ["alertname"], "rules": [{"match": {"severity": "info"}, "suppress": True}]})
    _, grafana_key = alerts.create_integration(app, admin, name=INTEGRATIONS[1], kind="pagerduty",
                                               service_id=svc["identity"])
    prom, grafana = alerts.authenticate(app, prom_key), alerts.authenticate(app, grafana_key)
    assert prom is not None and grafana is not None
    now = app.clock.now()
    lag = [("PostgresReplicationLag", f"pg-replica-{i}:9187", "warning",
            f"Replication lag above 60 s on pg-replica-{i}") for i in (1, 2)]
    alerts.ingest(app, prom, alertmanager.parse(_alertmanager_post("firing", lag, now - timedelta(minutes=38))))
    alerts.ingest(app, prom, alertmanager.parse(_alertmanager_post(
        "firing", [("PostgresDiskUsage", "pg-main-1:9100", "info", "Disk 71% full on pg-main-1")], now)))
    event = {"routing_key": grafana_key, "event_action": "trigger", "dedup_key": "grafana-identity-5xx",
             "payload": {"summary": "Identity login error rate above 5%", "source": "grafana", "severity": "warning",
                         "component": "identity", "custom_details": {"rate": "7.2%"}},
             "links": [{"href": "https://grafana.example.com/d/identity", "text": "Identity dashboard"}]}
    alerts.ingest(app, grafana, [pagerduty.parse(event)])
    alerts.ingest(app, grafana, [pagerduty.parse({**event, "event_action": "resolve"})])
    return 2


def load_demo_if_empty(app: App) -> Loaded | None:
    with app.db.read() as conn:
        if inc_store.next_ref(conn) > 1 or cat_store.list_teams(conn):
            return None
    try:
        return load_demo(app)
    except Conflict:  # names the demo needs are taken: the database is not empty after all
        return None


def is_loaded(app: App) -> bool:
    with app.db.read() as conn:
        return kv.get(conn, DEMO_KEY) is not None


def load_demo(app: App) -> Loaded:
    with app.db.read() as conn:
        if kv.get(conn, DEMO_KEY) is not None or cat_store.get_team_by_name(conn, TEAMS[0]) is not None:
            raise Conflict("the demo organisation is already loaded")
        first_incident = _last_incident_id(conn)
        taken = ([t for t in TEAMS if cat_store.get_team_by_name(conn, t)]
                 + [p[0] for p in PEOPLE if auth_store.get_user_by_name(conn, p[0])]
                 + [s[0] for s in SERVICES if cat_store.get_service_by_name(conn, s[0])])
    taken += [n for n in SCHEDULES if n in {r["name"] for r in oncall_queries.list_schedules(app)}]
    taken += [n for n in (POLICY,) if n in {r["name"] for r in esc_queries.list_policies(app)}]
    taken += [n for n in INTEGRATIONS if n in {r["name"] for r in alert_queries.list_integrations(app)}]
    if taken:  # checked up front so a clash leaves nothing half-loaded
        raise Conflict(f"cannot load the demo: these names are taken: {', '.join(taken)}")
    team_ids = {name: catalog.create_team(app, name, f"The {name} team")["id"] for name in TEAMS}
    user_ids: dict[str, int] = {}
    passwords = {username: _password() for username, *_ in PEOPLE}
    for username, name, team, role in PEOPLE:
        row = auth.create_user(app, username=username, display_name=name, role=role,
                               email=f"{username}@example.com", password=passwords[username])
        user_ids[username] = row["id"]
        if team:
            catalog.add_member(app, team_ids[team], row["id"], "lead" if username in ("maria", "claire") else "member")
    policy_id = _paging(app, user_ids, team_ids)
    svc: dict[str, int] = {}
    for name, team, tier, deps, desc in SERVICES:
        svc[name] = catalog.create_service(app, name=name, description=desc, team_id=team_ids[team], tier=tier,
                                           depends_on=[svc[d] for d in deps],
                                           escalation_policy_id=policy_id if tier == 1 else None)["id"]

    claire = Principal(user_ids["claire"], "claire", UserRole.RESPONDER, "Claire Martin")
    sam = Principal(user_ids["sam"], "sam", UserRole.RESPONDER, "Sam Patel")
    now = app.clock.now()

    big = incidents.declare(app, sam, title="Checkout failing: payment database unreachable",
                            description="Checkout returns **HTTP 500** for most customers. `postgres-main` "
                                        "primary stopped accepting connections.",
                            category="availability", service_ids=[svc["checkout"], svc["payments"],
                                                                  svc["postgres-main"]],
                            identified_via="monitoring", impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL,
                            detected_at=now - timedelta(minutes=42))
    incidents.acknowledge(app, sam, big.id)
    incidents.promote(app, claire, big.id, "Revenue-impacting outage of a tier-1 service")
    incidents.assign(app, claire, big.id, Role.COORDINATOR, user_ids["claire"])
    incidents.assign(app, claire, big.id, Role.COMMS_LEAD, user_ids["ines"])
    incidents.assign(app, claire, big.id, Role.EXPERT, user_ids["sam"], team_ids["Databases"])
    incidents.assign(app, claire, big.id, Role.EXPERT, user_ids["li"], team_ids["Networks"])
    incidents.move(app, sam, big.id, Status.INVESTIGATING)
    incidents.add_note(app, sam, big.id, "Primary's disk is full; WAL archiving stalled. Failing over to replica.")

    child = incidents.declare(app, claire, title="Support portal login errors", service_ids=[svc["support-portal"]],
                              identified_via="customer", impact=Impact.MODERATE, urgency=Urgency.HIGH,
                              detected_at=now - timedelta(minutes=30))
    incidents.link_child(app, claire, big.id, child.id)

    dup = incidents.declare(app, claire, title="Customers report checkout errors", service_ids=[svc["checkout"]],
                            identified_via="customer", impact=Impact.SIGNIFICANT, urgency=Urgency.HIGH,
                            detected_at=now - timedelta(minutes=35))
    incidents.merge(app, claire, dup.id, big.id)

    search = incidents.declare(app, claire, title="Search latency above 2 s", service_ids=[svc["search"]],
                               identified_via="monitoring", impact=Impact.MODERATE, urgency=Urgency.MEDIUM,
                               detected_at=now - timedelta(hours=3))
    incidents.move(app, claire, search.id, Status.CONTAINED, note="Traffic shifted to the secondary cluster")

    old = incidents.declare(app, claire, title="Expired TLS certificate on identity", service_ids=[svc["identity"]],
                            identified_via="engineer", impact=Impact.SIGNIFICANT, urgency=Urgency.CRITICAL,
                            detected_at=now - timedelta(days=2))
    incidents.move(app, claire, old.id, Status.INVESTIGATING)
    incidents.move(app, claire, old.id, Status.RESOLVED, note="Certificate renewed")
    incidents.move(app, claire, old.id, Status.CLOSED)

    incidents.declare(app, claire, title="Intermittent packet loss between zones", service_ids=[svc["core-network"]],
                      identified_via="third_party", impact=Impact.MINOR, urgency=Urgency.LOW)
    from_alerts = _alerts(app, svc)
    with app.db.transaction() as tx:
        created = {
            "users": sorted(user_ids.values()), "teams": sorted(team_ids.values()), "services": sorted(svc.values()),
            "schedules": [r["id"] for r in oncall_queries.list_schedules(app) if r["name"] in SCHEDULES],
            "policies": [r["id"] for r in esc_queries.list_policies(app) if r["name"] == POLICY],
            "integrations": [r["id"] for r in alert_queries.list_integrations(app) if r["name"] in INTEGRATIONS],
            "incidents": list(tx.conn.execute(select(inc_store.incidents.c.id).where(
                inc_store.incidents.c.id > first_incident)).scalars())}
        kv.put(tx.conn, DEMO_KEY, {"loaded_at": now.isoformat(), "created": created}, at=now, by="warroom demo")
    return Loaded(f"demo loaded: {len(TEAMS)} teams, {len(PEOPLE)} people, {len(SERVICES)} services, "
                  f"2 on-call schedules, 1 escalation policy, {6 + from_alerts} incidents ({from_alerts} opened by "
                  f"alerts from {len(INTEGRATIONS)} monitoring integrations)", passwords)


def print_passwords(loaded: Loaded, echo: Callable[[str], object]) -> None:
    """The demo people's logins, as a table; shown this once (only hashes are stored)."""
    echo("Demo logins (shown once):")
    width = max(len(u) for u in loaded.passwords)
    roles = {username: (role.value, name) for username, name, _, role in PEOPLE}
    for username, password in loaded.passwords.items():
        role, name = roles[username]
        echo(f"  {username:<{width}}  {password}  {role:<9}  {name}")


def _last_incident_id(conn: Connection) -> int:
    return conn.execute(select(func.max(inc_store.incidents.c.id))).scalar() or 0


def remove_demo(app: App) -> str:
    """Take the demo out of the database in one transaction: what it created, and the incidents on its services,
    from its integrations or with its people in a role (those were made by playing with the demo)."""
    from warroom.alerts import store as alert_store
    from warroom.escalation import store as esc_store
    from warroom.oncall import store as oncall_store

    now = app.clock.now()
    with app.db.transaction() as tx:
        conn = tx.conn
        state = kv.get(conn, DEMO_KEY)
        if state is None:
            raise NotFound("there is no demo organisation in this database")
        ids = {k: set(v) for k, v in state["created"].items()}
        kept = _real_references(conn, ids)
        if kept:
            raise Conflict("the demo cannot be removed while your own data points at it: " + "; ".join(kept)
                           + ". Change or delete those first")
        inc = inc_store.incidents
        incident_ids = ids["incidents"] | set(conn.execute(
            select(inc_store.incident_services.c.incident_id)
            .where(inc_store.incident_services.c.service_id.in_(ids["services"]))).scalars())
        incident_ids |= set(conn.execute(select(alert_store.alerts.c.incident_id).where(
            alert_store.alerts.c.integration_id.in_(ids["integrations"]),
            alert_store.alerts.c.incident_id.is_not(None))).scalars())
        counts = {"incidents": purge(conn, inc, "id", incident_ids),
                  "integrations": purge(conn, alert_store.alert_integrations, "id", ids["integrations"]),
                  "services": purge(conn, cat_store.services, "id", ids["services"]),
                  "policies": purge(conn, esc_store.policies, "id", ids["policies"]),
                  "schedules": purge(conn, oncall_store.schedules, "id", ids["schedules"]),
                  "teams": purge(conn, cat_store.teams, "id", ids["teams"])}
        counts["incidents"] += purge(conn, inc, "id", set(conn.execute(select(inc.c.id).where(or_(
            inc.c.coordinator_id.in_(ids["users"]), inc.c.comms_lead_id.in_(ids["users"]),
            inc.c.scribe_id.in_(ids["users"])))).scalars()))
        counts["people"] = purge(conn, auth_store.users, "id", ids["users"])
        conn.execute(delete(kv.org_settings).where(kv.org_settings.c.key == DEMO_KEY))
        audit.record(conn, at=now, actor="warroom demo", subject="demo", subject_id=0, action="removed",
                     data=counts)
    _forget_cached(app)
    return "demo removed: " + ", ".join(f"{n} {what}" for what, n in counts.items())


def _real_references(conn: Connection, ids: dict[str, set[int]]) -> list[str]:
    """What was made after the demo (not by it) and names its people, schedules, teams or policies by id in JSON
    (schedule layers, policy targets) or without a foreign key (a service's policy). Removing the demo under
    them would leave a rota or a policy paging nobody, and SQLite gives the next new person a removed id."""
    from warroom.escalation import store as esc_store
    from warroom.oncall import store as oncall_store

    names = dict(conn.execute(select(auth_store.users.c.id, auth_store.users.c.username)
                              .where(auth_store.users.c.id.in_(ids["users"]))).all()) if ids["users"] else {}
    found = []
    for row in conn.execute(select(oncall_store.schedules.c.name, oncall_store.schedules.c.layers)
                            .where(oncall_store.schedules.c.id.not_in(ids["schedules"]))):
        people = sorted({names[u] for layer in row.layers or [] for u in layer.get("user_ids") or [] if u in names})
        if people:
            found.append(f"schedule {row.name!r} has {', '.join(people)} on its rota")
    kinds = {"user": "users", "schedule": "schedules", "team": "teams"}
    for row in conn.execute(select(esc_store.policies.c.name, esc_store.policies.c.levels)
                            .where(esc_store.policies.c.id.not_in(ids["policies"]))):
        hits = [f"{t.get('kind')} {names.get(t.get('id'), t.get('id'))}" for level in row.levels or []
                for t in level.get("targets") or [] if t.get("kind") in kinds and t.get("id") in ids[kinds[t["kind"]]]]
        if hits:
            found.append(f"escalation policy {row.name!r} pages demo {', '.join(sorted(set(hits)))}")
    if ids["policies"]:
        for name in conn.execute(select(cat_store.services.c.name).where(
                cat_store.services.c.id.not_in(ids["services"]),
                cat_store.services.c.escalation_policy_id.in_(ids["policies"]))).scalars():
            found.append(f"service {name!r} uses the demo escalation policy")
        if (kv.get(conn, escalation.DEFAULT_POLICY_KEY) or {}).get("policy_id") in ids["policies"]:
            found.append("the default escalation policy is the demo's")
        if (kv.get(conn, escalation.TARGETS_KEY) or {}).get("breach_policy_id") in ids["policies"]:
            found.append("the response targets' breach policy is the demo's")
    return found


def _forget_cached(app: App) -> None:
    """This process's memory of alert groups and the catalog now names deleted rows (and SQLite reuses the highest
    ids). Other running processes keep theirs until restarted: the CLI says so."""
    app.alerts.forget_cached()

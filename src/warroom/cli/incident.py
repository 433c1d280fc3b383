"""`warroom incident ...`: declare, list, show, edit, ack, move, promote, demote, note, assign, page, unassign,
link, merge, timeline."""

from __future__ import annotations

from typing import Any

import typer

from warroom.cli.client import Client
from warroom.cli.output import die, print_json, print_table
from warroom.incidents.filters import IncidentFilter
from warroom.incidents.lifecycle import Status
from warroom.incidents.priority import Impact, Priority, Urgency
from warroom.incidents.roles import Role

app = typer.Typer(no_args_is_help=True)

Url = typer.Option(None, "--url", help="Server URL (or WARROOM_URL)")
Token = typer.Option(None, "--token", help="API token (or WARROOM_TOKEN)")
Json = typer.Option(False, "--json", help="Print JSON for scripts")

LIST_COLS = ["ref", "priority", "major", "status", "title", "age"]


def _age(item: dict[str, Any]) -> str:
    from datetime import datetime

    from warroom.platform.clock import SystemClock

    start = datetime.fromisoformat(item["detected_at"].replace("Z", "+00:00"))
    secs = int((SystemClock().now() - start).total_seconds())
    d, rem = divmod(max(secs, 0), 86400)
    h, rem = divmod(rem, 3600)
    return f"{d}d{h}h" if d else f"{h}h{rem // 60}m"


def _show(item: dict[str, Any], as_json: bool, names: dict[int, str] | None = None) -> None:
    if as_json:
        print_json(item)
        return
    typer.echo(f"{item['ref']}  {item['title']}")
    major = "  MAJOR" if item["major"] else ""
    typer.echo(f"  status {item['status']}   priority {item['priority']} (impact {item['impact']}, "
               f"urgency {item['urgency']}){major}   version {item['version']}")
    facts = [("declared by", item["declared_by"]), ("via", item["identified_via"]), ("category", item["category"]),
             ("services", ", ".join(map(str, item["service_ids"]))), ("priority reason", item["priority_reason"]),
             ("major reason", item["major_reason"] if item["major"] else None),
             ("parent", item["parent_id"]), ("duplicate of", item["duplicate_of_id"])]
    typer.echo("  " + "   ".join(f"{k} {v}" for k, v in facts if v not in (None, "")))
    if item["description"]:
        typer.echo("  " + item["description"].replace("\n", "\n  "))
    names = names or {}
    who = {r: item[f"{r}_id"] for r in ("coordinator", "comms_lead", "scribe") if item[f"{r}_id"]}
    roles = [f"{r}={names.get(uid, uid)}" for r, uid in who.items()]
    if roles or item["experts"]:
        experts = [f"expert={names.get(x['user_id'], x['user_id'])}@team{x['team_id']}" for x in item["experts"]]
        typer.echo("  roles  " + " ".join(roles + experts))
    for m in ("detected_at", "acknowledged_at", "investigating_at", "contained_at", "resolved_at", "closed_at"):
        if item.get(m):
            typer.echo(f"  {m:<17}{item[m]}")


@app.command()
def declare(
    title: str = typer.Argument(..., help="What is broken, in a line"),
    impact: Impact = typer.Option(..., help="extensive, significant, moderate, minor"),
    urgency: Urgency = typer.Option(..., help="critical, high, medium, low"),
    description: str = typer.Option("", "--description", "-d"),
    category: str = typer.Option(""),
    service: list[int] = typer.Option([], "--service", help="Affected service id (repeatable)"),
    identified_via: str = typer.Option("engineer", help="monitoring, engineer, customer, third_party"),
    priority: Priority | None = typer.Option(None, help="Override the matrix (needs --priority-reason)"),
    priority_reason: str | None = typer.Option(None),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Declare an incident."""
    body = {"title": title, "impact": impact.value, "urgency": urgency.value, "description": description,
            "category": category, "service_ids": service, "identified_via": identified_via,
            "priority": priority.value if priority else None, "priority_reason": priority_reason}
    item = Client(url, token).call("POST", "/api/v1/incidents", json=body)
    if as_json:
        print_json(item)
    else:
        typer.echo(f"declared {item['ref']} ({item['priority']}): {item['title']}")


@app.command("list")
def list_(
    status: list[Status] = typer.Option([], "--status"),
    priority: list[Priority] = typer.Option([], "--priority"),
    major: bool | None = typer.Option(None, "--major/--not-major"),
    open_: bool | None = typer.Option(None, "--open/--closed", help="Only open, or only resolved/closed"),
    service: int | None = typer.Option(None, "--service"),
    team: int | None = typer.Option(None, "--team"),
    q: str | None = typer.Option(None, "--search", "-q"),
    limit: int = typer.Option(50), offset: int = typer.Option(0),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """List incidents in work-queue order (open majors first, then priority, then age)."""
    f = IncidentFilter(q=q or "", statuses=tuple(s.value for s in status), priorities=tuple(p.value for p in priority),
                       major=major, open_only=open_, service_id=service, team_id=team)
    params = [("limit", str(limit)), ("offset", str(offset)), *f.params()]
    page = Client(url, token).call("GET", "/api/v1/incidents", params=params)
    if as_json:
        print_json(page)
        return
    rows = [{**i, "major": "MAJOR" if i["major"] else "", "age": _age(i)} for i in page["items"]]
    print_table(LIST_COLS, rows)
    typer.echo(f"{len(rows)} of {page['total']}")


@app.command()
def show(incident: str, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Show one incident (INC-42 or its id)."""
    client = Client(url, token)
    item = client.call("GET", f"/api/v1/incidents/{incident}")
    names = {} if as_json else {u["id"]: u["username"] for u in client.call("GET", "/api/v1/users")}
    _show(item, as_json, names)


@app.command()
def ack(incident: str, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Acknowledge an incident (stops its escalation)."""
    item = Client(url, token).call("POST", f"/api/v1/incidents/{incident}/acknowledge")
    _done(item, f"acknowledged {item['ref']}", as_json)


@app.command()
def move(incident: str, status: Status, note: str | None = typer.Option(None),
         version: int | None = typer.Option(None, help="Fail with 409 unless still at this version"),
         children: str | None = typer.Option(None, "--children",
                                             help="A parent with open children: 'resolve' them too or 'detach' them"),
         url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Move an incident to another status."""
    body: dict[str, Any] = {"status": status.value, "note": note, "version": version}
    if children is not None:
        body["children"] = children
    item = Client(url, token).call("POST", f"/api/v1/incidents/{incident}/status", json=body)
    _done(item, f"{item['ref']} is now {item['status']}", as_json)


@app.command()
def promote(incident: str, reason: str = typer.Option(..., "--reason", "-r"), url: str | None = Url,
            token: str | None = Token, as_json: bool = Json) -> None:
    """Promote to a major incident."""
    item = Client(url, token).call("POST", f"/api/v1/incidents/{incident}/promote", json={"reason": reason})
    _done(item, f"{item['ref']} is a major incident", as_json)


@app.command()
def demote(incident: str, reason: str = typer.Option(..., "--reason", "-r"), url: str | None = Url,
           token: str | None = Token, as_json: bool = Json) -> None:
    """Demote from major incident."""
    item = Client(url, token).call("POST", f"/api/v1/incidents/{incident}/demote", json={"reason": reason})
    _done(item, f"{item['ref']} is no longer a major incident", as_json)


@app.command()
def note(incident: str, text: str, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Add a note (Markdown) to the timeline."""
    ev = Client(url, token).call("POST", f"/api/v1/incidents/{incident}/notes", json={"text": text})
    _done(ev, f"note added as event {ev['seq']}", as_json)


@app.command()
def assign(incident: str, role: Role, user: str = typer.Option(..., "--user", help="Username or user id"),
           team: str | None = typer.Option(None, "--team", help="Team name or id (experts only)"),
           url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Assign a role: coordinator, comms_lead, scribe, or expert (with --team)."""
    client = Client(url, token)
    user_id = _lookup(client, "/api/v1/users", "username", user, "user")
    team_id = _lookup(client, "/api/v1/teams", "name", team, "team") if team is not None else None
    item = client.call("POST", f"/api/v1/incidents/{incident}/roles",
                       json={"role": role.value, "user_id": user_id, "team_id": team_id})
    _done(item, f"{item['ref']}: {role.value} is now {user}" + (f" ({team})" if team else ""), as_json)


@app.command()
def page(incident: str, user: str | None = typer.Option(None, "--user", help="Username or user id"),
         team: str | None = typer.Option(None, "--team", help="Team name or id (its policy, else its members)"),
         schedule: str | None = typer.Option(None, "--schedule", help="Schedule name or id (whoever is on call)"),
         message: str = typer.Option("", "--message", "-m", help="What you need from them"),
         url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Page a person, a team or a schedule's on-call into the incident (stops once it is acknowledged)."""
    if [user, team, schedule].count(None) != 2:
        die("give exactly one of --user, --team or --schedule")
    client = Client(url, token)
    body: dict[str, Any] = {"message": message}
    if user is not None:
        body["user_id"] = _lookup(client, "/api/v1/users", "username", user, "user")
    elif team is not None:
        body["team_id"] = _lookup(client, "/api/v1/teams", "name", team, "team")
    elif schedule is not None:
        body["schedule_id"] = _lookup(client, "/api/v1/schedules", "name", schedule, "schedule")
    ev = client.call("POST", f"/api/v1/incidents/{incident}/pages", json=body)
    d = ev["data"]
    via = f" through its policy {d['policy']}" if d.get("policy") else ""
    reached = len(d.get("user_ids") or []) - len(d.get("unreachable_ids") or []) if d.get("notifications") else 0
    lost = len(d.get("unreachable_ids") or []) or (0 if d.get("notifications") else len(d.get("user_ids") or []))
    why = f"; {lost} cannot be reached (no contact rule or account e-mail for this priority)" if lost else ""
    _done(ev, f"{incident}: paged {d['target']['kind']} {d['target']['name']}{via}: {reached} "
              f"{'person' if reached == 1 else 'people'} reached, {d.get('notifications', 0)} notification(s){why}",
          as_json)


@app.command()
def unassign(incident: str, role: Role, user: str | None = typer.Option(None, "--user", help="Expert: username or id"),
             team: str | None = typer.Option(None, "--team", help="Expert: team name or id"),
             url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Take a role away: coordinator, comms_lead, scribe, or an expert (with --user and --team)."""
    client = Client(url, token)
    user_id = _lookup(client, "/api/v1/users", "username", user, "user") if user is not None else None
    team_id = _lookup(client, "/api/v1/teams", "name", team, "team") if team is not None else None
    item = client.call("POST", f"/api/v1/incidents/{incident}/roles/remove",
                       json={"role": role.value, "user_id": user_id, "team_id": team_id})
    _done(item, f"{item['ref']}: {role.value} removed", as_json)


@app.command()
def edit(
    incident: str,
    title: str | None = typer.Option(None),
    description: str | None = typer.Option(None, "--description", "-d"),
    category: str | None = typer.Option(None),
    service: list[int] | None = typer.Option(None, "--service",
                                             help="Affected service id (repeatable; replaces the list)"),
    impact: Impact | None = typer.Option(None),
    urgency: Urgency | None = typer.Option(None),
    priority: Priority | None = typer.Option(None, help="Override the matrix (needs --priority-reason)"),
    priority_reason: str | None = typer.Option(None),
    version: int | None = typer.Option(None, help="Fail with 409 unless still at this version"),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Edit fields; a new impact or urgency recomputes the priority (unless overridden)."""
    body = {"title": title, "description": description, "category": category, "service_ids": service or None,
            "impact": impact.value if impact else None, "urgency": urgency.value if urgency else None,
            "priority": priority.value if priority else None, "priority_reason": priority_reason, "version": version}
    body = {k: v for k, v in body.items() if v is not None}
    if not body.keys() - {"version"}:
        die("nothing to change: give at least one field (see --help)")
    item = Client(url, token).call("PATCH", f"/api/v1/incidents/{incident}", json=body)
    _done(item, f"{item['ref']} edited (priority {item['priority']}, version {item['version']})", as_json)


@app.command()
def link(parent: str, child: str, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Put CHILD under the major incident PARENT (both INC-n or ids)."""
    client = Client(url, token)
    child_id = client.call("GET", f"/api/v1/incidents/{child}")["id"]
    item = client.call("POST", f"/api/v1/incidents/{parent}/children", json={"child_id": child_id})
    _done(item, f"{child} is now a child of {item['ref']}", as_json)


@app.command()
def merge(duplicate: str, into: str = typer.Option(..., "--into", help="The primary incident (INC-n or id)"),
          url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Merge DUPLICATE into the primary incident (the duplicate is resolved with a note)."""
    client = Client(url, token)
    primary_id = client.call("GET", f"/api/v1/incidents/{into}")["id"]
    item = client.call("POST", f"/api/v1/incidents/{duplicate}/merge", json={"primary_id": primary_id})
    _done(item, f"{duplicate} merged into {item['ref']}", as_json)


def _lookup(client: Client, path: str, key: str, value: str, noun: str) -> int:
    """An id given as digits is used as is; a name is looked up (case-insensitively)."""
    if value.isascii() and value.isdigit():
        return int(value)
    matches = [row["id"] for row in client.call("GET", path) if str(row[key]).lower() == value.strip().lower()]
    if not matches:
        die(f"no {noun} named {value!r}")
    return matches[0]


@app.command()
def timeline(incident: str, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Print the timeline."""
    events = Client(url, token).call("GET", f"/api/v1/incidents/{incident}/timeline")
    if as_json:
        print_json(events)
        return
    print_table(["seq", "occurred_at", "actor", "kind", "data"],
                [{**e, "data": _brief(e["data"])} for e in events])


def _brief(data: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", []))
    return text if len(text) <= 80 else text[:77] + "..."


def _done(item: dict[str, Any], message: str, as_json: bool) -> None:
    if as_json:
        print_json(item)
    else:
        typer.echo(message)

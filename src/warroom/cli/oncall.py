"""`warroom oncall`, `warroom schedule`, `warroom policy`, `warroom notification`: talk to a server over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from warroom.cli.client import Client
from warroom.cli.output import die, print_json, print_table

Url = typer.Option(None, "--url", help="Server URL (or WARROOM_URL)")
Token = typer.Option(None, "--token", help="API token (or WARROOM_TOKEN)")
Json = typer.Option(False, "--json", help="Print JSON for scripts")

oncall_app = typer.Typer(no_args_is_help=True, help="Who is on call (talks to a server).")
schedule_app = typer.Typer(no_args_is_help=True, help="On-call schedules and overrides (talks to a server).")
policy_app = typer.Typer(no_args_is_help=True, help="Escalation policies and response targets (talks to a server).")
notification_app = typer.Typer(no_args_is_help=True,
                               help="Notification deliveries and dead letters (talks to a server).")


def register(app: typer.Typer) -> None:
    from warroom.cli import contact

    app.add_typer(contact.app, name="contact")
    app.add_typer(oncall_app, name="oncall")
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(policy_app, name="policy")
    app.add_typer(notification_app, name="notification")


def _out(data: Any, as_json: bool, cols: list[str]) -> None:
    if as_json:
        print_json(data)
    else:
        print_table(cols, data if isinstance(data, list) else [data])


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        die(f"{path}: {exc}")


ONCALL_COLS = ["schedule", "user_id", "layer", "until"]


@oncall_app.command("now")
def oncall_now(schedule: int | None = typer.Option(None, "--schedule", help="Only this schedule id"),
               url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Who is on call right now, per schedule."""
    params = {"schedule_id": schedule} if schedule else {}
    _out(Client(url, token).call("GET", "/api/v1/oncall", params=params), as_json, ONCALL_COLS)


@oncall_app.command("at")
def oncall_at(when: str = typer.Argument(..., help="ISO time, e.g. 2026-03-29T08:00:00+02:00"),
              schedule: int | None = typer.Option(None, "--schedule"),
              url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Who is (or was, or will be) on call at a time."""
    params: dict[str, Any] = {"at": when}
    if schedule:
        params["schedule_id"] = schedule
    _out(Client(url, token).call("GET", "/api/v1/oncall", params=params), as_json, ["at", *ONCALL_COLS])


@schedule_app.command("list")
def schedule_list(url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    _out(Client(url, token).call("GET", "/api/v1/schedules"), as_json, ["id", "name", "time_zone"])


@schedule_app.command("show")
def schedule_show(schedule_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    s = Client(url, token).call("GET", f"/api/v1/schedules/{schedule_id}")
    if as_json:
        print_json(s)
        return
    typer.echo(f"{s['id']}  {s['name']}  ({s['time_zone']})  on call now: {s['on_call_now']['user_id']}")
    for i, layer in enumerate(s["layers"]):
        typer.echo(f"  layer {i + 1} {layer['name']}: {layer['shift']} from {layer['start']} users {layer['user_ids']}")
    for o in s["overrides"]:
        typer.echo(f"  override {o['id']}: user {o['user_id']} {o['start_at']} .. {o['end_at']} {o['note']}")


@schedule_app.command("create")
def schedule_create(file: Path = typer.Argument(..., help="JSON: {name, time_zone, layers: [...]}"),
                    url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Create a schedule from a JSON file (see the API docs for the layer fields)."""
    s = Client(url, token).call("POST", "/api/v1/schedules", json=_load(file))
    _out(s, as_json, ["id", "name", "time_zone"])


@schedule_app.command("update")
def schedule_update(schedule_id: int, file: Path = typer.Argument(..., help="JSON: {name, time_zone, layers: [...]}"),
                    url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Replace a schedule's name, time zone and layers (overrides are kept)."""
    s = Client(url, token).call("PUT", f"/api/v1/schedules/{schedule_id}", json=_load(file))
    _out(s, as_json, ["id", "name", "time_zone"])


@schedule_app.command("delete")
def schedule_delete(schedule_id: int, url: str | None = Url, token: str | None = Token) -> None:
    Client(url, token).call("DELETE", f"/api/v1/schedules/{schedule_id}")
    typer.echo(f"schedule {schedule_id} deleted")


@schedule_app.command("override")
def schedule_override(schedule_id: int, user_id: int = typer.Option(..., "--user"),
                      start: str = typer.Option(..., "--start"), end: str = typer.Option(..., "--end"),
                      note: str = typer.Option("", "--note"),
                      url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Someone takes the schedule from --start to --end ("I take Saturday for Ana")."""
    o = Client(url, token).call("POST", f"/api/v1/schedules/{schedule_id}/overrides",
                                json={"user_id": user_id, "start_at": start, "end_at": end, "note": note})
    _out(o, as_json, ["id", "user_id", "start_at", "end_at"])


@schedule_app.command("override-remove")
def schedule_override_remove(schedule_id: int, override_id: int, url: str | None = Url,
                             token: str | None = Token) -> None:
    """Remove an override (your own; an admin, anyone's)."""
    Client(url, token).call("DELETE", f"/api/v1/schedules/{schedule_id}/overrides/{override_id}")
    typer.echo(f"override {override_id} removed")


@schedule_app.command("history")
def schedule_history(schedule_id: int, url: str | None = Url, token: str | None = Token,
                     as_json: bool = Json) -> None:
    """Who added or removed which override, newest first (the audit log)."""
    rows = Client(url, token).call("GET", f"/api/v1/schedules/{schedule_id}/history")
    if not as_json:
        for r in rows:
            d = r["data"]
            r.update(user_id=d.get("user_id"), start_at=d.get("start_at"), end_at=d.get("end_at"))
    _out(rows, as_json, ["at", "actor", "action", "user_id", "start_at", "end_at"])


@schedule_app.command("shifts")
def schedule_shifts(schedule_id: int, start: str | None = typer.Option(None, "--start"),
                    end: str | None = typer.Option(None, "--end"),
                    url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    params = {k: v for k, v in (("start", start), ("end", end)) if v}
    rows = Client(url, token).call("GET", f"/api/v1/schedules/{schedule_id}/shifts", params=params)
    _out(rows, as_json, ["user_id", "start", "end", "layer"])


@policy_app.command("list")
def policy_list(url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    rows = Client(url, token).call("GET", "/api/v1/escalation-policies")
    for r in rows:
        r["levels"] = len(r["levels"])
    _out(rows, as_json, ["id", "name", "levels", "repeat"])


@policy_app.command("show")
def policy_show(policy_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    p = Client(url, token).call("GET", f"/api/v1/escalation-policies/{policy_id}")
    if as_json:
        print_json(p)
        return
    typer.echo(f"{p['id']}  {p['name']}  repeat {p['repeat']}  services {p['service_ids']}")
    for i, lv in enumerate(p["levels"]):
        who = ", ".join(f"{t['kind']}:{t.get('id') or t.get('role')}" for t in lv["targets"])
        typer.echo(f"  level {i + 1}: {who}  (then {lv['timeout_minutes']} min)")


@policy_app.command("create")
def policy_create(file: Path = typer.Argument(..., help="JSON: {name, repeat, levels: [{timeout_minutes, targets}]}"),
                  url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    p = Client(url, token).call("POST", "/api/v1/escalation-policies", json=_load(file))
    _out(p, as_json, ["id", "name", "repeat"])


@policy_app.command("update")
def policy_update(policy_id: int, file: Path = typer.Argument(..., help="JSON: {name, repeat, levels: [...]}"),
                  url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Replace a policy; running escalations use the new levels from their next step on."""
    p = Client(url, token).call("PUT", f"/api/v1/escalation-policies/{policy_id}", json=_load(file))
    _out(p, as_json, ["id", "name", "repeat"])


@policy_app.command("delete")
def policy_delete(policy_id: int, url: str | None = Url, token: str | None = Token) -> None:
    """Delete a policy that no service, breach rule or running escalation uses."""
    Client(url, token).call("DELETE", f"/api/v1/escalation-policies/{policy_id}")
    typer.echo(f"deleted escalation policy {policy_id}")


@policy_app.command("targets")
def policy_targets(file: Path | None = typer.Option(None, "--set", help="JSON file with the new targets"),
                   url: str | None = Url, token: str | None = Token) -> None:
    """Show (or --set) the response/resolution targets per priority."""
    c = Client(url, token)
    print_json(c.call("PUT", "/api/v1/response-targets", json=_load(file)) if file
               else c.call("GET", "/api/v1/response-targets"))


@policy_app.command("default")
def policy_default(policy_id: int | None = typer.Option(None, "--set", help="Policy id to page when an incident's "
                                                                           "services have none"),
                   clear: bool = typer.Option(False, "--clear", help="No default: nobody is paged (said on the "
                                                                      "timeline of a P1/P2)"),
                   url: str | None = Url, token: str | None = Token) -> None:
    """Show (or --set / --clear) the default escalation policy."""
    c = Client(url, token)
    if policy_id is not None or clear:
        print_json(c.call("PUT", "/api/v1/settings/default-escalation-policy",
                          json={"policy_id": None if clear else policy_id}))
    else:
        print_json(c.call("GET", "/api/v1/settings/default-escalation-policy"))


NOTE_COLS = ["id", "state", "channel", "address", "attempts", "incident_id", "last_error"]


@notification_app.command("list")
def notification_list(state: str | None = typer.Option(None, "--state", help="pending, delivered, dead, cancelled"),
                      incident: int | None = typer.Option(None, "--incident"), limit: int = typer.Option(50),
                      url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    params: dict[str, Any] = {"limit": limit}
    if state:
        params["state"] = state
    if incident:
        params["incident_id"] = incident
    _out(Client(url, token).call("GET", "/api/v1/notifications", params=params), as_json, NOTE_COLS)


@notification_app.command("show")
def notification_show(notification_id: int, url: str | None = Url, token: str | None = Token,
                      as_json: bool = Json) -> None:
    n = Client(url, token).call("GET", f"/api/v1/notifications/{notification_id}")
    if as_json:
        print_json(n)
        return
    _out(n, False, NOTE_COLS)
    print_table(["attempt", "worker", "started_at", "ok", "error"], n["attempt_log"])


@notification_app.command("retry")
def notification_retry(notification_id: int, url: str | None = Url, token: str | None = Token,
                       as_json: bool = Json) -> None:
    """Send a dead (or cancelled) notification again."""
    _out(Client(url, token).call("POST", f"/api/v1/notifications/{notification_id}/retry"), as_json, NOTE_COLS)

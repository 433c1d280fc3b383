"""`warroom alert list|show|ack|resolve` and `warroom integration create|list|show|edit|rotate-key`;
both talk to a server over HTTP like `warroom incident`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from warroom.cli.client import Client
from warroom.cli.output import die, print_json, print_table

alert_app = typer.Typer(no_args_is_help=True)
integration_app = typer.Typer(no_args_is_help=True)
change_app = typer.Typer(no_args_is_help=True)

Url = typer.Option(None, "--url", help="Server URL (or WARROOM_URL)")
Token = typer.Option(None, "--token", help="API token (or WARROOM_TOKEN)")
Json = typer.Option(False, "--json", help="Print JSON for scripts")

ALERT_COLS = ["id", "status", "severity", "count", "incident_id", "last_seen_at", "summary"]


def register(app: typer.Typer) -> None:
    app.add_typer(alert_app, name="alert", help="List, acknowledge and resolve alerts (talks to a server).")
    app.add_typer(integration_app, name="integration",
                  help="Monitoring integrations and their keys (admin; talks to a server).")
    app.add_typer(change_app, name="change", help="Change events: deploys and config pushes (talks to a server).")


@alert_app.command("list")
def list_alerts(
    status: list[str] = typer.Option([], "--status", help="firing, acknowledged, resolved (repeatable)"),
    severity: list[str] = typer.Option([], "--severity", help="critical, error, warning, info (repeatable)"),
    incident: int | None = typer.Option(None, "--incident", help="Incident id"),
    integration: int | None = typer.Option(None, "--integration", help="Integration id"),
    service: int | None = typer.Option(None, "--service", help="Service id"),
    q: str | None = typer.Option(None, "--search", "-q"),
    limit: int = typer.Option(50), offset: int = typer.Option(0),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """List alerts, latest activity first."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if status:
        params["status"] = status
    if severity:
        params["severity"] = severity
    for k, v in (("incident_id", incident), ("integration_id", integration), ("service_id", service), ("q", q)):
        if v is not None:
            params[k] = v
    page = Client(url, token).call("GET", "/api/v1/alerts", params=params)
    if as_json:
        print_json(page)
        return
    print_table(ALERT_COLS, page["items"])
    typer.echo(f"{len(page['items'])} of {page['total']}")


@alert_app.command()
def show(alert_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Show one alert with its labels and raw payload."""
    item = Client(url, token).call("GET", f"/api/v1/alerts/{alert_id}")
    if as_json:
        print_json(item)
        return
    typer.echo(f"alert {item['id']}  {item['status']}  {item['severity']}  x{item['count']}  {item['summary']}")
    for k in ("dedup_key", "source", "incident_id", "service_id", "first_seen_at", "last_seen_at",
              "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by"):
        if item.get(k) is not None:
            typer.echo(f"  {k:<16}{item[k]}")
    for k, v in sorted(item["labels"].items()):
        typer.echo(f"  label {k}={v}")


@alert_app.command()
def ack(alert_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Acknowledge an alert by hand; its open incident is acknowledged too (its paging stops)."""
    item = Client(url, token).call("POST", f"/api/v1/alerts/{alert_id}/acknowledge")
    print_json(item) if as_json else typer.echo(f"alert {item['id']} acknowledged")


@alert_app.command()
def resolve(alert_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Resolve an alert by hand (on the incident's timeline; when it was the last open alert an ordinary incident
    may resolve, a major one never does)."""
    item = Client(url, token).call("POST", f"/api/v1/alerts/{alert_id}/resolve")
    print_json(item) if as_json else typer.echo(f"alert {item['id']} resolved")


def _config(config: str | None) -> dict[str, Any] | None:
    """--config takes JSON text or @file.json."""
    if config is None:
        return None
    text = Path(config[1:]).read_text() if config.startswith("@") else config
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        die(f"--config: not JSON: {exc}")
    if not isinstance(value, dict):
        die("--config: must be a JSON object")
    return value


@integration_app.command()
def create(
    name: str,
    kind: str = typer.Option(..., "--kind", help="alertmanager, pagerduty or generic"),
    service: int | None = typer.Option(None, "--service", help="Default service id"),
    config: str | None = typer.Option(None, "--config", help="Rules etc. as JSON, or @file.json"),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Create an integration and print its secret key (shown once)."""
    body = {"name": name, "kind": kind, "service_id": service, "config": _config(config) or {}}
    client = Client(url, token)
    item = client.call("POST", "/api/v1/integrations", json=body)
    if as_json:
        print_json(item)
        return
    typer.echo(f"integration {item['id']} ({item['kind']}) created: {item['name']}")
    typer.echo(f"  key: {item['key']}   (shown once; store it in your monitoring config)")
    for label, path in item["urls"].items():  # ready to paste: this server's address, the key filled in
        typer.echo(f"  {label}: {client.url}{path.replace('<key>', item['key'])}")


@integration_app.command("list")
def list_integrations(url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """List integrations (keys are never shown again)."""
    items = Client(url, token).call("GET", "/api/v1/integrations")
    if as_json:
        print_json(items)
        return
    print_table(["id", "name", "kind", "key_prefix", "service_id", "enabled"], items)


@integration_app.command("show")
def show_integration(integration_id: int, url: str | None = Url, token: str | None = Token) -> None:
    """Show an integration with its config."""
    print_json(Client(url, token).call("GET", f"/api/v1/integrations/{integration_id}"))


@integration_app.command()
def edit(
    integration_id: int,
    name: str | None = typer.Option(None, "--name"),
    service: int | None = typer.Option(None, "--service"),
    config: str | None = typer.Option(None, "--config", help="Replacement config as JSON, or @file.json"),
    enabled: bool | None = typer.Option(None, "--enable/--disable"),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Rename, change the default service or config, enable or disable."""
    body: dict[str, Any] = {k: v for k, v in (("name", name), ("service_id", service), ("config", _config(config)),
                                               ("enabled", enabled)) if v is not None}
    item = Client(url, token).call("PATCH", f"/api/v1/integrations/{integration_id}", json=body)
    print_json(item) if as_json else typer.echo(f"integration {item['id']} updated")


@integration_app.command("rotate-key")
def rotate_key(integration_id: int, url: str | None = Url, token: str | None = Token) -> None:
    """Replace the secret key; the old one stops working at once."""
    item = Client(url, token).call("POST", f"/api/v1/integrations/{integration_id}/rotate-key")
    typer.echo(f"integration {item['id']}: new key {item['key']}   (shown once)")


@integration_app.command()
def maintenance(
    integration_id: int,
    minutes: int | None = typer.Option(None, "--minutes", help="Maintenance from now for this long"),
    until: str | None = typer.Option(None, "--until", help="Or until this time, ISO 8601 with offset"),
    end: bool = typer.Option(False, "--end", help="End maintenance now"),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Planned work: keep this integration's alerts out of incidents (nobody paged) until the window ends."""
    if [minutes is not None, until is not None, end].count(True) != 1:
        die("give one of --minutes, --until or --end")
    body: dict[str, Any] = {"minutes": 0} if end else {"minutes": minutes} if minutes is not None else {"until": until}
    item = Client(url, token).call("POST", f"/api/v1/integrations/{integration_id}/maintenance", json=body)
    if as_json:
        print_json(item)
        return
    ends = (item["config"] or {}).get("maintenance_until")
    typer.echo(f"integration {item['id']}: " + (f"in maintenance until {ends}" if ends else "maintenance ended"))


@integration_app.command()
def history(integration_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Who changed this integration (settings, state, key, maintenance) and how, newest first."""
    items = Client(url, token).call("GET", f"/api/v1/integrations/{integration_id}/history")
    if as_json:
        print_json(items)
        return
    print_table(["at", "actor", "action", "data"], [{**i, "data": json.dumps(i["data"])[:80]} for i in items])


@change_app.command("list")
def list_changes(
    service: int | None = typer.Option(None, "--service", help="Only changes on this service id"),
    since: str | None = typer.Option(None, "--since", help="ISO 8601 time with offset"),
    limit: int = typer.Option(50, "--limit"),
    url: str | None = Url, token: str | None = Token, as_json: bool = Json,
) -> None:
    """Changes sent to /v2/change/enqueue, newest first."""
    params = {k: v for k, v in (("service_id", service), ("since", since), ("limit", limit)) if v is not None}
    items = Client(url, token).call("GET", "/api/v1/changes", params=params)
    if as_json:
        print_json(items)
        return
    print_table(["occurred_at", "service_id", "source", "summary"], items)

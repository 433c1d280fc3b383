"""`warroom contact`: a person's contact methods and rules (talks to a server)."""

from __future__ import annotations

import typer

from warroom.cli.client import Client
from warroom.cli.oncall import Json, Token, Url, _out
from warroom.cli.output import print_json, print_table

app = typer.Typer(no_args_is_help=True, help="Contact methods and rules of people (talks to a server).")


@app.command("list")
def contact_list(user_id: int, url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """A person's contact methods and the rules that use them."""
    c = Client(url, token).call("GET", f"/api/v1/users/{user_id}/contacts")
    if as_json:
        print_json(c)
        return
    print_table(["id", "kind", "address", "label", "has_secret"], c["methods"])
    typer.echo("")
    print_table(["id", "method_id", "kind", "delay_minutes", "priorities"], c["rules"])
    go = c.get("pages_go")
    if go:
        typer.echo("")
        if len(go["unreachable"]) == len(go["by_priority"]):
            typer.echo("This person cannot be reached: no contact rule and no account e-mail.")
            return
        for x in go["by_priority"]:
            sends = "; ".join(f"{s['channel']} {s['where']} " + (f"after {s['delay_minutes']} min" if s["delay_minutes"]
                                                                  else "at once") for s in x["sends"])
            typer.echo(f"{x['priority']}: {sends or 'NOWHERE'}")


@app.command("add")
def contact_add(user_id: int, kind: str = typer.Option(..., help="email, webhook, slack, teams or apprise"),
                address: str = typer.Option(..., help="E-mail address or webhook URL"),
                secret: str = typer.Option("", help="HMAC-SHA256 key of a webhook endpoint"),
                label: str = typer.Option(""), url: str | None = Url, token: str | None = Token,
                as_json: bool = Json) -> None:
    """Add a contact method."""
    m = Client(url, token).call("POST", f"/api/v1/users/{user_id}/contact-methods",
                                json={"kind": kind, "address": address, "secret": secret, "label": label})
    _out(m, as_json, ["id", "kind", "address"])


@app.command("rule")
def contact_rule(user_id: int, method: int = typer.Option(..., "--method", help="Contact method id"),
                 delay: int = typer.Option(0, "--delay", help="Minutes after the page"),
                 priority: list[str] = typer.Option([], "--priority", help="Only for these (repeatable); default all"),
                 url: str | None = Url, token: str | None = Token, as_json: bool = Json) -> None:
    """Add a rule, e.g. `--method 3 --delay 2 --priority P1 --priority P2` (chat after 2 minutes for P1/P2)."""
    r = Client(url, token).call("POST", f"/api/v1/users/{user_id}/contact-rules",
                                json={"method_id": method, "delay_minutes": delay, "priorities": priority})
    _out(r, as_json, ["id", "method_id", "delay_minutes", "priorities"])


@app.command("remove")
def contact_remove(user_id: int, method: int | None = typer.Option(None, "--method"),
                   rule: int | None = typer.Option(None, "--rule"),
                   url: str | None = Url, token: str | None = Token) -> None:
    """Remove a contact method (and its rules) or one rule."""
    c = Client(url, token)
    if method is not None:
        c.call("DELETE", f"/api/v1/users/{user_id}/contact-methods/{method}")
    if rule is not None:
        c.call("DELETE", f"/api/v1/users/{user_id}/contact-rules/{rule}")
    typer.echo("removed")

"""Server-side administration: users, tokens, demo data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from warroom.auth.permissions import UserRole
from warroom.cli.output import fail, print_table
from warroom.errors import Invalid

if TYPE_CHECKING:  # the API client commands start without the database layer
    from warroom.platform.app import App

user_app = typer.Typer(help="Users (acts on the database directly).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (acts on the database directly).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command()(demo)


def _app() -> App:
    from warroom.bootstrap import build_app

    return build_app()


@user_app.command("create")
def user_create(
    username: str,
    role: UserRole = typer.Option(UserRole.RESPONDER, help="admin, responder or viewer"),
    name: str = typer.Option("", help="Display name"),
    email: str | None = typer.Option(None),
    password: str | None = typer.Option(None, help="For web login (at least 8 characters)"),
    time_zone: str = typer.Option("UTC"),
) -> None:
    """Create a user."""
    from warroom.auth import service as auth

    with fail():
        row = auth.create_user(_app(), username=username, display_name=name, role=role, email=email,
                               password=password, time_zone=time_zone)
    typer.echo(f"created user {row['username']} (id {row['id']}, {row['role']})")


@user_app.command("list")
def user_list() -> None:
    """List users."""
    from warroom.auth import queries

    rows = queries.users(_app())
    print_table(["id", "username", "display_name", "role", "active"], [dict(r) for r in rows])


@user_app.command("password")
def user_password(username: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                             confirmation_prompt=True,
                                                             help="The new password (asked for when left out)")
                  ) -> None:
    """Set a user's password. Ends their browser sessions and revokes their API tokens: they log in again with
    the new password and make new tokens."""
    from warroom.auth import service as auth

    wr = _app()
    with fail():
        auth.update_user(wr, _user_id(wr, username), password=password)
    typer.echo(f"password of {username} changed; their sessions ended and their API tokens were revoked")


def _user_id(wr: App, username: str) -> int:
    from warroom.auth import queries

    return queries.user_id_by_name(wr, username)


def parse_duration(text: str) -> timedelta:
    """90d, 12h, 30m, 2w: a token's lifetime."""
    m = re.fullmatch(r"([0-9]{1,5})([mhdw])", text.strip())
    if not m:
        raise Invalid("expires_in", "use a number and a unit: 30m, 12h, 90d or 2w")
    n, unit = int(m.group(1)), m.group(2)
    unit_name = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]
    return timedelta(**{unit_name: n})


@token_app.command("create")
def token_create(username: str, name: str = typer.Option("cli", help="What the token is for"),
                 expires_in: str | None = typer.Option(None, "--expires-in",
                                                       help="Lifetime, e.g. 90d, 12h, 2w (default: never expires)")
                 ) -> None:
    """Create an API token for a user; it is printed once."""
    from warroom.auth import service as auth

    wr = _app()
    with fail():
        expires_at = wr.clock.now() + parse_duration(expires_in) if expires_in else None
        token, _ = auth.create_token(wr, _user_id(wr, username), name, expires_at)
    typer.echo(token)


@token_app.command("list")
def token_list(username: str | None = typer.Argument(None, help="Only this user's tokens")) -> None:
    """List API tokens: when each was created, last used, when it expires, whether it is revoked."""
    from warroom.auth import queries

    wr = _app()
    with fail():
        uid = _user_id(wr, username) if username else None
    with wr.db.read() as conn:  # one snapshot: the names and the tokens agree
        names = {u["id"]: u["username"] for u in queries.users(conn)}
        rows = [{**r, "user": names.get(r["user_id"], r["user_id"])} for r in queries.tokens(conn, uid)]
    print_table(["id", "user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"], rows)


def demo(remove: bool = typer.Option(False, "--remove", help="Take the demo organisation out of the database "
                                   "(its people, teams, services, schedules, policies, integrations and incidents)")
         ) -> None:
    """Load the demo organisation (teams, services, people, incidents); its people's passwords are printed once."""
    from warroom.demo import load_demo, print_passwords, remove_demo

    with fail():
        if remove:
            typer.echo(remove_demo(_app()))
            typer.echo("Restart any running `warroom serve` or `warroom worker`: they may remember demo rows.")
            return
        loaded = load_demo(_app())
    typer.echo(loaded.summary)
    print_passwords(loaded, typer.echo)

"""Server-side administration: users, tokens, demo data."""

from __future__ import annotations

import typer

from warroom.auth.permissions import UserRole
from warroom.cli.output import fail, print_table

user_app = typer.Typer(help="Users (acts on the database directly).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (acts on the database directly).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command()(demo)


def _app():  # noqa: ANN202
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
    from warroom.auth import store

    with _app().db.read() as conn:
        rows = store.list_users(conn)
    print_table(["id", "username", "display_name", "role", "active"], [dict(r) for r in rows])


@token_app.command("create")
def token_create(username: str, name: str = typer.Option("cli", help="What the token is for")) -> None:
    """Create an API token for a user; it is printed once."""
    from warroom.auth import service as auth
    from warroom.auth import store

    wr = _app()
    with wr.db.read() as conn:
        row = store.get_user_by_name(conn, username.lower())
    with fail():
        if row is None:
            from warroom.errors import NotFound

            raise NotFound(f"no user named {username!r}")
        token, _ = auth.create_token(wr, row["id"], name)
    typer.echo(token)


def demo() -> None:
    """Load the demo organisation (teams, services, people, incidents)."""
    from warroom.demo import load_demo

    with fail():
        summary = load_demo(_app())
    typer.echo(summary)

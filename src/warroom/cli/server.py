"""Commands that run the server side: serve, db upgrade, setup."""

from __future__ import annotations

from typing import Any

import typer

from warroom.platform.settings import Settings

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(setup)
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision")) -> None:
    """Apply migrations to the database named by WARROOM_DATABASE_URL."""
    from warroom.platform.schema import upgrade

    settings = Settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {_safe(settings.database_url)}")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def setup(demo_if_empty: bool = typer.Option(False, "--demo-if-empty", help="Load the demo organisation into an "
                                             "empty database (skip with WARROOM_NO_DEMO=1)")) -> None:
    """Create the first admin if there is none (printing its password and API token once)."""
    import os

    from warroom.auth.service import ensure_first_admin
    from warroom.bootstrap import build_app

    wr = build_app()
    created = ensure_first_admin(wr)
    if created:
        user, password, token = created
        typer.echo("=" * 72)
        typer.echo("First admin created. This is shown once; keep it somewhere safe.")
        typer.echo(f"  web login:  {wr.settings.base_url}/login   user: {user}   password: {password}")
        typer.echo(f"  API token:  {token}")
        typer.echo(f"  CLI:        export WARROOM_URL={wr.settings.base_url} WARROOM_TOKEN={token}")
        typer.echo("=" * 72)
    if demo_if_empty and os.environ.get("WARROOM_NO_DEMO", "") not in ("1", "true", "yes"):
        from warroom.demo import load_demo_if_empty

        loaded = load_demo_if_empty(wr)
        if loaded:
            from warroom.demo import print_passwords

            typer.echo("Demo organisation loaded (teams, services, people, incidents). WARROOM_NO_DEMO=1 skips it;")
            typer.echo("`warroom demo --remove` takes it out again.")
            print_passwords(loaded, typer.echo)
    wr.close()


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    workers: int = typer.Option(1, help="Server processes on this port (PostgreSQL only; docs/deploy.md)"),
    no_worker: bool = typer.Option(False, "--no-worker", help="Do not run the embedded background worker"),
    supervised_by: int = typer.Option(0, "--supervised-by", hidden=True, help="Run as a child of `--workers N`"),
) -> None:
    """Serve the web app and API."""
    import os

    from warroom.platform import logs
    from warroom.web import processes

    settings = Settings()
    refused = processes.refusal(workers, settings.database_url)
    if refused:
        typer.echo(refused, err=True)
        raise typer.Exit(2)
    if no_worker:
        os.environ["WARROOM_EMBEDDED_WORKER"] = "0"
    logs.setup(settings.log_json)
    if workers > 1:
        typer.echo(f"warroom serving on http://{host}:{port} with {workers} processes  (API docs: "
                   f"http://{host}:{port}/docs)")
        stop_worker = processes.start_supervisor_worker()
        try:
            code = processes.supervise(workers, host, port)
        finally:
            stop_worker()
        raise typer.Exit(code)
    if supervised_by:
        _serve_child(host, port, supervised_by)
        return
    import uvicorn

    typer.echo(f"warroom serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("warroom.web.asgi:app", **_UVICORN, host=host, port=port)


_UVICORN: dict[str, Any] = {"log_config": None, "access_log": False, "proxy_headers": False,
                            "timeout_graceful_shutdown": 5}


def _serve_child(host: str, port: int, supervisor: int) -> None:
    """One of `--workers N`: its own SO_REUSEPORT socket on the shared port; exit status 3 if it never served."""
    import uvicorn

    from warroom.web import processes

    processes.die_with(supervisor)
    try:
        sock = processes.reuse_port_socket(host, port)
    except OSError as exc:
        typer.echo(f"cannot listen on {host}:{port}: {exc}", err=True)
        raise typer.Exit(processes.STARTUP_FAILURE) from None
    server = uvicorn.Server(uvicorn.Config("warroom.web.asgi:app", **_UVICORN, host=host, port=port))
    code: object = 0
    try:
        server.run(sockets=[sock])
    except SystemExit as exc:  # uvicorn exits when the app cannot be imported or its startup fails
        code = exc.code
    if not server.started:
        raise typer.Exit(processes.STARTUP_FAILURE)
    raise typer.Exit(code if isinstance(code, int) else 1)

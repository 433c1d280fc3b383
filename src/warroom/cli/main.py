"""The `warroom` command. Server-side commands act on the database; incident commands talk to a server."""

from __future__ import annotations

import typer

from warroom.cli import admin, incident, output, server
from warroom.cli import alerts as alerts_cli
from warroom.cli import oncall as oncall_cli
from warroom.cli import worker as worker_cli

app = typer.Typer(help="warroom: major incident management.", no_args_is_help=True, pretty_exceptions_enable=False)
output.one_line_usage_errors()  # errors are one clear line
server.register(app)
admin.register(app)
worker_cli.register(app)
oncall_cli.register(app)  # oncall, schedule, policy, notification
alerts_cli.register(app)  # alert, integration
app.add_typer(incident.app, name="incident", help="Declare and work incidents (talks to a server).")

if __name__ == "__main__":  # pragma: no cover
    app()

"""CLI output: tables for people, JSON for scripts, one clear line and a non-zero exit on error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from warroom.errors import WarroomError


@contextmanager
def fail() -> Iterator[None]:
    """Turn domain errors into `error: <message>` on stderr and exit code 1."""
    try:
        yield
    except WarroomError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def die(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_table(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    typer.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def one_line_usage_errors() -> None:
    """Usage errors (a missing option, a bad choice) print `error: <message>` on one line, exit code 2."""
    import importlib

    def show(self: Any, file: Any = None) -> None:
        message = " ".join(self.format_message().split())
        hint = f" (see '{self.ctx.command_path} --help')" if getattr(self, "ctx", None) else ""
        typer.echo(f"error: {message}{hint}", err=True)

    for name in ("click", "typer._click"):  # typer may vendor its own click
        try:
            exceptions = importlib.import_module(f"{name}.exceptions")
        except ImportError:
            continue
        exceptions.ClickException.show = show
        exceptions.UsageError.show = show
    try:
        from typer import rich_utils
    except ImportError:  # rich not installed: typer calls show()
        return
    def format_error(self: Any) -> None:  # typer's own ClickException (it may vendor click)
        self.show()

    rich_utils.rich_format_error = format_error

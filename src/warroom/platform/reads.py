"""What a read-side function (a domain's `queries.py`) reads from: the app, when it is the only read of a request
(it opens its own read transaction), or an open connection, when a page reads several domains in one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from warroom.platform.app import App

Source = App | Connection


@contextmanager
def reading(src: Source) -> Iterator[Connection]:
    if isinstance(src, Connection):
        yield src
    else:
        with src.db.read() as conn:
            yield conn


def ping(src: Source) -> None:
    """One round trip to the database (the readiness probe); raises when it cannot be reached."""
    with reading(src) as conn:
        conn.execute(text("SELECT 1"))

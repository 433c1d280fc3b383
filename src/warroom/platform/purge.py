"""Delete rows together with the rows that reference them, following the foreign keys of the schema.

Only for taking test data out of a database (`warroom demo --remove`): references declared ON DELETE CASCADE or
SET NULL are left to the database; every other reference is followed and its rows deleted first, so a table
added later is handled without this module knowing about it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection


def purge(conn: Connection, table: Table, column: str, values: Iterable[Any]) -> int:
    """Delete the rows of `table` whose `column` is in `values`, and first whatever references them."""
    wanted = set(values)
    if not wanted:
        return 0
    self_refs = [fk for fk in table.foreign_keys if fk.column.table is table]
    while self_refs:  # rows of the same table pointing at doomed rows (a child incident) go too
        keys = {fk: set(conn.execute(select(fk.column).where(table.c[column].in_(wanted))).scalars())
                for fk in self_refs}
        more = set()
        for fk, refs in keys.items():
            more |= set(conn.execute(select(table.c[column]).where(fk.parent.in_(refs))).scalars()) if refs else set()
        if more <= wanted:
            break
        wanted |= more
    where = table.c[column].in_(wanted)
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or other is table or fk.ondelete:
                continue
            refs = set(conn.execute(select(fk.column).where(where)).scalars())
            purge(conn, other, fk.parent.name, refs)
    return conn.execute(delete(table).where(where)).rowcount or 0

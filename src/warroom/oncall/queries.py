"""On-call's read side: schedules and their overrides as stored."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from warroom.oncall import store
from warroom.platform.reads import Source, reading


def schedules(src: Source) -> list[RowMapping]:
    """Every schedule, by name."""
    with reading(src) as conn:
        return store.list_schedules(conn)

"""A briefly cached view of the service catalog for the ingest path: service ids by name, and tiers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from warroom.catalog.store import services
from warroom.platform.app import App

TTL_S = 10.0


@dataclass
class CatalogView:
    by_name: dict[str, int] = field(default_factory=dict)
    tiers: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    loaded_at: float = 0.0

    def service_id(self, name: str | None) -> int | None:
        if not name:
            return None
        return self.by_name.get(name) or self.by_name.get(name.lower())


def catalog_in(app: App, conn: Connection) -> CatalogView:
    view = app.alerts.catalog
    if view is None or time.monotonic() - view.loaded_at > TTL_S:
        view = CatalogView(loaded_at=time.monotonic())
        for sid, name, tier in conn.execute(select(services.c.id, services.c.name, services.c.tier)):
            view.by_name[name] = sid
            view.by_name.setdefault(name.lower(), sid)
            view.tiers[sid] = tier
            view.names[sid] = name
        app.alerts.catalog = view
    return view


def forget(app: App) -> None:
    app.alerts.catalog = None

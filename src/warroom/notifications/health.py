"""How notification delivery is doing, for the admin's banner and /readyz: is e-mail configured, did e-mail sends
fail in the last hour, how many notifications are dead. Reads only; never fails a page or the probe.

"Not configured" means WARROOM_SMTP_HOST is not set: the 127.0.0.1:25 default is a guess that only works with a
local mail relay. Admins are told only when someone could be paged by e-mail (an e-mail contact method, or an
active person with an account e-mail, the fallback of a person without contact rules); setting the variable,
even to 127.0.0.1, says the relay is there on purpose."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from warroom.notifications import store as st
from warroom.notifications.outbox import error_class
from warroom.platform.app import App

WINDOW = timedelta(hours=1)


def email_configured(app: App) -> bool:
    channel = app.notifications.channels.get("email")
    if channel is None:
        return False
    return bool(getattr(getattr(channel, "config", None), "configured", True))  # a custom channel is configured


def report(app: App, conn: Connection) -> dict[str, Any]:
    """{"email": {"configured", "failures_last_hour", "last_error_class"}, "dead": N}"""
    failures, last = st.failures_since(conn, "email", app.clock.now() - WINDOW)
    n = st.notifications
    dead = conn.execute(select(func.count()).select_from(n).where(n.c.state == "dead")).scalar_one()
    return {"email": {"configured": email_configured(app), "failures_last_hour": failures,
                      "last_error_class": error_class(last) if last else None}, "dead": dead}


def admin_banners(app: App, conn: Connection) -> list[dict[str, Any]]:
    """Facts for the banners every page shows an admin (wording in base.html)."""
    r = report(app, conn)["email"]
    out: list[dict[str, Any]] = []
    if not r["configured"] and st.anyone_by_email(conn):
        out.append({"kind": "email_unconfigured"})
    if r["failures_last_hour"]:
        out.append({"kind": "email_failing", "count": r["failures_last_hour"], "error_class": r["last_error_class"]})
    return out

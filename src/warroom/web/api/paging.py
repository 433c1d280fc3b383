"""The routers of on-call, escalation and notifications, registered together in web/app.py."""

from __future__ import annotations

from warroom.web.api import escalation, notifications, oncall

ROUTERS = [oncall.router, escalation.router, notifications.router]

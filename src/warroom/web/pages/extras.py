"""Pages for the domains built beside the web app (alerts; on-call, escalation, notifications). Each group is
added only if its packages import, so the app never breaks for want of one; what loaded is in ROUTERS."""

from __future__ import annotations

import logging
from typing import Any

from warroom.auth.permissions import UserRole
from warroom.web.pages.catalog import PERSON_PANELS
from warroom.web.pages.common import NAV
from warroom.web.pages.incident import PANELS

log = logging.getLogger("warroom.web")
ROUTERS: list[Any] = []


def _nav_before(path: str, entry: tuple[str, str, UserRole]) -> None:
    if entry in NAV:
        return
    at = next((i for i, (p, _, _) in enumerate(NAV) if p == path), len(NAV))
    NAV.insert(at, entry)


try:
    from warroom.web.pages import alerts as _alerts
    from warroom.web.pages import integrations as _integrations
except ImportError as exc:  # the alerts domain is not there (yet): no alert pages
    log.info("alert pages off: %s", exc)
else:
    ROUTERS += [_alerts.router, _integrations.router]
    PANELS.extend([_alerts.attached_alerts_panel, _alerts.recent_changes_panel])
    _nav_before("/services", ("/alerts", "Alerts", UserRole.VIEWER))
    NAV.append(("/integrations", "Integrations", UserRole.ADMIN))

try:
    from warroom.web.pages import oncall as _oncall
except ImportError as exc:  # on-call / escalation / notifications are not there (yet)
    log.info("on-call pages off: %s", exc)
else:
    ROUTERS.append(_oncall.router)
    PANELS.extend([_oncall.escalation_panel, _oncall.notifications_panel])
    PERSON_PANELS.append(_oncall.person_panel)
    _nav_before("/services", ("/oncall", "On call", UserRole.VIEWER))
    _nav_before("/services", ("/policies", "Escalation", UserRole.VIEWER))
    _nav_before("/services", ("/notifications", "Notifications", UserRole.VIEWER))

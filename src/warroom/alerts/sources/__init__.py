"""Parsers: one module per protocol, each turning a decoded payload into `AlertIn`s or raising `BadEvent`.

`WEBHOOKS` is the registry of the sources that post JSON with the integration key in the URL or as a bearer
token: the intake's routes and fast path, the integration kinds (`KINDS`: the service's check, the API's enum),
the API's integration URLs, the integration form and the key page's how-to all come from it. PagerDuty's Events
API (the key in the body) and change events have routes of their own (web/api/alert_intake.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warroom.alerts.model import AlertIn
from warroom.alerts.sources import alertmanager, generic

if TYPE_CHECKING:  # the sources sit below the rules (pyproject.toml, the alerts contract)
    from warroom.alerts.rules import Config


@dataclass(frozen=True)
class Webhook:
    kind: str  # the integration kind, as an integration stores it
    suffix: str  # its URLs: /api/v1/integrations/<key>/<suffix> and /api/v1/intake/<suffix>
    title: str  # as the integration form names it
    summary: str  # as the API documentation describes its routes
    parse: Callable[[Any, Config], list[AlertIn]]  # (decoded body, integration config) -> alerts, or BadEvent
    howto: str  # the key page's "point a sender at it" fragment, a template under web/templates/


def _alertmanager(body: Any, config: Config) -> list[AlertIn]:
    return alertmanager.parse(body)


def _generic(body: Any, config: Config) -> list[AlertIn]:
    return generic.parse(body, config.mapping)


PAGERDUTY = "pagerduty"  # the Events API v2 (sources/pagerduty.py): the key in the body, a route of its own

WEBHOOKS: tuple[Webhook, ...] = (
    Webhook("alertmanager", "alertmanager", "Prometheus Alertmanager", "Alertmanager webhook (payload version 4)",
            _alertmanager, "howto/alertmanager.html"),
    Webhook(generic.KIND, "webhook", "Generic JSON webhook", "Generic JSON webhook, mapped by config.mapping",
            _generic, "howto/generic.html"),
)
BY_KIND: dict[str, Webhook] = {w.kind: w for w in WEBHOOKS}
KINDS: tuple[str, ...] = (PAGERDUTY, *BY_KIND)  # every integration kind, in the integration form's order

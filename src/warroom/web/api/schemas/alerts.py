"""Alerts and integrations: an alert, a page of them, an integration (its key shown once), its history, change
events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.engine import RowMapping

from warroom.alerts.sources import BY_KIND, KINDS, PAGERDUTY
from warroom.web.api.schemas import Strict

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
if TYPE_CHECKING:
    Kind = str
else:  # the integration kinds (alerts/sources KINDS), one `Kind` enum in the OpenAPI document
    Kind = StrEnum("Kind", {k.upper(): k for k in KINDS})


class AlertOut(BaseModel):
    id: int
    integration_id: int
    dedup_key: str
    status: str
    severity: str
    summary: str
    source: str
    service_id: int | None
    incident_id: int | None
    group_key: str
    labels: dict[str, Any]
    count: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    payload: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: RowMapping) -> AlertOut:
        return cls(**{k: row[k] for k in cls.model_fields if k in row})


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class IntegrationOut(BaseModel):
    id: int
    name: str
    kind: str
    key_prefix: str
    service_id: int | None
    config: dict[str, Any]
    enabled: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    urls: dict[str, str]

    @classmethod
    def of(cls, row: RowMapping) -> IntegrationOut:
        kind = row["kind"]
        w = BY_KIND.get(kind)
        urls = ({"webhook": f"/api/v1/integrations/<key>/{w.suffix}", "webhook_bearer": f"/api/v1/intake/{w.suffix}"}
                if w else {"events_v2": "/v2/enqueue (routing_key = the key)"} if kind == PAGERDUTY else {})
        return cls(urls=urls, **{k: row[k] for k in cls.model_fields if k != "urls"})


class IntegrationCreated(IntegrationOut):
    key: str = Field(description="The secret integration key. Shown only now; it is stored as a hash.")


class IntegrationIn(Strict):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)  # kind: a plain string for the service

    name: Name
    kind: Kind  # alerts/sources KINDS: PagerDuty's and the WEBHOOKS registry's
    service_id: int | None = Field(None, ge=1, le=2**31 - 1)
    config: dict[str, Any] = Field(default_factory=dict)


class IntegrationEdit(Strict):
    name: Name | None = None
    service_id: int | None = Field(None, ge=1, le=2**31 - 1)
    config: dict[str, Any] | None = None
    enabled: bool | None = None


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    data: dict[str, Any]


class ChangeOut(BaseModel):
    id: int
    integration_id: int
    service_id: int | None
    summary: str
    source: str
    occurred_at: datetime
    received_at: datetime
    details: dict[str, Any]
    links: list[list[str]]


class MaintenanceIn(Strict):
    minutes: int | None = Field(None, ge=0, le=30 * 24 * 60, description="From now; 0 ends maintenance now")
    until: AwareDatetime | None = Field(None, description="Or an end time with its UTC offset")

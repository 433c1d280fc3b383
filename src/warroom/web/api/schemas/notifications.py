"""Notifications: the outbox and its delivery attempts; each person's contact methods and rules, and where a page
to them goes. Addresses are whole for their owner and admins and redacted for everyone else; secrets never leave."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from warroom.notifications.channels import CHANNELS
from warroom.web.api.schemas import Id, Strict

Priority = Literal["P1", "P2", "P3", "P4", "P5"]
if TYPE_CHECKING:
    MethodKind = str
else:  # the registered kinds (notifications/channels/__init__.py), one enum in the OpenAPI document
    MethodKind = Literal[tuple(CHANNELS)]


class MethodIn(Strict):
    kind: MethodKind
    address: str = Field(min_length=3, max_length=1000)
    secret: str = Field("", max_length=200, description="HMAC-SHA256 key (webhook)")
    label: str = Field("", max_length=100)


class RuleIn(Strict):
    method_id: Id
    delay_minutes: int = Field(0, ge=0, le=1440)
    priorities: list[Priority] = Field(default_factory=list, max_length=5)


Address = Field(description="Whole for its owner and admins; redacted (scheme and host) for everyone else")


class NotificationOut(BaseModel):
    id: int
    key: str = Field(description="Idempotency key, sent with every attempt")
    incident_id: int | None
    user_id: int | None
    method_id: int | None
    channel: str
    address: str = Address
    payload: dict[str, Any]
    state: str = Field(description="pending, delivered, dead or cancelled")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptOut(BaseModel):
    id: int
    notification_id: int
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool | None = Field(description="null: the worker died during the attempt")
    error: str | None


class NotificationDetail(NotificationOut):
    attempt_log: list[AttemptOut]


class MethodAdded(BaseModel):
    id: int
    user_id: int
    kind: str
    address: str
    label: str
    has_secret: bool = Field(description="Whether it has an HMAC key (never shown)")


class MethodOut(MethodAdded):
    address: str = Address
    created_at: datetime


class RuleOut(BaseModel):
    id: int
    user_id: int
    method_id: int
    delay_minutes: int
    priorities: list[str] = Field(description="[] = every priority")


class RuleShown(RuleOut):
    kind: str = Field(description="The method's kind")
    address: str = Address


class Send(BaseModel):
    channel: str
    where: str = Field(description="Where it goes, safe to show anyone: an e-mail address, a label or a host")
    delay_minutes: int
    fallback: bool = Field(description="The account e-mail, used while the person has no rules")


class PrioritySends(BaseModel):
    priority: str
    sends: list[Send]


class RuleWhere(BaseModel):
    id: int
    channel: str
    delay_minutes: int
    priorities: list[str]
    where: str


class MethodWhere(BaseModel):
    id: int
    kind: str
    where: str


class PagesGo(BaseModel):
    """Exactly where a page to this person goes, per priority, in the order it is sent."""

    user_id: int
    by_priority: list[PrioritySends]
    unreachable: list[str] = Field(description="The priorities at which a page reaches them nowhere")
    rules: list[RuleWhere]
    fallback_email: str | None
    unused_methods: list[MethodWhere] = Field(description="Methods no rule uses (never paged)")


class ContactsOut(BaseModel):
    user_id: int
    methods: list[MethodOut]
    rules: list[RuleShown]
    pages_go: PagesGo

"""The answers of the readiness probe (web/api/health.py sends them as built; these models document them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class EmailHealth(BaseModel):
    configured: bool
    failures_last_hour: int
    last_error_class: str | None


class NotificationsHealth(BaseModel):
    email: EmailHealth
    dead: int = Field(description="Notifications that gave up")


class HealthError(BaseModel):
    error: str = Field(description="The class of the error met while checking")


class Ready(BaseModel):
    status: Literal["ok"]
    database: str = Field(description="sqlite or postgresql")
    notifications: NotificationsHealth | HealthError = Field(
        description="A detail: failing e-mail or dead pages never make the service unready")


class NotReady(BaseModel):
    status: Literal["unavailable"]
    database: str = Field(description="The class of the error met reaching the database")


READY: dict[int | str, dict[str, Any]] = {
    200: {"model": Ready, "description": "Ready"},
    503: {"model": NotReady, "description": "The database is unreachable"},
}

"""The answers of the alert intake. They are built by
web/api/alert_intake.py (shared with the fast path, web/intake_fast.py) and sent as they are: these models
document them in the OpenAPI schema (`responses=`) and cost nothing per request."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from warroom.web.api.schemas import ErrorOut


class EventAccepted(BaseModel):
    status: Literal["success"]
    message: str
    dedup_key: str = Field(description="Send it with acknowledge and resolve events")


class ChangeAccepted(BaseModel):
    status: Literal["success"]
    message: str
    id: str = Field(description="The stored change event's id")


class EventRefused(BaseModel):
    """PagerDuty's own error shape, so its clients understand it."""

    status: str = Field(description="invalid event, throttle event or unavailable")
    message: str
    errors: list[str] | None = Field(None, description="Each problem, `field: problem`")


class AlertsAccepted(BaseModel):
    status: Literal["success"]
    accepted: int = Field(description="How many alerts the post held")
    dedup_keys: list[str]


def _doc(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


RETRY = "Not committed; retry after the Retry-After header's seconds"
PAGERDUTY: dict[int | str, dict[str, Any]] = {
    "4XX": _doc(EventRefused, "400: an invalid event or routing key; 413: too large; 429: throttled, retry after "
                "Retry-After"),
    503: _doc(EventRefused, RETRY),
}
WEBHOOK: dict[int | str, dict[str, Any]] = {
    202: _doc(AlertsAccepted, "Committed"),
    "4XX": _doc(ErrorOut, "400: malformed JSON or an invalid payload; 401: an invalid integration key; "
                "413: too large"),
    503: _doc(ErrorOut, f"Overloaded or unavailable. {RETRY}"),
}

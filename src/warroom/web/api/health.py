"""Liveness and readiness probes (deliberately unauthenticated)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from warroom.platform import reads
from warroom.platform.app import App
from warroom.web.api.schemas.health import READY
from warroom.web.deps import get_app, public

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[Depends(public("liveness probe"))])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Depends(public("readiness probe"))], response_model=None, responses=READY)
def readyz(app: App = Depends(get_app)) -> JSONResponse:
    try:
        reads.ping(app)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": app.db.dialect, "notifications": _notifications(app)})


def _notifications(app: App) -> dict[str, Any]:
    """Notification channels as a detail: failing e-mail or dead pages never make the service unready."""
    from warroom.notifications import health

    try:
        with app.db.read() as conn:
            return health.report(app, conn)
    except Exception as exc:  # noqa: BLE001 - a detail, not a verdict
        return {"error": type(exc).__name__}

"""Every error leaves as a 4xx JSON body that names the field and the problem; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from warroom.errors import Conflict, Invalid, WarroomError
from warroom.incidents.lifecycle import IllegalMove

log = logging.getLogger("warroom.web")


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def error_body(code: str, message: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        status = 422
        for e in exc.errors():
            if e.get("type") == "json_invalid":
                status = 400
                reason = e.get("ctx", {}).get("error", e["msg"])
                errors.append({"field": "body", "problem": f"malformed JSON: {reason}"})
            else:
                errors.append({"field": _field(tuple(e.get("loc", ()))), "problem": e.get("msg", "invalid")})
        message = "; ".join(f"{x['field']}: {x['problem']}" for x in errors)
        return JSONResponse(error_body("invalid" if status == 422 else "bad_request", message, errors),
                            status_code=status)

    @app.exception_handler(WarroomError)
    async def _domain(request: Request, exc: WarroomError) -> JSONResponse:
        if isinstance(exc, Invalid):
            body = error_body("invalid", str(exc), [{"field": exc.field, "problem": exc.problem}])
        elif isinstance(exc, IllegalMove):
            body = error_body("illegal_move", str(exc), allowed=list(exc.allowed))
        elif isinstance(exc, Conflict):
            body = error_body("conflict", str(exc))
        else:
            body = error_body(type(exc).__name__.lower(), str(exc))
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        retry_after = getattr(exc, "retry_after", None)  # e.g. auth.passwords.Busy
        if retry_after:
            headers = {"Retry-After": str(retry_after)}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # Last line of defence: schemas bound ids and text, so reaching here means a check is missing.
        log.warning("value refused by the database", extra={"path": request.url.path, "exc": type(exc).__name__})
        problem = "a value is out of range or holds characters the database cannot store"
        return JSONResponse(error_body("invalid", f"request: {problem}", [{"field": "request", "problem": problem}]),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body("http_error", str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

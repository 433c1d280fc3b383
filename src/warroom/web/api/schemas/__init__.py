"""Pydantic request and response models of the REST API, one module per domain; this module holds what they
share: bounded ids, the strict base of request bodies, and the error answer every route may give."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Row ids are 32-bit integers on PostgreSQL; a larger number can only be a mistake, refused as a 422.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, and no text may hold NUL (PostgreSQL cannot store it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class FieldProblem(BaseModel):
    field: str = Field(description="The field at fault, dotted (`levels.0.targets`), or `body`")
    problem: str


class ErrorOut(BaseModel):
    """Every refusal (web/errors.py): a code, a sentence, and for invalid input the fields at fault."""

    error: str = Field(description="invalid, bad_request, not_found, forbidden, conflict, illegal_move, ...")
    message: str
    errors: list[FieldProblem] | None = Field(None, description="Invalid input: each field and its problem")
    allowed: list[str] | None = Field(None, description="An illegal lifecycle move: the statuses allowed next")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# The refusals a route of the user API may answer, documented once per router (`APIRouter(responses=ERRORS)`).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("No valid token or session"),
    403: _error("Your role may not do this"),
    404: _error("No such thing"),
    409: _error("Conflicts with the current state (a stale version, a name in use, an illegal move, ...)"),
    422: _error("Invalid input: `errors` names each field and its problem"),
}

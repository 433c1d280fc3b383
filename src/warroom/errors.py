"""Domain errors shared by every layer (pure). Adapters map them to 4xx answers and CLI lines."""

from __future__ import annotations

from typing import Any


class WarroomError(Exception):
    status = 400


class Invalid(WarroomError, ValueError):
    """A bad field: 422, naming the field and the problem."""

    status = 422

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class Conflict(WarroomError):
    """The current state does not allow this (illegal move, stale version): 409."""

    status = 409


class NotFound(WarroomError):
    status = 404


class Forbidden(WarroomError):
    status = 403


def refuse_nulls(changes: dict[str, Any], clearable: tuple[str, ...]) -> None:
    """In a partial update, None clears a `clearable` field; for any other field it is a mistake."""
    for name, value in changes.items():
        if value is None and name not in clearable:
            raise Invalid(name, "cannot be null (leave it out to keep it)")

"""Who may do what (pure). Admin > responder > viewer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from warroom.errors import Forbidden


class UserRole(StrEnum):
    ADMIN = "admin"  # manages users, tokens, catalog, integrations, settings
    RESPONDER = "responder"  # changes incidents
    VIEWER = "viewer"  # reads


RANK = {UserRole.VIEWER: 0, UserRole.RESPONDER: 1, UserRole.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: UserRole
    display_name: str = ""

    def can(self, needed: UserRole) -> bool:
        return RANK[self.role] >= RANK[needed]

    @property
    def actor(self) -> str:
        return self.username


def require(p: Principal, needed: UserRole) -> None:
    if not p.can(needed):
        raise Forbidden(f"this needs the {needed} role; you are {p.role}")

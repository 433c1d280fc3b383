"""Incident roles (pure): singular roles held by one person, and subject-matter experts tied to a team."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"  # Major Incident Coordinator
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"
    EXPERT = "expert"  # subject-matter expert, many per incident, each tied to a team


SINGULAR_ROLES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.COMMS_LEAD, Role.SCRIBE})

ROLE_TITLES: dict[Role, str] = {
    Role.COORDINATOR: "Major Incident Coordinator",
    Role.COMMS_LEAD: "Communications lead",
    Role.SCRIBE: "Scribe",
    Role.EXPERT: "Subject-matter expert",
}


class RoleError(ValueError):
    pass


def check_assignment(role: Role, team_id: int | None) -> None:
    """An expert names the team they represent; singular roles do not."""
    if role is Role.EXPERT and team_id is None:
        raise RoleError("team_id: a subject-matter expert must be tied to a team")
    if role in SINGULAR_ROLES and team_id is not None:
        raise RoleError(f"team_id: only experts are tied to a team, not the {role} role")

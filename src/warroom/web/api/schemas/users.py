"""Users, API tokens, your own password, and organisation settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warroom.auth.permissions import UserRole
from warroom.web.api.schemas import Id, Strict


class UserIn(Strict):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    display_name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: UserRole = UserRole.RESPONDER
    password: str | None = Field(None, min_length=8, max_length=200)
    time_zone: str = "UTC"


class UserPatch(Strict):
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    role: UserRole | None = None
    password: str | None = Field(None, min_length=8, max_length=200)
    active: bool | None = None
    time_zone: str | None = None


class TokenIn(Strict):
    name: str = Field("default", max_length=100)
    user_id: Id | None = Field(None, description="Admins may mint tokens for others")
    expires_at: datetime | None = Field(None, description="When the token stops working (default: never)")


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200, description="At least 8 characters")
    revoke_tokens: bool = Field(False, description="Also revoke all your API tokens")


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str | None
    role: UserRole
    active: bool
    time_zone: str
    created_at: datetime


class MeOut(UserOut):
    team_ids: list[int]


class NoUser(BaseModel):
    """`{}`: the signed-in user no longer exists."""

    model_config = ConfigDict(extra="forbid")


class PasswordChanged(BaseModel):
    changed: bool
    sessions_ended: int = Field(description="Your other browser sessions, now ended")
    tokens_revoked: bool


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret token. Shown only now; it is stored as a hash.")

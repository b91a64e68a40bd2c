"""What the user services take and return."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from oneplan.services.permissions import Role


class GrantInfo(BaseModel):
    """One grant: a role over some families and/or locations (empty lists: all of them)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    role: Role
    families: list[str]
    locations: list[str]


class UserInfo(BaseModel):
    """A user as lists show it: never the password hash."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    full_name: str
    active: bool
    has_password: bool
    grants: list[GrantInfo]
    created_at: datetime
    created_by: str
    version: int


class TokenInfo(BaseModel):
    """An API token as lists show it: its first characters, never the token or its hash."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewToken(BaseModel):
    """A token just made: ``token`` is shown this once and stored only as a hash."""

    model_config = ConfigDict(frozen=True)

    token: str
    info: TokenInfo

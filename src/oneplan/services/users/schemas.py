"""What the user services take and return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oneplan.services.moments import Moment
from oneplan.services.permissions import Grant, Role


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
    created_at: Moment
    created_by: str
    version: int


class TokenInfo(BaseModel):
    """An API token as lists show it: its first characters, never the token or its hash."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    label: str
    prefix: str
    created_at: Moment
    expires_at: Moment
    revoked_at: Moment | None
    last_used_at: Moment | None


class NewToken(BaseModel):
    """A token just made: ``token`` is shown this once and stored only as a hash."""

    model_config = ConfigDict(frozen=True)

    token: str
    info: TokenInfo


class GrantRequest(BaseModel):
    """A grant to give: a role over some families and/or locations (empty: all of them)."""

    model_config = ConfigDict(frozen=True)

    role: Role
    families: list[str] = []
    locations: list[str] = []

    def grant(self) -> Grant:
        return Grant(self.role, frozenset(self.families), frozenset(self.locations))


class NewUser(BaseModel):
    """A user to create; no password: API tokens only."""

    model_config = ConfigDict(frozen=True)

    name: str
    password: str | None = Field(None, description="12 to 256 characters; empty: tokens only.")
    full_name: str = ""
    grants: list[GrantRequest] = []


class NewTokenRequest(BaseModel):
    """A personal API token to make."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(
        min_length=1,
        max_length=100,
        description="What the token is for, e.g. 'excel on my laptop'.",
    )
    days: int = Field(90, ge=1, le=366, description="Days it stays valid.")

"""What the people who manage users look at: every user with their grants, the codes a grant
may name, each user's API tokens, and the server's settings without their secrets."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.db.models import Family, Location
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require
from oneplan.services.users.schemas import TokenInfo, UserInfo
from oneplan.services.users.service import list_users
from oneplan.services.users.tokens import list_tokens

#: Setting names that hold something a reader must not see.
SECRET_WORDS = ("password", "secret", "token", "key")
HIDDEN = "(hidden)"


class UserAdmin(BaseModel):
    """Users for the admin page, with the family and location codes a grant may name."""

    model_config = ConfigDict(frozen=True)

    users: list[UserInfo]
    families: list[str]
    locations: list[str]


class SettingShown(BaseModel):
    """One setting as the server runs with it: its variable, value (secrets hidden), meaning."""

    model_config = ConfigDict(frozen=True)

    variable: str
    value: str
    meaning: str


def user_admin(session: Session, actor: Actor) -> UserAdmin:
    """Every user and the grantable codes; only for ``manage_users``."""
    require(actor, Permission.manage_users)
    return UserAdmin(
        users=list_users(session, actor),
        families=list(session.scalars(sa.select(Family.code).order_by(Family.code))),
        locations=list(session.scalars(sa.select(Location.code).order_by(Location.code))),
    )


def user_tokens(session: Session, actor: Actor, name: str) -> list[TokenInfo]:
    """A user's tokens for the admin page (``manage_users``, even for one's own)."""
    require(actor, Permission.manage_users)
    return list_tokens(session, actor, name)


def without_secrets(name: str, value: object) -> str:
    """A setting's value as a reader may see it: a URL's password and any secret hidden.

    >>> without_secrets("database_url", "postgresql+psycopg://ada:s3cret@db/plans")
    'postgresql+psycopg://ada:***@db/plans'
    >>> without_secrets("storage_secret", "abc")
    '(hidden)'
    """
    if any(word in name for word in SECRET_WORDS):
        return HIDDEN
    text = str(value)
    if name.endswith("_url"):
        try:
            return sa.engine.make_url(text).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return HIDDEN
    return text


def settings_shown(session: Session, actor: Actor, settings: Settings) -> list[SettingShown]:
    """The server's settings (``manage_users``), by their environment variable."""
    require(actor, Permission.manage_users)
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return [
        SettingShown(
            variable=f"{prefix}{name}".upper(),
            value=without_secrets(name, getattr(settings, name)),
            meaning=field.description or "",
        )
        for name, field in Settings.model_fields.items()
    ]

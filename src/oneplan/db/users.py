"""The people who use oneplan: their password hashes, their grants and their API tokens.

There is no default user and no default password: the first user is created on the command line
(docs/security.md). Passwords and tokens are stored only as hashes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oneplan.db.base import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(
        sa.String(100), unique=True, comment="Log-in name, as the audit trail records it"
    )
    full_name: Mapped[str] = mapped_column(sa.String(200), default="", comment="Name shown")
    password_hash: Mapped[str | None] = mapped_column(
        sa.String(200), comment="argon2id hash; empty: no password log-in"
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, comment="False once disabled")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(
        sa.Integer, comment="Raised by every change: a stale edit is refused"
    )

    grants: Mapped[list[UserGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserGrant.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class UserGrant(Base):
    """A role given to a user, over some product families and/or locations (empty: all)."""

    __tablename__ = "user_grants"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30), comment="admin, demand_planner, sales, ...")
    families: Mapped[list[str]] = mapped_column(
        sa.JSON, comment="Family codes the grant reaches; empty: every family"
    )
    locations: Mapped[list[str]] = mapped_column(
        sa.JSON, comment="Location codes the grant reaches; empty: every location"
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(100))

    user: Mapped[User] = relationship(back_populates="grants")


class ApiToken(Base):
    """A personal API token: random, shown once, stored as its SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100), comment="What the token is for")
    token_hash: Mapped[str] = mapped_column(
        sa.String(64), unique=True, comment="SHA-256 of the token, hex"
    )
    prefix: Mapped[str] = mapped_column(
        sa.String(16), comment="The token's first characters, to recognise it in a list"
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class LoginSession(Base):
    """A person logged in to the server: the browser holds the session id in a cookie, the
    database only its SHA-256, as for API tokens (docs/security.md)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(
        sa.String(64), unique=True, comment="SHA-256 of the session id the cookie holds, hex"
    )
    csrf_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="SHA-256 of the token every change must carry in a header"
    )
    client: Mapped[str] = mapped_column(sa.String(100), comment="Address it logged in from")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), comment="Ends then however active it is"
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="Log-out, password change or disabled user"
    )


class LoginFailure(Base):
    """A failed log-in, counted per account and per address to slow down password guessing;
    stored, so the count holds across the server's workers."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(
        sa.String(200), comment="account:<name> or address:<client address>"
    )
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

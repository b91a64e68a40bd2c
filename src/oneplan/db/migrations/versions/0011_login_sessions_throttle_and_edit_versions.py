"""log-in sessions, failed log-ins, versions of editable things, withdrawn overrides

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose rows people edit over the server: each row gets a version, raised by every
#: change, that an edit names (HTTP If-Match) so that an edit on an older state is refused.
VERSIONED = {
    "plan_versions": "Raised by every state move: an edit made on an older state is refused",
    "demand_overrides": "Raised by every change",
    "scenarios": "Raised by every change to the scenario or its assumptions",
}


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "session_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the session id the cookie holds, hex",
        ),
        sa.Column(
            "csrf_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the token every change must carry in a header",
        ),
        sa.Column(
            "client", sa.String(length=100), nullable=False, comment="Address it logged in from"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "expires_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="Ends then however active it is",
        ),
        sa.Column(
            "ended_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Log-out, password change or disabled user",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_login_sessions_session_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=False,
            comment="account:<name> or address:<client address>",
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_key_at", ["key", "at"], unique=False)
    for table, comment in VERSIONED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "version", sa.Integer(), server_default="1", nullable=False, comment=comment
                )
            )
    with op.batch_alter_table("demand_overrides", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "withdrawn_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="When it stopped applying; kept as a record",
            )
        )
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("demand_overrides", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_key_at")
    op.drop_table("login_failures")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")

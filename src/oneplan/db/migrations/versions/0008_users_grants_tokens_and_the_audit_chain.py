"""users, grants, tokens and the audit chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The chain's hash is the one `oneplan audit verify` checks: hash the events already there with
# the very same function, so that a trail carried over verifies from its first event.
from oneplan.db.audit import GENESIS, event_hash

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("detail", sa.JSON),
    sa.column("previous_id", sa.Integer),
    sa.column("previous_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "name",
            sa.String(length=100),
            nullable=False,
            comment="Log-in name, as the audit trail records it",
        ),
        sa.Column("full_name", sa.String(length=200), nullable=False, comment="Name shown"),
        sa.Column(
            "password_hash",
            sa.String(length=200),
            nullable=True,
            comment="argon2id hash; empty: no password log-in",
        ),
        sa.Column("active", sa.Boolean(), nullable=False, comment="False once disabled"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised by every change: a stale edit is refused",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "user_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.String(length=30),
            nullable=False,
            comment="admin, demand_planner, sales, ...",
        ),
        sa.Column(
            "families",
            sa.JSON(),
            nullable=False,
            comment="Family codes the grant reaches; empty: every family",
        ),
        sa.Column(
            "locations",
            sa.JSON(),
            nullable=False,
            comment="Location codes the grant reaches; empty: every location",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_grants")),
    )
    with op.batch_alter_table("user_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_grants_user_id"), ["user_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False, comment="What the token is for"),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the token, hex",
        ),
        sa.Column(
            "prefix",
            sa.String(length=16),
            nullable=False,
            comment="The token's first characters, to recognise it in a list",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_api_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="Always 1"),
        sa.Column(
            "last_event_id",
            sa.Integer(),
            nullable=True,
            comment="The newest event; empty while the trail is empty",
        ),
        sa.Column(
            "last_hash", sa.String(length=64), nullable=False, comment="The newest event's hash"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "previous_id",
                sa.Integer(),
                nullable=True,
                comment="The event before this one in the chain; empty for the first",
            )
        )
        batch_op.add_column(
            sa.Column(
                "previous_hash",
                sa.String(length=64),
                nullable=True,
                comment="The hash of the event before (64 zeros for the first)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "hash",
                sa.String(length=64),
                nullable=True,
                comment="SHA-256 of this event's canonical form and its link",
            )
        )
    last_id, last_hash = _chain_existing_events()
    op.bulk_insert(chain, [{"id": 1, "last_event_id": last_id, "last_hash": last_hash}])
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)


def _chain_existing_events() -> tuple[int | None, str]:
    """Link and hash the events written before the chain, oldest first."""
    bind = op.get_bind()
    previous_id, previous_hash = None, GENESIS
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        digest = event_hash(
            id=row["id"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            detail=row["detail"],
            previous_id=previous_id,
            previous_hash=previous_hash,
        )
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(previous_id=previous_id, previous_hash=previous_hash, hash=digest)
        )
        previous_id, previous_hash = row["id"], digest
    return previous_id, previous_hash


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("previous_id")
    op.drop_table("audit_chain")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
    with op.batch_alter_table("user_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_grants_user_id"))
    op.drop_table("user_grants")
    op.drop_table("users")

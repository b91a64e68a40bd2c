"""comments, the inbox of notifications, e-mail settings and the mail outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "object_kind", sa.String(length=20), nullable=False, comment="item, demand_cell, ..."
        ),
        sa.Column(
            "object_key",
            sa.String(length=300),
            nullable=False,
            comment="The object's key: an item code, family/HOS/2027-03, ...",
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True, comment="The comment this one answers"),
        sa.Column("text", sa.Text(), nullable=False, comment="What was said, as typed"),
        sa.Column("mentions", sa.JSON(), nullable=False, comment="User names @mentioned"),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "withdrawn",
            sa.Boolean(),
            nullable=False,
            comment="Taken back by its author: kept, shown as withdrawn",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised by every edit: a stale edit is refused",
        ),
        sa.CheckConstraint(
            "object_kind IN ('demand_cell', 'item', 'family', 'resource', 'scenario', 'issue', "
            "'plan_version', 'cycle_step', 'decision')",
            name=op.f("ck_comments_object_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name=op.f("fk_comments_parent_id_comments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(
        "ix_comments_object", "comments", ["object_kind", "object_key", "id"], unique=False
    )
    op.create_index(op.f("ix_comments_parent_id"), "comments", ["parent_id"], unique=False)
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False, comment="The user it is for"),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "claimed_by", sa.String(length=200), nullable=True, comment="The sender sending it now"
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="Tries to send it"),
        sa.Column(
            "last_error", sa.String(length=500), nullable=True, comment="Why the last try failed"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index("ix_mail_outbox_sent_at_id", "mail_outbox", ["sent_at", "id"], unique=False)
    op.create_table(
        "mail_settings",
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False, comment="E-mail address"),
        sa.Column("delivery", sa.String(length=10), nullable=False, comment="each, daily or off"),
        sa.Column(
            "last_digest_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the last daily digest was queued",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "delivery IN ('each', 'daily', 'off')", name=op.f("ck_mail_settings_delivery_valid")
        ),
        sa.PrimaryKeyConstraint("user_name", name=op.f("pk_mail_settings")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False, comment="The user it is for"),
        sa.Column(
            "kind", sa.String(length=30), nullable=False, comment="mentioned, step_rejected, ..."
        ),
        sa.Column(
            "title", sa.String(length=300), nullable=False, comment="One line: what happened"
        ),
        sa.Column(
            "body", sa.Text(), nullable=False, comment="The detail: a reason, a comment's text"
        ),
        sa.Column(
            "object_kind",
            sa.String(length=20),
            nullable=True,
            comment="What it is about (a comment's kinds, or job)",
        ),
        sa.Column("object_key", sa.String(length=300), nullable=True),
        sa.Column(
            "caused_by", sa.String(length=100), nullable=False, comment="Who did what it tells"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "mailed_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When it was put in the mail outbox (or a digest)",
        ),
        sa.Column(
            "once_key",
            sa.String(length=200),
            nullable=True,
            comment="A reminder written at most once per person: step, date, kind",
        ),
        sa.CheckConstraint(
            "kind IN ('step_due', 'step_overdue', 'approval_requested', 'step_rejected', "
            "'mentioned', 'replied', 'job_succeeded', 'job_failed')",
            name=op.f("ck_notifications_kind_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("recipient", "once_key", name="uq_notifications_recipient_once_key"),
    )
    op.create_index(
        "ix_notifications_recipient_id", "notifications", ["recipient", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_recipient_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("mail_settings")
    op.drop_index("ix_mail_outbox_sent_at_id", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index(op.f("ix_comments_parent_id"), table_name="comments")
    op.drop_index("ix_comments_object", table_name="comments")
    op.drop_table("comments")

"""Comments on the things of the S&OP month, each person's inbox of notifications, and the
e-mail that tells them (docs/cycle.md, "Comments, the inbox and e-mail").

A comment is only ever added; its author may edit it (the ``version`` an edit names) or
withdraw it, never delete it. A notification is written in the transaction of the event that
causes it; the e-mail it asks for goes into ``mail_outbox`` in that same transaction and is sent
after the commit by whoever drains the outbox, so an event that rolls back sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.choices import CommentOn, MailDelivery, NoticeKind
from oneplan.db.base import Base


def _one_of(column: str, choices: type[StrEnum], name: str) -> Any:
    return sa.CheckConstraint(
        "{} IN ({})".format(column, ", ".join(f"'{c.value}'" for c in choices)), name=name
    )


class Comment(Base):
    """A comment on one object (kind, key), or a reply to another comment on it."""

    __tablename__ = "comments"
    __table_args__ = (
        _one_of("object_kind", CommentOn, "object_kind_valid"),
        sa.Index("ix_comments_object", "object_kind", "object_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    object_kind: Mapped[str] = mapped_column(sa.String(20), comment="item, demand_cell, ...")
    object_key: Mapped[str] = mapped_column(
        sa.String(300), comment="The object's key: an item code, family/HOS/2027-03, ..."
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id"), index=True, comment="The comment this one answers"
    )
    text: Mapped[str] = mapped_column(sa.Text, comment="What was said, as typed")
    mentions: Mapped[list[str]] = mapped_column(sa.JSON, comment="User names @mentioned")
    author: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawn: Mapped[bool] = mapped_column(
        sa.Boolean, comment="Taken back by its author: kept, shown as withdrawn"
    )
    version: Mapped[int] = mapped_column(
        sa.Integer, comment="Raised by every edit: a stale edit is refused"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Notification(Base):
    """One line of a person's inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        _one_of("kind", NoticeKind, "kind_valid"),
        sa.UniqueConstraint("recipient", "once_key", name="uq_notifications_recipient_once_key"),
        sa.Index("ix_notifications_recipient_id", "recipient", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(sa.String(100), comment="The user it is for")
    kind: Mapped[str] = mapped_column(sa.String(30), comment="mentioned, step_rejected, ...")
    title: Mapped[str] = mapped_column(sa.String(300), comment="One line: what happened")
    body: Mapped[str] = mapped_column(sa.Text, comment="The detail: a reason, a comment's text")
    object_kind: Mapped[str | None] = mapped_column(
        sa.String(20), comment="What it is about (a comment's kinds, or job)"
    )
    object_key: Mapped[str | None] = mapped_column(sa.String(300))
    caused_by: Mapped[str] = mapped_column(sa.String(100), comment="Who did what it tells")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    mailed_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="When it was put in the mail outbox (or a digest)"
    )
    once_key: Mapped[str | None] = mapped_column(
        sa.String(200), comment="A reminder written at most once per person: step, date, kind"
    )


class MailSetting(Base):
    """Where and how a person's notifications are e-mailed."""

    __tablename__ = "mail_settings"
    __table_args__ = (_one_of("delivery", MailDelivery, "delivery_valid"),)

    user_name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(254), comment="E-mail address")
    delivery: Mapped[str] = mapped_column(sa.String(10), comment="each, daily or off")
    last_digest_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="When the last daily digest was queued"
    )
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(sa.String(100))


class MailMessage(Base):
    """An e-mail waiting to be sent, or sent: the outbox the sender drains after commit."""

    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_sent_at_id", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(sa.String(100), comment="The user it is for")
    address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(
        sa.String(200), comment="The sender sending it now"
    )
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(sa.Integer, comment="Tries to send it")
    last_error: Mapped[str | None] = mapped_column(
        sa.String(500), comment="Why the last try failed"
    )

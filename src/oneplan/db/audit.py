"""The audit trail: who did what to which thing, and when. Rows are only ever added.

An event is written in the same transaction as the change it records, so a change that rolls
back leaves no event behind and no committed change lacks one.

The trail is a hash chain: each event holds the id and the hash of the event before it, and its
own hash covers a canonical serialisation of itself with that link (`event_hash`). The one-row
table ``audit_chain`` holds the newest event's id and hash; a writer locks it, so two
transactions can never both extend the same event. Editing an event changes its hash; deleting
one breaks the link of the next one (or the head's): `oneplan audit verify` finds both.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base

#: The link the first event holds: there is no event before it.
GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), comment="When it happened")
    actor: Mapped[str] = mapped_column(sa.String(100), comment="Who did it")
    action: Mapped[str] = mapped_column(
        sa.String(60), comment="What was done, e.g. plan.approve, import.done, demand.override"
    )
    subject_type: Mapped[str] = mapped_column(
        sa.String(60), comment="Kind of thing acted on, e.g. plan_version, import"
    )
    subject_id: Mapped[str] = mapped_column(sa.String(200), comment="Its id, as text")
    detail: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, comment="What changed: states before and after, counts, reasons"
    )
    previous_id: Mapped[int | None] = mapped_column(
        sa.Integer, comment="The event before this one in the chain; empty for the first"
    )
    previous_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="The hash of the event before (64 zeros for the first)"
    )
    hash: Mapped[str] = mapped_column(
        sa.String(64), comment="SHA-256 of this event's canonical form and its link"
    )


class AuditChain(Base):
    """The head of the audit chain: one row, locked by every writer of the trail."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, comment="Always 1")
    last_event_id: Mapped[int | None] = mapped_column(
        sa.Integer, comment="The newest event; empty while the trail is empty"
    )
    last_hash: Mapped[str] = mapped_column(sa.String(64), comment="The newest event's hash")


def utc_text(at: datetime) -> str:
    """A time as UTC text to the microsecond; a time without a zone is UTC (SQLite keeps none).

    >>> from datetime import timedelta, timezone
    >>> utc_text(datetime(2027, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    '2027-01-05T08:30:00.000000Z'
    >>> utc_text(datetime(2027, 1, 5, 8, 30))
    '2027-01-05T08:30:00.000000Z'
    """
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields as JSON with sorted keys and no spaces, the
    same on every database and in every process.

    >>> canonical({"b": 1, "a": [1.5, "é"]})
    b'{"a":[1.5,"\\xc3\\xa9"],"b":1}'
    """
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def event_hash(
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: dict[str, Any],
    previous_id: int | None,
    previous_hash: str,
) -> str:
    """The SHA-256 (hex) of one event and its link to the one before."""
    fields = {
        "id": id,
        "at": utc_text(at),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": detail,
        "previous_id": previous_id,
        "previous_hash": previous_hash,
    }
    return hashlib.sha256(canonical(fields)).hexdigest()


def hash_of(event: AuditEvent) -> str:
    """What ``event.hash`` must be, worked out again from its stored fields."""
    return event_hash(
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        detail=event.detail,
        previous_id=event.previous_id,
        previous_hash=event.previous_hash,
    )

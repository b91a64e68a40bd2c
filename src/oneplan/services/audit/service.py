"""Write and read the audit trail.

`record` only adds the event to the caller's session: it commits or rolls back together with the
change it describes, in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.audit import AuditEvent
from oneplan.services.actor import Actor
from oneplan.services.audit.schemas import AuditEntry


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int,
    detail: Mapping[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one event to the caller's transaction and flush it.

    ``detail`` must be JSON-serialisable (states before and after, counts, reasons).
    """
    event = AuditEvent(
        at=at or datetime.now(UTC),
        actor=actor.name,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=dict(detail or {}),
    )
    session.add(event)
    session.flush()
    return event


def events(
    session: Session,
    actor: Actor,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    *,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Events in the order they happened, optionally of one subject or one action.

    With ``limit``, the newest ``limit`` events (still oldest first).
    """
    query = sa.select(AuditEvent)
    if subject_type is not None:
        query = query.where(AuditEvent.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == str(subject_id))
    if action is not None:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [AuditEntry.model_validate(e) for e in reversed(session.scalars(query).all())]

"""Write and read the audit trail.

`record` only adds the event to the caller's session: it commits or rolls back together with the
change it describes, in the caller's unit of work. It extends the hash chain (`oneplan.db.audit`)
under a lock on the chain's head, so concurrent writers queue instead of forking the chain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.audit import GENESIS, AuditChain, AuditEvent, hash_of
from oneplan.services.actor import Actor
from oneplan.services.audit.schemas import AuditEntry
from oneplan.services.permissions import Permission, require_some


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

    ``detail`` must be JSON-serialisable (states before and after, counts, reasons). The chain's
    head stays locked until the caller's transaction ends (PostgreSQL: ``SELECT ... FOR
    UPDATE``; SQLite writers hold the database's write lock anyway).
    """
    head = chain_head(session, lock=True)
    event = AuditEvent(
        # in UTC: SQLite keeps no zone, and the hash must read back the time it covered
        at=(at or datetime.now(UTC)).astimezone(UTC),
        actor=actor.name,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        # Hash what the database gives back: JSON's own types (a tuple comes back a list).
        detail=json.loads(json.dumps(dict(detail or {}), allow_nan=False)),
        previous_id=head.last_event_id,
        previous_hash=head.last_hash,
        hash="",
    )
    session.add(event)
    session.flush()  # the id is part of what the hash covers
    event.hash = hash_of(event)
    head.last_event_id, head.last_hash = event.id, event.hash
    session.flush()
    return event


def chain_head(session: Session, *, lock: bool = False) -> AuditChain:
    """The head of the audit chain (made on first use, should its row be missing)."""
    query = sa.select(AuditChain).where(AuditChain.id == 1)
    if lock:
        query = query.with_for_update()
    head = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if head is None:
        head = AuditChain(id=1, last_event_id=None, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


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
    require_some(actor, Permission.read)
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

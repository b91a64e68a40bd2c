"""Check the audit chain: every event's hash and every link to the event before it.

Event ids may have gaps (a transaction that rolled back used a number), so a missing event is
found through the links, never through the numbers: each event names the id and hash of the one
before it, and the chain's head names the newest.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.audit import GENESIS, AuditEvent, hash_of
from oneplan.services.actor import Actor
from oneplan.services.audit.schemas import ChainBreak, ChainCheck
from oneplan.services.audit.service import chain_head
from oneplan.services.permissions import Permission, require_some


def verify_chain(session: Session, actor: Actor) -> ChainCheck:
    """Walk the trail oldest first; stop at the first edited or deleted event and name it."""
    require_some(actor, Permission.read)
    previous_id: int | None = None
    previous_hash = GENESIS
    count = 0
    query = sa.select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in session.scalars(query):
        broken = _break_at(event, previous_id, previous_hash)
        if broken is not None:
            return ChainCheck(
                events=count, last_event_id=previous_id, last_hash=previous_hash, broken=broken
            )
        previous_id, previous_hash = event.id, event.hash
        count += 1
    head = chain_head(session)
    broken = _break_at_head(head.last_event_id, head.last_hash, previous_id, previous_hash)
    return ChainCheck(
        events=count, last_event_id=previous_id, last_hash=previous_hash, broken=broken
    )


def _break_at(event: AuditEvent, previous_id: int | None, previous_hash: str) -> ChainBreak | None:
    if event.previous_id != previous_id:
        if event.previous_id is not None and (
            previous_id is None or event.previous_id > previous_id
        ):
            after = f"after event {previous_id}" if previous_id else "at the start of the trail"
            return ChainBreak(
                event_id=event.previous_id,
                kind="deleted",
                message=f"event {event.previous_id} was deleted: event {event.id} follows it, "
                f"but the trail goes on {after}",
            )
        return ChainBreak(
            event_id=event.id,
            kind="edited",
            message=f"event {event.id} was edited: it names event {event.previous_id} as the "
            f"one before it, not event {previous_id}",
        )
    if event.previous_hash != previous_hash:
        return ChainBreak(
            event_id=previous_id or event.id,
            kind="edited",
            message=f"event {previous_id} was edited: its hash is not the one event {event.id} "
            "holds",
        )
    if hash_of(event) != event.hash:
        return ChainBreak(
            event_id=event.id,
            kind="edited",
            message=f"event {event.id} was edited: its content no longer matches its hash",
        )
    return None


def _break_at_head(
    head_id: int | None, head_hash: str, last_id: int | None, last_hash: str
) -> ChainBreak | None:
    if head_id != last_id:
        if head_id is not None and (last_id is None or head_id > last_id):
            return ChainBreak(
                event_id=head_id,
                kind="deleted",
                message=f"event {head_id} was deleted: it is the newest event the chain knows, "
                f"but the trail ends at {f'event {last_id}' if last_id else 'nothing'}",
            )
        return ChainBreak(
            event_id=last_id or 0,
            kind="edited",
            message=f"event {last_id} is not in the chain: it was added outside oneplan after "
            f"event {head_id}",
        )
    if head_hash != last_hash:
        return ChainBreak(
            event_id=last_id or 0,
            kind="edited",
            message=f"event {last_id} was edited: its hash is not the one the chain's head holds",
        )
    return None

"""The audit trail: read it, and check its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from oneplan.api.deps import CurrentActor, SessionDep
from oneplan.services.audit.schemas import AuditEntry, ChainCheck

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events")
def list_audit_events(
    session: SessionDep,
    actor: CurrentActor,
    subject_type: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntry]:
    """The newest ``limit`` events (oldest first), of one subject or action if told."""
    from oneplan.services.audit.service import events

    return events(session, actor, subject_type, subject_id, action=action, limit=limit)


@router.get("/verify")
def verify_audit_chain(session: SessionDep, actor: CurrentActor) -> ChainCheck:
    """Walk the chain oldest first: how many events hold, the newest hash, the first break."""
    from oneplan.services.audit.verify import verify_chain

    return verify_chain(session, actor)

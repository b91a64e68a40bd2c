"""What the audit trail shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from oneplan.services.moments import Moment


class AuditEntry(BaseModel):
    """One event of the audit trail."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    at: Moment
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any]


class ChainBreak(BaseModel):
    """The first place where the audit chain does not hold."""

    model_config = ConfigDict(frozen=True)

    event_id: int
    kind: str  # "edited" or "deleted"
    message: str


class ChainCheck(BaseModel):
    """What `verify_chain` found: how many events hold, the newest one's hash, the first break."""

    model_config = ConfigDict(frozen=True)

    events: int
    last_event_id: int | None
    last_hash: str
    broken: ChainBreak | None = None

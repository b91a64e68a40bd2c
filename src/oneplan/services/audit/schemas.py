"""What the audit trail shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntry(BaseModel):
    """One event of the audit trail."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any]

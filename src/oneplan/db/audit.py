"""The audit trail: who did what to which thing, and when. Rows are only ever added.

An event is written in the same transaction as the change it records, so a change that rolls
back leaves no event behind and no committed change lacks one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import Base


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

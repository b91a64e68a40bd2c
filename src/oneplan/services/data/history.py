"""Past imports with their provenance: who imported which package, when, and the rows each
table gained or changed. Every package row's ``import_id`` points at one of these."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from oneplan.db.models import Import
from oneplan.services.actor import Actor
from oneplan.services.moments import Moment
from oneplan.services.permissions import Permission, require_some


class ImportInfo(BaseModel):
    """One import as the history lists it."""

    model_config = ConfigDict(frozen=True)

    id: int
    source: str
    format: str
    content_hash: str
    started_at: Moment
    finished_at: Moment | None
    started_by: str
    tables: dict[str, dict[str, int]]
    """Per table: rows inserted and updated (and deleted, for a replaced table)."""

    @property
    def inserted(self) -> int:
        return sum(t.get("inserted", 0) for t in self.tables.values())

    @property
    def updated(self) -> int:
        return sum(t.get("updated", 0) for t in self.tables.values())

    @property
    def deleted(self) -> int:
        return sum(t.get("deleted", 0) for t in self.tables.values())


def list_imports(session: Session, actor: Actor, *, limit: int = 100) -> list[ImportInfo]:
    """The newest ``limit`` imports, newest first."""
    require_some(actor, Permission.read)
    rows = session.scalars(sa.select(Import).order_by(Import.id.desc()).limit(limit))
    return [
        ImportInfo(
            id=row.id,
            source=row.source,
            format=row.format,
            content_hash=row.content_hash,
            started_at=row.started_at,
            finished_at=row.finished_at,
            started_by=row.started_by,
            tables=dict(row.row_counts or {}),
        )
        for row in rows
    ]

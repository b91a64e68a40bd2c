"""Which version of a kind a page opens on: the one asked for, else the newest of the open
cycle (the newest of any cycle when the open one has none of that kind yet)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.cycles import Cycle
from oneplan.db.plans import PlanVersion
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import get_version


def current_month(session: Session) -> str | None:
    """The open cycle's month, else the newest cycle's; None before any cycle is opened."""
    query = sa.select(Cycle.month).order_by((Cycle.state == "open").desc(), Cycle.month.desc())
    return session.scalars(query.limit(1)).first()


def chosen_version(session: Session, kind: str, version_id: int | None) -> PlanVersion:
    """The version ``version_id`` of ``kind``; without an id the newest of the open cycle,
    else the newest of the kind. NotFound names what exists instead."""
    if version_id is not None:
        return get_version(session, version_id, kind)
    month = current_month(session)
    if month is not None:
        newest = session.scalars(
            sa.select(PlanVersion)
            .where(PlanVersion.kind == kind, PlanVersion.cycle == month)
            .order_by(PlanVersion.id.desc())
            .limit(1)
        ).first()
        if newest is not None:
            return newest
    return get_version(session, None, kind)


def versions_of_cycle(session: Session, kind: str, cycle: str) -> list[VersionInfo]:
    """The versions of ``kind`` in ``cycle``, newest first."""
    found = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == kind, PlanVersion.cycle == cycle)
        .order_by(PlanVersion.id.desc())
    )
    return [VersionInfo.model_validate(v) for v in found]

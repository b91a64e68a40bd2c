"""Plan versions as people see them: list, show, the one in force, compare two."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.errors import Conflict, NotFound
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require_some
from oneplan.services.versions.lifecycle import SUPPLY_PLANS
from oneplan.services.versions.schemas import PlanDiff, VersionInfo, VersionPage
from oneplan.services.versions.store import get_version, load_frames


def _matching(kind: str | None, state: str | None, cycle: str | None) -> sa.Select[PlanVersion]:
    query = sa.select(PlanVersion)
    if kind is not None:
        query = query.where(PlanVersion.kind == kind)
    if state is not None:
        query = query.where(PlanVersion.state == state)
    if cycle is not None:
        query = query.where(PlanVersion.cycle == cycle)
    return query


def list_versions(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    state: str | None = None,
    cycle: str | None = None,
) -> list[VersionInfo]:
    """Versions, newest first, optionally of one kind, state and cycle."""
    found = session.scalars(_matching(kind, state, cycle).order_by(PlanVersion.id.desc()))
    return [VersionInfo.model_validate(v) for v in found]


def page_versions(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    state: str | None = None,
    cycle: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> VersionPage:
    """One page of `list_versions` (``limit`` versions after the first ``offset``) and the
    number of versions that match."""
    require_some(actor, Permission.read)
    query = _matching(kind, state, cycle)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    found = session.scalars(query.order_by(PlanVersion.id.desc()).limit(limit).offset(offset))
    items = [VersionInfo.model_validate(v) for v in found]
    return VersionPage(items=items, total=total, limit=limit, offset=offset)


def show_version(session: Session, actor: Actor, version_id: int) -> VersionInfo:
    """One version with the row count of each of its frames (frames are not loaded)."""
    version = get_version(session, version_id)
    rows = session.execute(
        sa.select(PlanFrame.name, PlanFrame.rows)
        .where(PlanFrame.version_id == version_id)
        .order_by(PlanFrame.name)
    )
    info = VersionInfo.model_validate(version)
    return info.model_copy(update={"frame_rows": {name: count for name, count in rows}})


def released_version(
    session: Session, actor: Actor, kind: str, cycle: str | None = None
) -> VersionInfo | None:
    """The newest released version of a kind (and cycle), if any."""
    found = list_versions(session, actor, kind=kind, state="released", cycle=cycle)
    return found[0] if found else None


def released_supply_plan(
    session: Session, actor: Actor, cycle: str | None = None
) -> VersionInfo | None:
    """The released supply plan (of the cycle, or the newest): the base plan or an adopted or
    released scenario run, whichever is in force (a cycle has at most one)."""
    query = sa.select(PlanVersion).where(
        PlanVersion.kind.in_(SUPPLY_PLANS), PlanVersion.state == "released"
    )
    if cycle is not None:
        query = query.where(PlanVersion.cycle == cycle)
    found = session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()
    return None if found is None else VersionInfo.model_validate(found)


def diff(
    session: Session,
    actor: Actor,
    a_id: int,
    b_id: int,
    frames: Iterable[str] | None = None,
) -> PlanDiff:
    """Compare two versions of the same kind: headline figures and, per frame, the rows added,
    removed and changed from ``a`` to ``b`` (every frame either has, or only those named)."""
    from oneplan.engines.diff import diff_frame_sets, headline_diff

    a, b = get_version(session, a_id), get_version(session, b_id)
    if a.kind != b.kind:
        raise Conflict(
            f"cannot compare plan version {a.id} ({a.kind}) with {b.id} ({b.kind}): "
            "only versions of the same kind compare"
        )
    wanted = None if frames is None else list(frames)
    frames_a, frames_b = load_frames(session, a.id, wanted), load_frames(session, b.id, wanted)
    if wanted is not None:
        unknown = [n for n in wanted if n not in frames_a and n not in frames_b]
        if unknown:
            raise NotFound(f"plan versions {a.id} and {b.id} have no frame {', '.join(unknown)}")
    return PlanDiff(
        VersionInfo.model_validate(a),
        VersionInfo.model_validate(b),
        headline_diff(a.summary or {}, b.summary or {}),
        diff_frame_sets(frames_a, frames_b),
    )

"""Store and read plan versions: each run's output frames, kept immutable as Parquet.

These are the building blocks the run services use; people see versions through
`oneplan.services.versions.service`.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.errors import InputError, NotFound
from oneplan.services.actor import Actor
from oneplan.services.permissions import WHOLE, Permission, Target, require

if TYPE_CHECKING:  # pandas is loaded when frames are: listing versions starts fast
    import pandas as pd

#: The permission that stores a plan version of each kind.
STORED_BY: dict[str, Permission] = {
    "demand": Permission.run_demand,
    "supply": Permission.run_supply,
    "finance": Permission.run_finance,
    "scenario": Permission.run_scenario,
}


def require_store(actor: Actor, kind: str, targets: Sequence[Target] = (WHOLE,)) -> None:
    """Refuse (`PermissionDenied`) an actor who may not store a version of ``kind``; a scenario
    run reaches the ``targets`` of its assumptions, the other runs the whole company."""
    require(actor, STORED_BY.get(kind, Permission.manage_users), targets)


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def content_hash(frames: Mapping[str, pd.DataFrame], settings: Mapping[str, Any]) -> str:
    """A fingerprint of a run's inputs: frames hashed by value (column names, dtypes, cells) in
    name order, plus the settings as canonical JSON. Equal inputs give equal hashes."""
    import pandas as pd

    digest = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        digest.update(name.encode())
        digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def save_version(
    session: Session,
    actor: Actor,
    *,
    cycle: str,
    kind: str,
    name: str,
    frames: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any],
    summary: Mapping[str, Any],
    input_hash: str,
    targets: Sequence[Target] = (WHOLE,),
) -> PlanVersion:
    """Write a new draft version with its frames; the caller's transaction commits it.

    A headline figure that is not a finite number is refused (``InputError`` naming it): the
    JSON column cannot hold it on PostgreSQL, and no plan built on it should go forward. An
    actor who may not store this kind of version is refused (`require_store`)."""
    require_store(actor, kind, targets)
    for figure, value in summary.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"is {value}, not a finite number", table="summary", column=figure)
    now = datetime.now(UTC)
    version = PlanVersion(
        cycle=cycle,
        kind=kind,
        name=name,
        state="draft",
        content_hash=input_hash,
        settings=dict(settings),
        summary=dict(summary),
        created_at=now,
        created_by=actor.name,
    )
    session.add(version)
    session.flush()
    session.add_all(
        PlanFrame(version_id=version.id, name=key, rows=len(frame), data=frame_to_parquet(frame))
        for key, frame in frames.items()
    )
    session.flush()
    return version


@dataclass(frozen=True)
class StoredVersion:
    """What a run stored: a new draft version, or (``reused``) the version an identical run
    stored before, whose numbers it would have repeated."""

    version: PlanVersion
    reused: bool = False


def reusable_version(
    session: Session, *, kind: str, cycle: str, input_hash: str, name: str | None = None
) -> PlanVersion | None:
    """The version a run of these inputs would repeat, if any: the newest version of the kind
    (of that name, for scenario runs, which are kept per scenario) that is not superseded,
    when it has the same cycle and content hash.

    Only the newest one counts: the steps that read a plan take the newest version of its
    kind, so a run always leaves its own numbers there, reused or new. An older version with
    the same hash (before a run of other inputs) is not reused; a superseded one never is."""
    query = sa.select(PlanVersion).where(
        PlanVersion.kind == kind, PlanVersion.state != "superseded"
    )
    if name is not None:
        query = query.where(PlanVersion.name == name)
    newest = session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()
    if newest is not None and newest.cycle == cycle and newest.content_hash == input_hash:
        return newest
    return None


def store_version(
    session: Session,
    actor: Actor,
    *,
    cycle: str,
    kind: str,
    name: str,
    frames: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any],
    summary: Mapping[str, Any],
    input_hash: str,
    per_name: bool = False,
    targets: Sequence[Target] = (WHOLE,),
) -> StoredVersion:
    """Store a run's result: reuse the version an identical run stored (`reusable_version`;
    ``per_name`` when versions of the kind are kept per name, as scenario runs are), else
    write a new draft with `save_version`. Equal inputs give equal numbers (the content hash
    covers every input, setting and engine version), so a copy would add nothing."""
    require_store(actor, kind, targets)
    found = reusable_version(
        session, kind=kind, cycle=cycle, input_hash=input_hash, name=name if per_name else None
    )
    if found is not None:
        return StoredVersion(found, reused=True)
    version = save_version(
        session,
        actor,
        cycle=cycle,
        kind=kind,
        name=name,
        frames=frames,
        settings=settings,
        summary=summary,
        input_hash=input_hash,
        targets=targets,
    )
    return StoredVersion(version)


def get_version(
    session: Session, version_id: int | None = None, kind: str | None = None
) -> PlanVersion:
    """The version with this id (of this kind, when one is given), or the newest of the kind.

    NotFound says what exists instead: a version of another kind is named as such.
    """
    if version_id is None:
        newest = newest_version(session, kind)
        if newest is None:
            what = f"{kind} plan" if kind is not None else "plan version"
            raise NotFound(f"there is no {what} yet; run the cycle first")
        return newest
    version = session.get(PlanVersion, version_id)
    if version is None:
        raise NotFound(f"there is no plan version {version_id}")
    if kind is not None and version.kind != kind:
        raise NotFound(f"plan version {version_id} is a {version.kind} plan, not a {kind} plan")
    return version


def newest_version(
    session: Session,
    kind: str | None,
    *,
    with_frame: str | None = None,
    in_force_only: bool = False,
) -> PlanVersion | None:
    """The newest version of a kind; with ``with_frame``, the newest that stores that frame;
    ``in_force_only`` leaves out superseded (withdrawn) versions."""
    query = sa.select(PlanVersion)
    if kind is not None:
        query = query.where(PlanVersion.kind == kind)
    if with_frame is not None:
        query = query.join(PlanFrame, PlanFrame.version_id == PlanVersion.id).where(
            PlanFrame.name == with_frame
        )
    if in_force_only:
        query = query.where(PlanVersion.state != "superseded")
    return session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()


def load_frames(
    session: Session, version_id: int, names: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    query = sa.select(PlanFrame).where(PlanFrame.version_id == version_id)
    if names is not None:
        query = query.where(PlanFrame.name.in_(list(names)))
    return {row.name: frame_from_parquet(row.data) for row in session.scalars(query)}

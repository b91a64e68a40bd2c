"""Store and read plan versions: each run's output frames, kept immutable as Parquet."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.errors import NotFound


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def content_hash(frames: Mapping[str, pd.DataFrame], settings: Mapping[str, Any]) -> str:
    """A fingerprint of a run's inputs: frames hashed by value (column names, dtypes, cells) in
    name order, plus the settings as canonical JSON. Equal inputs give equal hashes."""
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
    *,
    cycle: str,
    kind: str,
    name: str,
    frames: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any],
    summary: Mapping[str, Any],
    input_hash: str,
    user: str,
) -> PlanVersion:
    """Write a new draft version with its frames; the caller's transaction commits it."""
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
        created_by=user,
    )
    session.add(version)
    session.flush()
    session.add_all(
        PlanFrame(version_id=version.id, name=key, rows=len(frame), data=frame_to_parquet(frame))
        for key, frame in frames.items()
    )
    session.flush()
    return version


def get_version(
    session: Session, version_id: int | None = None, kind: str | None = None
) -> PlanVersion:
    """The version with this id, or the newest of this kind."""
    query = sa.select(PlanVersion)
    if version_id is not None:
        query = query.where(PlanVersion.id == version_id)
    if kind is not None:
        query = query.where(PlanVersion.kind == kind)
    version = session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()
    if version is None:
        what = f"plan version {version_id}" if version_id is not None else f"{kind} plan"
        raise NotFound(f"there is no {what} yet; run the cycle first")
    return version


def load_frames(
    session: Session, version_id: int, names: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    query = sa.select(PlanFrame).where(PlanFrame.version_id == version_id)
    if names is not None:
        query = query.where(PlanFrame.name.in_(list(names)))
    return {row.name: frame_from_parquet(row.data) for row in session.scalars(query)}

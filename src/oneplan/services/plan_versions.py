"""Plan versions through their life: list, show, compare, and move them from draft to released.

States and the only legal moves::

    draft -> proposed -> approved -> released
      any state but superseded -> superseded

Approving or releasing a version supersedes the version of the same kind and cycle that was
approved or released before, so each kind and cycle has at most one plan in force. An approved or
released version cannot be changed, only superseded. Every move stamps the version
(``state_changed_at``/``state_changed_by``) and writes an audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanFrame, PlanVersion
from oneplan.errors import Conflict, NotFound
from oneplan.services import audit
from oneplan.services.plans import get_version, load_frames

SUBJECT = "plan_version"
IN_FORCE = ("approved", "released")
FINAL = ("approved", "released", "superseded")

# action -> (state it starts from, state it leads to)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "propose": ("draft", "proposed"),
    "approve": ("proposed", "approved"),
    "release": ("approved", "released"),
}

# The columns that name a row of a known frame; other frames use their non-numeric columns.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "supply_plan": ("item", "location", "period"),
    "consensus": ("item", "location", "period"),
    "capacity_plan": ("resource", "period"),
    "unmet_demand": ("item", "location", "period"),
    "mps_month": ("item", "location", "period"),
    "cost_breakdown": ("term",),
    "safety_stock": ("item", "location", "period"),
    "projected_inventory": ("item", "location", "period"),
    "capacity_gap": ("item", "location", "period"),
    "marginal_cost": ("item", "location", "period"),
    "baseline": ("item", "location", "period"),
    "binding_constraints": ("name",),
    "workforce_plan": ("resource", "period"),
    "transfers": ("item", "from_location", "to_location", "ship_period"),
    "rollup": ("level", "member", "period"),
    "lines": ("item", "location", "period"),
}


def list_versions(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    cycle: str | None = None,
) -> list[PlanVersion]:
    """Versions, newest first, optionally of one kind, state and cycle."""
    query = sa.select(PlanVersion)
    if kind is not None:
        query = query.where(PlanVersion.kind == kind)
    if state is not None:
        query = query.where(PlanVersion.state == state)
    if cycle is not None:
        query = query.where(PlanVersion.cycle == cycle)
    return list(session.scalars(query.order_by(PlanVersion.id.desc())))


@dataclass(frozen=True)
class VersionDetail:
    version: PlanVersion
    frame_rows: dict[str, int]
    """Row count of each stored frame, by name."""


def show_version(session: Session, version_id: int) -> VersionDetail:
    """One version with the row count of each of its frames (frames are not loaded)."""
    version = get_version(session, version_id)
    rows = session.execute(
        sa.select(PlanFrame.name, PlanFrame.rows)
        .where(PlanFrame.version_id == version_id)
        .order_by(PlanFrame.name)
    )
    return VersionDetail(version, {name: count for name, count in rows})


def released_version(session: Session, kind: str, cycle: str | None = None) -> PlanVersion | None:
    """The newest released version of a kind (and cycle), if any."""
    found = list_versions(session, kind=kind, state="released", cycle=cycle)
    return found[0] if found else None


def ensure_changeable(version: PlanVersion) -> None:
    """Refuse to change a version that is approved, released or superseded."""
    if version.state in FINAL:
        raise Conflict(
            f"plan version {version.id} is {version.state}: it cannot be changed, only superseded"
            " by a new version"
        )


# --- state transitions -------------------------------------------------------------------------


def _lock_family(session: Session, version_id: int) -> tuple[PlanVersion, list[PlanVersion]]:
    """The version and every version of its kind and cycle, locked in id order.

    Locking the whole family (PostgreSQL; SQLite writers are serialised anyway) makes two people
    approving two versions at once wait for each other instead of both ending up approved."""
    version = get_version(session, version_id)
    family = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == version.kind, PlanVersion.cycle == version.cycle)
        .order_by(PlanVersion.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return version, list(family)


def _move(
    session: Session, version: PlanVersion, to: str, user: str, at: datetime, **detail: Any
) -> None:
    before = version.state
    version.state = to
    version.state_changed_at = at
    version.state_changed_by = user
    action = "plan.supersede" if to == "superseded" else f"plan.{_action_for(to)}"
    audit.record(
        session,
        user,
        action,
        SUBJECT,
        version.id,
        {"from": before, "to": to, "kind": version.kind, "cycle": version.cycle, **detail},
        at=at,
    )


def _action_for(state: str) -> str:
    return next(action for action, (_, to) in TRANSITIONS.items() if to == state)


def transition(session: Session, version_id: int, action: str, user: str) -> PlanVersion:
    """Apply ``propose``, ``approve`` or ``release`` to a version; the caller commits.

    Raises ``NotFound`` for an unknown version and ``Conflict`` (naming the current state) for a
    move the version's state does not allow; nothing changes then.
    """
    if action not in TRANSITIONS:
        raise ValueError(f"action: expected one of {', '.join(TRANSITIONS)}, not {action!r}")
    start, target = TRANSITIONS[action]
    version, family = _lock_family(session, version_id)
    if version.state != start:
        raise Conflict(
            f"cannot {action} plan version {version.id}: it is {version.state}, "
            f"only a {start} version can be {target}"
        )
    now = datetime.now(UTC)
    _move(session, version, target, user, now)
    if target in IN_FORCE:
        for other in family:
            if other.id != version.id and other.state in IN_FORCE:
                _move(session, other, "superseded", user, now, superseded_by=version.id)
    session.flush()
    return version


def propose(session: Session, version_id: int, user: str) -> PlanVersion:
    """draft -> proposed: put the version forward for approval."""
    return transition(session, version_id, "propose", user)


def approve(session: Session, version_id: int, user: str) -> PlanVersion:
    """proposed -> approved; the previously approved or released plan is superseded."""
    return transition(session, version_id, "approve", user)


def release(session: Session, version_id: int, user: str) -> PlanVersion:
    """approved -> released: the plan goes out (the MPS export takes the released supply plan)."""
    return transition(session, version_id, "release", user)


def supersede(session: Session, version_id: int, user: str, reason: str = "") -> PlanVersion:
    """Withdraw a version by hand (any state but superseded); it is kept as a record."""
    version, _ = _lock_family(session, version_id)
    if version.state == "superseded":
        raise Conflict(f"plan version {version.id} is already superseded")
    _move(session, version, "superseded", user, datetime.now(UTC), reason=reason)
    session.flush()
    return version


# --- comparing two versions --------------------------------------------------------------------


@dataclass(frozen=True)
class FrameDiff:
    """Record-level differences of one frame between version ``a`` (before) and ``b`` (after).

    ``added`` and ``removed`` hold whole rows; ``changed`` holds the key columns and, for each
    value column, ``<col>_a`` and ``<col>_b`` plus ``<col>_change`` (b - a) for numeric ones.
    ``totals`` has one row per numeric column: ``column, a, b, change`` over all rows."""

    name: str
    keys: tuple[str, ...]
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int
    totals: pd.DataFrame
    only_in_a: bool = False
    only_in_b: bool = False


@dataclass(frozen=True)
class PlanDiff:
    a: PlanVersion
    b: PlanVersion
    headline: pd.DataFrame
    """Summary figures side by side: ``figure, a, b, change`` (change only for numbers)."""
    frames: dict[str, FrameDiff] = field(default_factory=dict)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def natural_keys(name: str, frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns that identify a row: known for the plan's frames, else the non-numeric ones."""
    known = NATURAL_KEYS.get(name)
    if known and set(known) <= set(frame.columns):
        return known
    # Otherwise the text and date columns; flags and free text change, they do not identify.
    return tuple(
        str(c)
        for c in frame.columns
        if not _is_number(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and str(c) not in {"note", "meaning", "detail", "reason", "cause", "decision"}
    )


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Equal cell by cell, two empty cells counting as equal; numbers to a relative 1e-9."""
    if _is_number(a) and _is_number(b):
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore"):
            close = np.isclose(x, y, rtol=1e-9, atol=1e-9)
        return np.asarray(close | both_nan)
    x_na, y_na = a.isna().to_numpy(), b.isna().to_numpy()
    equal = (a.astype(object).to_numpy() == b.astype(object).to_numpy()) & ~x_na & ~y_na
    return np.asarray(equal | (x_na & y_na))


def _occurrence(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The how-many-th row with its key each row is (rows without key columns: their position)."""
    if not keys:
        return np.arange(len(frame))
    return frame.groupby(keys, dropna=False, sort=False).cumcount().to_numpy()


def diff_frames(
    a: pd.DataFrame, b: pd.DataFrame, keys: Iterable[str], name: str = "frame"
) -> FrameDiff:
    """Compare two versions of a frame row by row, rows matched on ``keys``.

    Rows that share a key are matched in order of appearance.

    >>> a = pd.DataFrame({"item": ["A", "B"], "qty": [1.0, 2.0]})
    >>> b = pd.DataFrame({"item": ["B", "C"], "qty": [5.0, 1.0]})
    >>> d = diff_frames(a, b, ["item"])
    >>> d.added["item"].tolist(), d.removed["item"].tolist(), d.changed["qty_change"].tolist()
    (['C'], ['A'], [3.0])
    """
    keys = list(keys)
    for side, frame in (("a", a), ("b", b)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise ValueError(f"{name} of version {side}: key column(s) {missing} missing")
    occurrence = "__occurrence"
    left = a[keys].assign(**{occurrence: _occurrence(a, keys), "__a": np.arange(len(a))})
    right = b[keys].assign(**{occurrence: _occurrence(b, keys), "__b": np.arange(len(b))})
    matched = left.merge(right, on=[*keys, occurrence], how="outer")
    in_a, in_b = matched["__a"].notna(), matched["__b"].notna()
    removed = a.iloc[matched.loc[in_a & ~in_b, "__a"].astype(int).to_numpy()]
    added = b.iloc[matched.loc[in_b & ~in_a, "__b"].astype(int).to_numpy()]
    pairs = matched[in_a & in_b]
    row_a = a.iloc[pairs["__a"].astype(int).to_numpy()].reset_index(drop=True)
    row_b = b.iloc[pairs["__b"].astype(int).to_numpy()].reset_index(drop=True)

    values = [c for c in a.columns if c in b.columns and c not in keys]
    differs = np.zeros(len(pairs), dtype=bool)
    changed = row_b[keys].copy()
    for column in values:
        differs |= ~_same(row_a[column], row_b[column])
        changed[f"{column}_a"] = row_a[column]
        changed[f"{column}_b"] = row_b[column]
        if _is_number(row_a[column]) and _is_number(row_b[column]):
            changed[f"{column}_change"] = row_b[column].astype(float) - row_a[column].astype(float)
    numeric = [c for c in values if _is_number(a[c]) and _is_number(b[c])]
    total_a = np.array([float(a[c].sum()) for c in numeric])
    total_b = np.array([float(b[c].sum()) for c in numeric])
    totals = pd.DataFrame({"column": numeric, "a": total_a, "b": total_b})
    totals["change"] = totals["b"] - totals["a"]
    return FrameDiff(
        name=name,
        keys=tuple(keys),
        added=added.reset_index(drop=True),
        removed=removed.reset_index(drop=True),
        changed=changed[differs].reset_index(drop=True),
        unchanged=int((~differs).sum()),
        totals=totals,
    )


def _headline(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    rows = []
    for figure in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(figure), b.get(figure)
        if isinstance(x, dict | list) or isinstance(y, dict | list):
            continue
        change = None
        # JSON true/false are ints to Python but not figures to subtract
        numbers = bool not in (type(x), type(y))
        if isinstance(x, int | float) and isinstance(y, int | float) and numbers:
            change = float(y) - float(x)
        rows.append({"figure": figure, "a": x, "b": y, "change": change})
    return pd.DataFrame(rows, columns=["figure", "a", "b", "change"])


def diff(session: Session, a_id: int, b_id: int, frames: Iterable[str] | None = None) -> PlanDiff:
    """Compare two versions of the same kind: headline figures and, per frame, the rows added,
    removed and changed from ``a`` to ``b`` (every frame either has, or only those named)."""
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
    result: dict[str, FrameDiff] = {}
    for name in sorted(set(frames_a) | set(frames_b)):
        frame_a = frames_a.get(name)
        frame_b = frames_b.get(name)
        base = frame_b if frame_a is None else frame_a
        assert base is not None
        empty = base.iloc[0:0]
        other = empty if frame_b is None else frame_b
        # a key column one version lacks cannot match rows (a frame whose layout changed)
        keys = [k for k in natural_keys(name, base) if k in other.columns]
        found = diff_frames(
            empty if frame_a is None else frame_a,
            empty if frame_b is None else frame_b,
            keys,
            name,
        )
        if frame_a is None or frame_b is None:
            found = replace(found, only_in_a=frame_b is None, only_in_b=frame_a is None)
        result[name] = found
    return PlanDiff(a, b, _headline(a.summary or {}, b.summary or {}), result)

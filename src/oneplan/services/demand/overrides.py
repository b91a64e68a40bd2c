"""Record demand overrides: validate every field against the master data, then append.

An override that fails validation changes nothing; the error names the field. Overrides are
only ever added: the demand step applies a cycle's overrides in ``sequence`` order. One taken
back is marked withdrawn (kept as a record: forecast value added is measured from them) and
stops applying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.demand import DemandOverride
from oneplan.engines.demand.overrides import OVERRIDE_COLUMNS, check_override, override_members
from oneplan.engines.frames import parse_month, plan_calendar
from oneplan.errors import Conflict, NotFound, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.data.service import read_tables
from oneplan.services.demand.schemas import OverrideIn, OverrideOut, OverridePage
from oneplan.services.permissions import Permission, require, require_some
from oneplan.services.scope import SCOPE_TABLES, targets_of
from oneplan.services.versioning import check_version

SUBJECT = "demand_override"


def cycle_overrides(session: Session, cycle: str) -> pd.DataFrame:
    """The cycle's overrides in application order, as a frame [id, sequence, level, ...]."""
    query = (
        sa.select(*(getattr(DemandOverride, c) for c in OVERRIDE_COLUMNS))
        .where(DemandOverride.cycle == cycle, DemandOverride.withdrawn_at.is_(None))
        .order_by(DemandOverride.sequence)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=OVERRIDE_COLUMNS)
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype("float64")
    return frame


def add_overrides(
    session: Session,
    actor: Actor,
    overrides: Sequence[Mapping[str, Any] | OverrideIn],
    *,
    cycle: str | None = None,
    source: str = "override",
    rows: Sequence[int | None] | None = None,
) -> list[OverrideOut]:
    """Validate every override (level, member, period, kind, value, reason), then append them
    all after the cycle's last one; one problem anywhere and nothing is stored.

    ``source`` and ``rows`` locate problems (a workbook and its rows, for example). The actor
    needs ``override_demand`` over the family and location of every node changed: a sales
    manager for hoses changes hoses only (`oneplan.services.scope`).
    """
    require_some(actor, Permission.override_demand)
    tables = read_tables(session, ["parameters", "items", "families", "locations"])
    calendar = plan_calendar(tables["parameters"])
    cycle = cycle or f"{calendar.start:%Y-%m}"
    if parse_month(cycle) is None:
        raise ValidationFailed([Problem(source, None, "cycle", f"{cycle!r} is not YYYY-MM")])
    members = override_members(tables)
    problems, clean = [], []
    for position, override in enumerate(overrides):
        fields = override.model_dump() if isinstance(override, OverrideIn) else override
        row = rows[position] if rows is not None else None
        found, checked = check_override(fields, members, calendar.months, source, row)
        problems += found
        clean.append(checked)
    if problems:
        raise ValidationFailed(problems)
    targets = [t for fields in clean for t in targets_of(tables, fields["level"], fields["member"])]
    require(actor, Permission.override_demand, targets)
    if session.get_bind().dialect.name == "postgresql":
        # Two planners adding overrides to one cycle at once take turns for the numbering
        # (SQLite writers already do: a write transaction holds the database's write lock).
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": cycle})
    last = session.scalar(
        sa.select(sa.func.max(DemandOverride.sequence)).where(DemandOverride.cycle == cycle)
    )
    now = datetime.now(UTC)
    added = [
        DemandOverride(
            cycle=cycle,
            level=fields["level"],
            member=fields["member"],
            period=fields["period"].date(),
            kind=fields["kind"],
            value=fields["value"],
            reason=fields["reason"],
            author=actor.name,
            created_at=now,
            sequence=(last or 0) + number,
        )
        for number, fields in enumerate(clean, start=1)
    ]
    session.add_all(added)
    session.flush()
    for stored in added:
        record(
            session,
            actor,
            "demand.override",
            SUBJECT,
            stored.id,
            {
                "cycle": cycle,
                "level": stored.level,
                "member": stored.member,
                "period": f"{stored.period:%Y-%m}",
                "kind": stored.kind,
                "value": stored.value,
                "reason": stored.reason,
            },
            at=now,
        )
    return [OverrideOut.model_validate(o) for o in added]


def override_months(first: str, last: str | None, plan_months: int) -> list[str]:
    """The months (``YYYY-MM``) from ``first`` through ``last`` (just ``first`` without one);
    ``ValidationFailed`` naming ``to`` for a last month that is not a month, comes before the
    first or makes a range longer than the plan (``plan_months``)."""
    if last is None:
        return [first]
    start, end = parse_month(first), parse_month(last)
    problem = None
    if end is None:
        problem = f"{last!r} is not a month like 2027-05"
    elif start is not None and end < start:
        problem = f"{end:%Y-%m} is before {start:%Y-%m}, the first month of the range"
    elif start is not None and len(pd.date_range(start, end, freq="MS")) > plan_months:
        problem = f"the range {start:%Y-%m} to {end:%Y-%m} is longer than the plan"
    if problem is not None or end is None:
        raise ValidationFailed([Problem("override", None, "to", problem or "is not a month")])
    if start is None:  # the month itself is refused, located, with the override's checks
        return [first]
    return [f"{month:%Y-%m}" for month in pd.date_range(start, end, freq="MS")]


def add_override_months(
    session: Session,
    actor: Actor,
    override: OverrideIn,
    *,
    to: str | None = None,
    cycle: str | None = None,
) -> list[OverrideOut]:
    """Record one override per month from ``override.period`` through ``to`` (``YYYY-MM``),
    each with the same level, member, kind, value and reason, numbered in month order; all or
    nothing: a problem in any month (outside the plan, say) and none is stored. Without ``to``,
    the one month of ``override``."""
    horizon = len(plan_calendar(read_tables(session, ["parameters"])["parameters"]).months)
    months = override_months(override.period, to, horizon)
    each = [override.model_copy(update={"period": month}) for month in months]
    return add_overrides(session, actor, each, cycle=cycle)


def add_override(
    session: Session, actor: Actor, override: OverrideIn, *, cycle: str | None = None
) -> OverrideOut:
    """Record one override of the demand plan; a bad field raises `ValidationFailed` naming it.

    ``kind`` ``absolute`` sets the node's total for the month to ``value`` units; ``relative``
    changes it by ``value`` percent. ``member`` is ``ITEM|LOCATION`` for level item_location and
    empty for total.
    """
    return add_overrides(session, actor, [override], cycle=cycle)[0]


def list_overrides(
    session: Session,
    actor: Actor,
    *,
    cycle: str | None = None,
    author: str | None = None,
    withdrawn: bool | None = False,
    limit: int = 100,
    offset: int = 0,
) -> OverridePage:
    """Overrides newest first, of one cycle and author if told; ``withdrawn`` False: those that
    apply, True: those taken back, None: both."""
    require_some(actor, Permission.read)
    query = sa.select(DemandOverride)
    if cycle is not None:
        query = query.where(DemandOverride.cycle == cycle)
    if author is not None:
        query = query.where(DemandOverride.author == author)
    if withdrawn is not None:
        taken_back = DemandOverride.withdrawn_at.is_not(None)
        query = query.where(taken_back if withdrawn else sa.not_(taken_back))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DemandOverride.id.desc()).limit(limit).offset(offset)
    ).all()
    items = [OverrideOut.model_validate(r) for r in rows]
    return OverridePage(items=items, total=total, limit=limit, offset=offset)


def get_override(session: Session, actor: Actor, override_id: int) -> OverrideOut:
    """One override, applying or withdrawn."""
    require_some(actor, Permission.read)
    return OverrideOut.model_validate(_override(session, override_id))


def _override(session: Session, override_id: int, *, lock: bool = False) -> DemandOverride:
    query = sa.select(DemandOverride).where(DemandOverride.id == override_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"there is no demand override {override_id}")
    return found


def withdraw_override(
    session: Session,
    actor: Actor,
    override_id: int,
    *,
    reason: str = "",
    expected: int | None = None,
) -> OverrideOut:
    """Take an override back: it stops applying from the next demand run and is kept as a
    record. The actor needs ``override_demand`` over the node it changed, as to make it;
    ``expected``: the version the person read (`oneplan.services.versioning`)."""
    require_some(actor, Permission.override_demand)
    override = _override(session, override_id, lock=True)
    what = f"demand override {override_id}"
    check_version(what, override.version, expected, lambda: OverrideOut.model_validate(override))
    tables = read_tables(session, SCOPE_TABLES)
    require(actor, Permission.override_demand, targets_of(tables, override.level, override.member))
    if override.withdrawn_at is not None:
        raise Conflict(f"{what} was withdrawn already by {override.withdrawn_by}")
    now = datetime.now(UTC)
    override.withdrawn_at, override.withdrawn_by = now, actor.name
    session.flush()
    detail = {"cycle": override.cycle, "sequence": override.sequence, "reason": reason}
    record(session, actor, "demand.withdraw", SUBJECT, override.id, detail, at=now)
    return OverrideOut.model_validate(override)

"""Record demand overrides: validate every field against the master data, then append.

An override that fails validation changes nothing; the error names the field. Overrides are
only ever added: the demand step applies a cycle's overrides in ``sequence`` order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.config import Settings, get_settings
from oneplan.datapack import package_schema
from oneplan.db.demand import OVERRIDE_KINDS, OVERRIDE_LEVELS, DemandOverride
from oneplan.db.session import unit_of_work
from oneplan.engines.demand.hierarchy import ID_SEPARATOR
from oneplan.errors import Problem, ValidationFailed
from oneplan.services import audit
from oneplan.services.exports import read_tables

OVERRIDE_COLUMNS = [
    "id",
    "sequence",
    "level",
    "member",
    "period",
    "kind",
    "value",
    "reason",
    "author",
    "created_at",
]
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


class _HasHorizon(Protocol):
    @property
    def horizon(self) -> int | None: ...
    @property
    def plan_start(self) -> str | None: ...


def plan_settings(
    parameters: pd.DataFrame, options: _HasHorizon | None = None
) -> tuple[pd.Timestamp, int, str]:
    """plan_start (a month start), horizon_periods and currency from the parameters table;
    ``options`` (when it sets them) win."""
    values = dict(zip(parameters["name"], parameters["value"], strict=True))
    start_text = (options.plan_start if options else None) or values.get("plan_start")
    horizon_value: Any = (options.horizon if options else None) or values.get("horizon_periods")
    problems = []
    start = parse_month(start_text) if start_text else None
    if start is None:
        problems.append(
            Problem(
                "parameters", None, "plan_start", f"is {start_text!r}, need a month like 2027-01"
            )
        )
    try:
        horizon = int(horizon_value)
    except (TypeError, ValueError):
        horizon = 0
    if horizon < 1:
        problems.append(
            Problem(
                "parameters",
                None,
                "horizon_periods",
                f"is {horizon_value!r}, need a whole number >= 1",
            )
        )
    if problems or start is None:
        raise ValidationFailed(problems)
    return start, horizon, str(values.get("currency") or "")


def parse_month(text: Any) -> pd.Timestamp | None:
    """``2027-03`` or ``2027-03-01`` as the month's first day; anything else None.

    >>> parse_month("2027-03"), parse_month("2027-03-15")
    (Timestamp('2027-03-01 00:00:00'), None)
    """
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)


def cycle_overrides(session: Session, cycle: str) -> pd.DataFrame:
    """The cycle's overrides in application order, as a frame [id, sequence, level, ...]."""
    query = (
        sa.select(*(getattr(DemandOverride, c) for c in OVERRIDE_COLUMNS))
        .where(DemandOverride.cycle == cycle)
        .order_by(DemandOverride.sequence)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=OVERRIDE_COLUMNS)
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype("float64")
    return frame


def _members(tables: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    items, families, locations = tables["items"], tables["families"], tables["locations"]
    return {
        "item": set(items["code"]),
        "family": set(families["code"]),
        "category": set(families["category"]),
        "region": set(locations["region"]),
        "location": set(locations["code"]),
    }


def _check(
    override: Mapping[str, Any],
    members: dict[str, set[str]],
    months: pd.DatetimeIndex,
    source: str,
    row: int | None,
) -> tuple[list[Problem], dict[str, Any]]:
    """Problems of one override, and its normalised fields."""
    problems: list[Problem] = []

    def fail(column: str, message: str) -> None:
        problems.append(Problem(source, row, column, message))

    level = str(override.get("level") or "").strip()
    member = str(override.get("member") or "").strip()
    if level not in OVERRIDE_LEVELS:
        fail("level", f"{level!r} is not one of {', '.join(OVERRIDE_LEVELS)}")
    elif level == "total":
        if member not in ("", "total"):
            fail("member", f"must be empty for level total, got {member!r}")
        member = ""
    elif level == "item_location":
        item, _, location = member.partition(ID_SEPARATOR)
        if not location:
            fail("member", f"{member!r} is not ITEM{ID_SEPARATOR}LOCATION")
        elif item not in members["item"]:
            fail("member", f"item {item!r} is not in items")
        elif location not in members["location"]:
            fail("member", f"location {location!r} is not in locations")
    elif member not in members[level]:
        fail("member", f"{member!r} is not a known {level}")
    period = parse_month(override.get("period"))
    if period is None:
        fail("period", f"{override.get('period')!r} is not a month like 2027-03")
    elif period not in months:
        fail(
            "period",
            f"{period:%Y-%m} is outside the plan ({months[0]:%Y-%m} to {months[-1]:%Y-%m})",
        )
    kind = str(override.get("kind") or "").strip()
    try:
        value = float(override.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if kind not in OVERRIDE_KINDS:
        fail("kind", f"{kind!r} is not one of {', '.join(OVERRIDE_KINDS)}")
    elif not math.isfinite(value):
        fail("value", f"{override.get('value')!r} is not a number")
    elif kind == "absolute" and value < 0:
        fail("value", f"{value:g} is negative; a plan cannot be set below zero units")
    elif kind == "relative" and value < -100:
        fail("value", f"{value:g}% is below -100%")
    reason = str(override.get("reason") or "").strip()
    if not reason:
        fail("reason", "is required: say why the plan changes")
    clean = {"level": level, "member": member, "period": period, "kind": kind, "value": value}
    return problems, {**clean, "reason": reason[:500]}


def _unit(target: Session | sa.Engine) -> AbstractContextManager[Session]:
    if isinstance(target, Session):
        return nullcontext(target)
    return unit_of_work(target, write=True)


def add_overrides(
    session_or_engine: Session | sa.Engine,
    overrides: Sequence[Mapping[str, Any]],
    *,
    cycle: str | None = None,
    author: str | None = None,
    settings: Settings | None = None,
    source: str = "override",
    rows: Sequence[int | None] | None = None,
) -> list[DemandOverride]:
    """Validate every override (level, member, period, kind, value, reason), then append them
    all after the cycle's last one; one problem anywhere and nothing is stored.

    ``source`` and ``rows`` locate problems (a workbook and its rows, for example).
    """
    settings = settings or get_settings()
    with _unit(session_or_engine) as session:
        tables = read_tables(
            session.connection(), package_schema(), ["parameters", "items", "families", "locations"]
        )
        start, horizon, _ = plan_settings(tables["parameters"])
        cycle = cycle or f"{start:%Y-%m}"
        if parse_month(cycle) is None:
            raise ValidationFailed([Problem(source, None, "cycle", f"{cycle!r} is not YYYY-MM")])
        months = pd.date_range(start, periods=horizon, freq="MS")
        members = _members(tables)
        problems, clean = [], []
        for position, override in enumerate(overrides):
            row = rows[position] if rows is not None else None
            found, fields = _check(override, members, months, source, row)
            problems += found
            clean.append(fields)
        if problems:
            raise ValidationFailed(problems)
        if session.bind is not None and session.get_bind().dialect.name == "postgresql":
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
                author=author or settings.user,
                created_at=now,
                sequence=(last or 0) + number,
            )
            for number, fields in enumerate(clean, start=1)
        ]
        session.add_all(added)
        session.flush()
        for stored in added:
            audit.record(
                session,
                stored.author,
                "demand.override",
                "demand_override",
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
        return added


def add_override(
    session_or_engine: Session | sa.Engine,
    *,
    level: str,
    member: str,
    period: str,
    kind: str,
    value: float,
    reason: str,
    cycle: str | None = None,
    author: str | None = None,
    settings: Settings | None = None,
) -> DemandOverride:
    """Record one override of the demand plan; a bad field raises `ValidationFailed` naming it.

    ``kind`` ``absolute`` sets the node's total for the month to ``value`` units; ``relative``
    changes it by ``value`` percent. ``member`` is ``ITEM|LOCATION`` for level item_location and
    empty for total.
    """
    fields = {
        "level": level,
        "member": member,
        "period": period,
        "kind": kind,
        "value": value,
        "reason": reason,
    }
    added = add_overrides(
        session_or_engine, [fields], cycle=cycle, author=author, settings=settings
    )
    return added[0]

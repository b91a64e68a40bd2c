"""The demo company's past: three S&OP months run for real, so its KPIs have a trend.

For each past month the company's data as it was known then (`oneplan.demo.past.known_at`) is
imported, the month is opened, the planners' overrides are recorded, the demand, supply and
finance steps run, every step is submitted and signed off by its owner and approver, the
executive meeting takes its decisions and the release closes the month. Then the present
package is imported (its order book and budget replacing the past ones) and the present month
is opened, which keeps the last past month's plan as its snapshot. docs/demo-company.md.

The workflow's rows (the cycle, its steps and decisions) are stamped with the dates of their
month, at each step's due date, since the KPI of the S&OP cycle time reads them; the plan
versions and the audit trail keep the time they were really made.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CycleStep, DecisionStatus
from oneplan.config import Settings
from oneplan.datapack import package_schema, write_package
from oneplan.db.cycles import Cycle, Decision
from oneplan.db.session import unit_of_work
from oneplan.demo.company import DemoParts
from oneplan.demo.past import known_at, past_months
from oneplan.runner import run_cycle
from oneplan.services.actor import Actor
from oneplan.services.cycle.decisions import add_decision, close_decision
from oneplan.services.cycle.moves import approve_step, submit_step
from oneplan.services.cycle.service import open_cycle
from oneplan.services.cycle.steps import CycleRequest
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.permissions import Grant, Role
from oneplan.services.versions.store import newest_version

T = TypeVar("T")


def _person(name: str, role: Role) -> Actor:
    return Actor(name, frozenset({Grant(role)}))


#: The people of the demo company's S&OP team, by the role they act in.
TEAM = {
    Role.demand_planner: _person("dora", Role.demand_planner),
    Role.sales: _person("sven", Role.sales),
    Role.supply_planner: _person("sam", Role.supply_planner),
    Role.finance: _person("fiona", Role.finance),
    Role.executive: _person("eva", Role.executive),
}
#: Who signs each step off (the first approver role of `oneplan.services.cycle.calendar.RULES`).
APPROVER = {
    CycleStep.gather_data: Role.supply_planner,
    CycleStep.demand_review: Role.executive,
    CycleStep.supply_review: Role.executive,
    CycleStep.pre_sop: Role.executive,
    CycleStep.executive_meeting: Role.executive,
    CycleStep.release: Role.executive,
}
#: Days each past month's steps ran late (from the supply review on): no month runs alike.
LATE_DAYS = (2, 0, 1)
#: Tables a past month's package replaces: its order book and its year's budget.
REPLACED = ("customer_orders", "budgets")
#: The planners' overrides of each past month: (author role, level, member, months after the
#: cycle, percent, reason). Judgement of the day, not knowledge of what came.
OVERRIDES = (
    (Role.demand_planner, "family", "SPR", (1, 2, 3), 8.0, "garden centres list the new timers"),
    (Role.sales, "family", "HOS", (1,), -5.0, "a wholesaler runs its hose stock down"),
    (Role.sales, "family", "STO", (3,), 6.0, "autumn storage campaign of a DIY chain"),
)
#: The executive meeting's decisions of each past month, in order; each closes a month later.
DECISIONS = (
    ("Run the North crew's overtime through the hose season", Role.supply_planner),
    ("Review the safety stock of the lumpy storage items", Role.demand_planner),
    ("Quote a second shift on EXT-N1 for next spring", Role.supply_planner),
)


@dataclass(frozen=True)
class PastCycle:
    """A past month as it was run: its month, the versions it stored and released, seconds."""

    month: str
    demand_version: int
    supply_version: int
    finance_version: int
    seconds: float


def _act(engine: sa.Engine, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One move in its own transaction, as a command makes it."""
    with unit_of_work(engine) as session:
        return call(session, *args, **kwargs)


def _import(engine: sa.Engine, path: Path, settings: Settings, actor: Actor) -> None:
    files = read_package_files(path, settings)
    with unit_of_work(engine) as session:
        import_package(session, actor, files, replace=REPLACED)


def _overrides(month: pd.Timestamp) -> dict[Role, list[dict[str, Any]]]:
    by_author: dict[Role, list[dict[str, Any]]] = {}
    for role, level, member, after, percent, reason in OVERRIDES:
        for months in after:
            period = month + pd.DateOffset(months=months)
            by_author.setdefault(role, []).append(
                {
                    "level": level,
                    "member": member,
                    "period": f"{period:%Y-%m}",
                    "kind": "relative",
                    "value": percent,
                    "reason": reason,
                }
            )
    return by_author


def _walk(engine: sa.Engine, month: str, supply_id: int, decision: int) -> None:
    """Submit and sign off every step in order; the meeting decides and the release closes."""
    for step in CycleStep:
        owner = TEAM[_owner_role(step)]
        extra = {"plan_version_id": supply_id} if step is CycleStep.executive_meeting else {}
        _act(engine, submit_step, owner, step.value, month=month, **extra)
        if step is CycleStep.executive_meeting:
            text, role = DECISIONS[decision % len(DECISIONS)]
            _act(engine, add_decision, owner, text, TEAM[role].name, month=month)
        _act(engine, approve_step, TEAM[APPROVER[step]], step.value, month=month)


def _owner_role(step: CycleStep) -> Role:
    from oneplan.services.cycle.calendar import RULES

    return RULES[step].owner


def _stamp(session: Session, month: str, late: int) -> None:
    """Date the month's workflow rows as if it had run then: opened on its first day at 8,
    each step submitted the working day before its due date and approved on it (``late`` days
    later from the supply review on), decisions at the meeting, closed at the release."""
    cycle = session.scalars(sa.select(Cycle).where(Cycle.month == month)).one()
    first = datetime.combine(pd.Timestamp(f"{month}-01").date(), time(8), UTC)
    cycle.opened_at = first
    at = first
    for step in cycle.steps:
        delay = timedelta(days=late if step.position >= 3 else 0)
        decided = datetime.combine(step.due_on, time(10), UTC) + delay
        submitted = max(at, decided - timedelta(days=1, hours=-6))
        step.submitted_at, step.decided_at, step.changed_at = submitted, decided, decided
        at = decided
    cycle.closed_at = at
    meeting = cycle.steps[4].decided_at or at
    for decision in session.scalars(sa.select(Decision).where(Decision.taken_in == month)):
        decision.created_at = meeting
    session.flush()


def _close_decisions(engine: sa.Engine, month: str, closed_on: datetime) -> None:
    """The decisions of the month before ``month`` are done: their owners close them."""
    with unit_of_work(engine) as session:
        for decision in session.scalars(
            sa.select(Decision).where(Decision.status == "open", Decision.taken_in < month)
        ).all():
            owner = next(a for a in TEAM.values() if a.name == decision.owner)
            close_decision(session, owner, decision.id, DecisionStatus.done, "")
            decision.closed_at = closed_on
        session.flush()


def run_past_cycle(
    engine: sa.Engine, settings: Settings, parts: DemoParts, month: pd.Timestamp, number: int
) -> PastCycle:
    """Run one past month from its own data, start to release."""
    import time as clock

    started = clock.perf_counter()
    label = f"{month:%Y-%m}"
    with tempfile.TemporaryDirectory(prefix="oneplan-past-") as folder:
        path = Path(folder) / label
        write_package(known_at(parts, month), path, format="parquet", schema=package_schema())
        _act(engine, open_cycle, TEAM[Role.demand_planner], label)
        _close_decisions(engine, label, datetime.combine(month.date(), time(9), UTC))
        _import(engine, path, settings, TEAM[Role.demand_planner])
    for role, overrides in _overrides(month).items():
        _act(engine, add_overrides, TEAM[role], overrides, cycle=label)
    request = CycleRequest(settings=settings)
    for step, role in (
        ("demand", Role.demand_planner),
        ("supply", Role.supply_planner),
        ("finance", Role.finance),
    ):
        run_cycle(engine, TEAM[role], request, only=[step])
    with unit_of_work(engine, write=False) as session:
        ids = {
            kind: version.id
            for kind in ("demand", "supply", "finance")
            if (version := newest_version(session, kind)) is not None
        }
    _walk(engine, label, ids["supply"], number)
    _act(engine, _stamp, label, LATE_DAYS[number % len(LATE_DAYS)])
    seconds = clock.perf_counter() - started
    return PastCycle(label, ids["demand"], ids["supply"], ids["finance"], seconds)


def has_cycles(engine: sa.Engine) -> bool:
    """Whether the database already holds a cycle (its history is its own)."""
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Cycle)) != 0


def build_history(
    engine: sa.Engine,
    settings: Settings,
    parts: DemoParts,
    present: Path,
    *,
    count: int = 3,
    on_cycle: Callable[[str], None] | None = None,
) -> list[PastCycle]:
    """Run the demo company's ``count`` past months (`oneplan.demo.past.past_months`), then
    import the ``present`` package and open the present month. The database must hold no
    cycle yet (`has_cycles`)."""
    done = []
    for number, month in enumerate(past_months(parts, count)):
        if on_cycle is not None:
            on_cycle(f"{month:%Y-%m}")
        done.append(run_past_cycle(engine, settings, parts, month, number))
    # the last month's decision is still open: it moves onto the present month's agenda
    _act(engine, open_cycle, TEAM[Role.demand_planner], f"{parts.plan_start:%Y-%m}")
    _import(engine, present, settings, TEAM[Role.demand_planner])
    return done

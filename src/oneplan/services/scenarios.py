"""Scenarios: create, list, show, delete, add assumptions, run, compare.

A scenario is data: a name, the scenario it branches from and an ordered list of typed
assumptions. Running it applies its ancestors' assumptions, then its own, to the newest demand
plan's consensus and the package tables, plans supply on the result and keeps one plan version
of kind ``scenario``. Nothing in the package tables changes.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.config import Settings, get_settings
from oneplan.datapack import package_schema
from oneplan.db.plans import PlanVersion
from oneplan.db.scenarios import Scenario, ScenarioAssumption
from oneplan.db.session import unit_of_work
from oneplan.engines.scenario import apply_assumptions
from oneplan.engines.scenario.assumptions import COLUMNS, check_assumptions
from oneplan.errors import Conflict, NotFound, Problem, ValidationFailed
from oneplan.services.audit import record
from oneplan.services.exports import read_tables
from oneplan.services.plans import content_hash, save_version
from oneplan.services.reconcile import reconcile_frames
from oneplan.services.supply import (
    DemandSource,
    SupplyOptions,
    SupplyResult,
    load_plan_tables,
    plan_supply,
    resolve_demand,
)

KIND = "scenario"
#: Finance frames a scenario run keeps beside its supply frames, for comparison.
FINANCE_FRAMES = ("lines", "budget_variance", "rollup_total")
#: Tables read besides the supply plan's: the assumptions' targets and the financial plan's.
EXTRA_TABLES = ["locations", "families", "budgets"]
SUBJECT = "scenario"
KEYS = ["item", "location", "period"]
USAGE = (
    "write KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT, "
    "e.g. demand_change:family:HOS:2027-05::10:percent"
)
ASSUMPTION_FIELDS = ("kind", "target_level", "target", "period_from", "period_to", "value", "unit")


@dataclass(frozen=True)
class Assumption:
    """One typed assumption as a person states it (months as ``date`` or None)."""

    kind: str
    target_level: str
    target: str
    period_from: date | None
    period_to: date | None
    value: float
    unit: str
    note: str = ""


def parse_assumption(text: str) -> Assumption:
    """``KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT`` (empty FROM/TO = the whole horizon).

    >>> parse_assumption("capacity_change:resource:INJ-N1:2027-03:2027-03:-100:percent")
    ... # doctest: +NORMALIZE_WHITESPACE
    Assumption(kind='capacity_change', target_level='resource', target='INJ-N1',
        period_from=datetime.date(2027, 3, 1), period_to=datetime.date(2027, 3, 1),
        value=-100.0, unit='percent', note='')
    """
    parts = text.split(":")
    if len(parts) != 7:
        raise ValidationFailed(
            [Problem(f"assumption '{text}'", None, None, f"has {len(parts)} parts; " + USAGE)]
        )
    kind, level, target, start, end, value, unit = (p.strip() for p in parts)
    months = []
    for field, given in (("period_from", start), ("period_to", end)):
        try:
            months.append(pd.Timestamp(given).date().replace(day=1) if given else None)
        except ValueError:
            problem = Problem(f"assumption '{text}'", None, field, f"'{given}' is not a month")
            raise ValidationFailed([problem]) from None
    try:
        number = float(value)
    except ValueError:
        problem = Problem(f"assumption '{text}'", None, "value", f"'{value}' is not a number")
        raise ValidationFailed([problem]) from None
    return Assumption(kind, level, target, months[0], months[1], number, unit)


def _frame(assumptions: Sequence[Assumption], first: int = 1) -> pd.DataFrame:
    rows = [{"position": first + i, **dataclasses.asdict(a)} for i, a in enumerate(assumptions)]
    return pd.DataFrame(rows, columns=[*COLUMNS, "note"])


def _check(name: str, assumptions: Sequence[Assumption], first: int = 1) -> None:
    check_assumptions(_frame(assumptions, first))


def get_scenario(session: Session, name: str) -> Scenario:
    scenario = session.scalars(sa.select(Scenario).where(Scenario.name == name)).first()
    if scenario is None:
        raise NotFound(f"there is no scenario '{name}'")
    return scenario


def _add(
    session: Session, scenario: Scenario, assumptions: Sequence[Assumption], first: int
) -> None:
    session.add_all(
        ScenarioAssumption(scenario_id=scenario.id, position=first + i, **dataclasses.asdict(a))
        for i, a in enumerate(assumptions)
    )
    session.flush()


def create_scenario(
    session: Session,
    name: str,
    *,
    user: str,
    parent: str | None = None,
    description: str = "",
    assumptions: Sequence[Assumption] = (),
) -> Scenario:
    """A new scenario with its assumptions (positions 1, 2, ...); flushed, not committed."""
    if not name.strip():
        raise ValidationFailed([Problem("scenario", None, "name", "is empty")])
    if session.scalars(sa.select(Scenario.id).where(Scenario.name == name)).first() is not None:
        raise Conflict(f"a scenario named '{name}' exists already")
    parent_id = get_scenario(session, parent).id if parent is not None else None
    _check(name, assumptions)
    scenario = Scenario(
        name=name,
        parent_id=parent_id,
        description=description,
        created_at=datetime.now(UTC),
        created_by=user,
    )
    session.add(scenario)
    session.flush()
    _add(session, scenario, assumptions, 1)
    detail = {"parent": parent, "assumptions": len(assumptions)}
    record(session, user, "scenario.create", SUBJECT, scenario.id, detail)
    return scenario


def add_assumption(session: Session, name: str, assumption: Assumption, *, user: str) -> int:
    """Append one assumption to the scenario; returns its position."""
    scenario = get_scenario(session, name)
    last = session.scalar(
        sa.select(sa.func.max(ScenarioAssumption.position)).where(
            ScenarioAssumption.scenario_id == scenario.id
        )
    )
    position = int(last or 0) + 1
    _check(name, [assumption], position)
    _add(session, scenario, [assumption], position)
    stated = {
        k: v.isoformat() if isinstance(v, date) else v
        for k, v in dataclasses.asdict(assumption).items()
    }
    detail = {"position": position, **stated}
    record(session, user, "scenario.assume", SUBJECT, scenario.id, detail)
    return position


def delete_scenario(session: Session, name: str, *, user: str) -> None:
    """Delete a scenario and its assumptions; refused while another scenario branches from it.

    Plan versions it produced are kept as records."""
    scenario = get_scenario(session, name)
    children = session.scalars(sa.select(Scenario.name).where(Scenario.parent_id == scenario.id))
    names = sorted(children)
    if names:
        raise Conflict(f"scenario '{name}' has scenarios branching from it: {', '.join(names)}")
    session.execute(
        sa.delete(ScenarioAssumption).where(ScenarioAssumption.scenario_id == scenario.id)
    )
    session.delete(scenario)
    session.flush()
    record(session, user, "scenario.delete", SUBJECT, scenario.id, {"name": name})


def lineage(session: Session, scenario: Scenario) -> list[Scenario]:
    """The scenario's ancestors, oldest first, then the scenario itself."""
    chain = [scenario]
    while chain[0].parent_id is not None:
        parent = session.get(Scenario, chain[0].parent_id)
        if parent is None or parent in chain:  # a broken link stops the walk
            break
        chain.insert(0, parent)
    return chain


def assumptions_of(session: Session, scenario: Scenario) -> pd.DataFrame:
    """Every assumption that applies, ancestors' first, renumbered 1..n in that order.

    Columns: the engine's assumption columns plus ``note``, ``scenario`` and ``own_position``.
    """
    chain = lineage(session, scenario)
    order = {s.id: i for i, s in enumerate(chain)}
    names = {s.id: s.name for s in chain}
    rows = session.scalars(
        sa.select(ScenarioAssumption).where(ScenarioAssumption.scenario_id.in_(list(order)))
    ).all()
    rows = sorted(rows, key=lambda a: (order[a.scenario_id], a.position))
    frame = pd.DataFrame(
        [
            {
                **{f: getattr(a, f) for f in (*ASSUMPTION_FIELDS, "note")},
                "scenario": names[a.scenario_id],
                "own_position": a.position,
            }
            for a in rows
        ],
        columns=[*ASSUMPTION_FIELDS, "note", "scenario", "own_position"],
    )
    frame.insert(0, "position", np.arange(1, len(frame) + 1))
    return frame


@dataclass(frozen=True)
class ScenarioInfo:
    scenario: Scenario
    parent: str | None
    assumptions: pd.DataFrame
    versions: list[PlanVersion]


def scenario_runs(session: Session, scenario: Scenario) -> list[PlanVersion]:
    found = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == KIND, PlanVersion.name == scenario.name)
        .order_by(PlanVersion.id.desc())
    ).all()
    return [v for v in found if (v.settings or {}).get("scenario_id") == scenario.id]


def show_scenario(session: Session, name: str) -> ScenarioInfo:
    """The scenario, its parent's name, every assumption that applies, its runs newest first."""
    scenario = get_scenario(session, name)
    parent = session.get(Scenario, scenario.parent_id) if scenario.parent_id else None
    return ScenarioInfo(
        scenario,
        parent.name if parent else None,
        assumptions_of(session, scenario),
        scenario_runs(session, scenario),
    )


def list_scenarios(session: Session) -> list[ScenarioInfo]:
    """Every scenario in name order, with its assumptions and runs."""
    scenarios = session.scalars(sa.select(Scenario).order_by(Scenario.name)).all()
    return [show_scenario(session, s.name) for s in scenarios]


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario run: the supply result, the assumption effects and the stored version."""

    result: SupplyResult
    effects: pd.DataFrame
    version_id: int
    seconds: dict[str, float]


def _json_ready(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return records


@dataclass(frozen=True)
class ScenarioInputs:
    """What a scenario run reads: its assumptions (ancestors first), the tables and the demand."""

    scenario_id: int
    assumptions: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    source: DemandSource


def read_inputs(session: Session, name: str) -> ScenarioInputs:
    """Read everything a run of scenario `name` needs; NotFound without a demand plan."""
    scenario = get_scenario(session, name)
    tables = load_plan_tables(session)
    tables.update(read_tables(session.connection(), package_schema(), EXTRA_TABLES))
    source = resolve_demand(session, tables)
    if source.version_id is None:
        raise NotFound("there is no demand plan version to branch from; run the demand step")
    return ScenarioInputs(scenario.id, assumptions_of(session, scenario), tables, source)


@dataclass(frozen=True)
class ScenarioPlan:
    """Supply and finance planned on the changed inputs (nothing stored)."""

    tables: dict[str, pd.DataFrame]
    demand: pd.DataFrame
    effects: pd.DataFrame
    result: SupplyResult
    finance: dict[str, pd.DataFrame]


def plan_scenario(
    name: str, inputs: ScenarioInputs, assumptions: pd.DataFrame, options: SupplyOptions
) -> ScenarioPlan:
    """Apply `assumptions` to the inputs, re-solve supply and value the result (pure).

    An empty `assumptions` frame plans the base as it stands.
    """
    changed, demand, effects = apply_assumptions(inputs.tables, inputs.source.demand, assumptions)
    label = f"scenario {name} on {inputs.source.label}"
    source = dataclasses.replace(inputs.source, demand=demand, label=label)
    result = plan_supply(changed, source, options)
    clock = time.perf_counter()
    finance: dict[str, pd.DataFrame] = {}
    if result.plan.has_plan:  # an unsolved plan has nothing to value
        finance = reconcile_frames(changed, demand, result.frames)
    seconds = {**result.seconds, "financial plan": time.perf_counter() - clock}
    result = dataclasses.replace(result, seconds=seconds)
    return ScenarioPlan(changed, demand, effects, result, finance)


def finance_summary(finance: dict[str, pd.DataFrame]) -> dict[str, float | None]:
    """Revenue, cost of goods, gross margin and margin % of a valued plan (empty: nothing).

    >>> lines = pd.DataFrame({"revenue": [80.0, 20.0], "cogs": [50.0, 10.0],
    ...     "gross_margin": [30.0, 10.0]})
    >>> finance_summary({"lines": lines})["margin_pct"]
    0.4
    """
    lines = finance.get("lines")
    if lines is None:
        return {}
    revenue = float(lines["revenue"].sum())
    margin = float(lines["gross_margin"].sum())
    return {
        "revenue": revenue,
        "cogs": float(lines["cogs"].sum()),
        "gross_margin": margin,
        "margin_pct": margin / revenue if revenue else None,
    }


def run_scenario(
    engine: sa.Engine,
    name: str,
    settings: Settings | None = None,
    options: SupplyOptions | None = None,
) -> ScenarioRun:
    """Apply the scenario's assumptions, plan supply and finance on the result, store one version.

    Demand assumptions change the demand plan's consensus directly, so no re-forecast is run.
    The version holds the supply frames, the changed demand, the assumption effects and the
    finance frames of `FINANCE_FRAMES` (valued with the changed prices and costs).
    Reading and storing are two short units of work; the solve runs outside any transaction.
    """
    settings = settings or get_settings()
    options = options or SupplyOptions()
    clock = time.perf_counter()
    with unit_of_work(engine, write=False) as session:
        inputs = read_inputs(session, name)
    assumptions, source = inputs.assumptions, inputs.source
    seconds = {"read": time.perf_counter() - clock}
    planned = plan_scenario(name, inputs, assumptions, options)
    changed, demand, result = planned.tables, planned.demand, planned.result
    effects = planned.effects.merge(
        assumptions[["position", "scenario", "own_position"]], on="position", how="left"
    )
    seconds["plan supply and finance"] = time.perf_counter() - clock - sum(seconds.values())
    run_settings = {
        **dataclasses.asdict(options),
        "scenario_id": inputs.scenario_id,
        "scenario": name,
        "assumptions": _json_ready(assumptions),
        "demand_version": source.version_id,
        "oneplan": __version__,
        "highspy": metadata.version("highspy"),
    }
    inputs_hashed = {**changed, "demand": demand}
    frames = {**result.frames, "demand": demand, "assumption_effects": effects}
    frames["prices"] = changed.get("prices", pd.DataFrame(columns=["item", "valid_from", "price"]))
    frames.update({k: planned.finance[k] for k in FINANCE_FRAMES if k in planned.finance})
    summary = {
        **result.summary,
        "assumptions": len(assumptions),
        "finance": finance_summary(planned.finance),
    }
    plan = result.plan.plan
    cycle = pd.Timestamp(plan["period"].min()).strftime("%Y-%m") if len(plan) else "-"
    with unit_of_work(engine) as session:
        version = save_version(
            session,
            cycle=cycle,
            kind=KIND,
            name=name,
            frames=frames,
            settings=run_settings,
            summary=summary,
            input_hash=content_hash(inputs_hashed, run_settings),
            user=settings.user,
        )
        detail = {"version": version.id, "status": result.summary["status"]}
        record(session, settings.user, "scenario.run", SUBJECT, inputs.scenario_id, detail)
        version_id = version.id
    seconds["store version"] = time.perf_counter() - clock - sum(seconds.values())
    return ScenarioRun(
        dataclasses.replace(result, version_id=version_id), effects, version_id, seconds
    )

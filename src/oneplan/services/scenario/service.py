"""Scenarios: create, list, show, delete, add assumptions, run, explain.

A scenario is data: a name, the scenario it branches from and an ordered list of typed
assumptions. Running it applies its ancestors' assumptions, then its own, to the newest demand
plan's consensus and the package tables, plans supply and finance on the result
(`oneplan.engines.pipeline.scenario`) and keeps one plan version of kind ``scenario``. Nothing
in the package tables changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.db.plans import PlanVersion
from oneplan.db.scenarios import Scenario, ScenarioAssumption
from oneplan.engines.frames import plan_calendar
from oneplan.engines.kpi import finance_summary
from oneplan.engines.scenario.assumptions import COLUMNS, check_assumptions
from oneplan.errors import Conflict, NotFound, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, Target, require, require_some
from oneplan.services.phases import PhasedRun, ReadRun
from oneplan.services.scenario.schemas import (
    Assumption,
    ScenarioInfo,
    ScenarioRunInfo,
    ScenarioView,
)
from oneplan.services.scope import SCOPE_TABLES, targets_of
from oneplan.services.supply.schemas import SupplyOptions
from oneplan.services.supply.service import PLAN_TABLES, DemandSource, resolve_demand
from oneplan.services.versioning import check_version
from oneplan.services.versions.store import content_hash, store_version

if TYPE_CHECKING:  # the pipeline loads the solver: imported where a scenario is planned
    from oneplan.engines.pipeline.scenario import ScenarioPlan

KIND = "scenario"
#: Tables read besides the supply plan's: the assumptions' targets and the financial plan's.
EXTRA_TABLES = ["locations", "families", "budgets"]
SUBJECT = "scenario"
ASSUMPTION_FIELDS = ("kind", "target_level", "target", "period_from", "period_to", "value", "unit")
NAME_LENGTH = 200


def _frame(assumptions: Sequence[Assumption], first: int = 1) -> pd.DataFrame:
    rows = [
        {"position": first + i, **a.model_dump(mode="python")} for i, a in enumerate(assumptions)
    ]
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "note"])
    frame["kind"] = frame["kind"].astype(object).map(str)
    return frame


def _check(session: Session, assumptions: Sequence[Assumption], first: int = 1) -> None:
    """The engine's checks of each assumption (kind, level, unit, value, and months within the
    plan when the parameters say which months it covers)."""
    months = None
    parameters = read_tables(session, ["parameters"])["parameters"]
    if {"plan_start", "horizon_periods"} <= set(parameters["name"]):
        months = plan_calendar(parameters).months
    check_assumptions(_frame(assumptions, first), months)


def assumption_targets(
    session: Session, assumptions: Sequence[Assumption] | pd.DataFrame
) -> list[Target]:
    """What the assumptions reach (`oneplan.services.scope`): a scoped grant covers a scenario
    whose every assumption is about its families or locations."""
    tables = read_tables(session, SCOPE_TABLES)
    pairs = (
        zip(assumptions["target_level"], assumptions["target"], strict=True)
        if isinstance(assumptions, pd.DataFrame)
        else ((a.target_level, a.target) for a in assumptions)
    )
    return [t for level, target in pairs for t in targets_of(tables, str(level), str(target))]


def get_scenario(session: Session, name: str, *, lock: bool = False) -> Scenario:
    """The scenario of this name; ``lock`` holds its row until the transaction ends, so two
    people changing one scenario at once take turns (PostgreSQL; SQLite writers always do)."""
    query = sa.select(Scenario).where(Scenario.name == name)
    if lock:
        query = query.with_for_update()
    scenario = session.scalars(query).first()
    if scenario is None:
        raise NotFound(f"there is no scenario {name!r}")
    return scenario


def _stored(assumption: Assumption) -> dict[str, Any]:
    fields = assumption.model_dump(mode="python")
    fields["kind"] = str(assumption.kind)
    return fields


def _add(
    session: Session, scenario: Scenario, assumptions: Sequence[Assumption], first: int
) -> None:
    session.add_all(
        ScenarioAssumption(scenario_id=scenario.id, position=first + i, **_stored(a))
        for i, a in enumerate(assumptions)
    )
    session.flush()


def _check_name(name: str) -> None:
    problem = None
    if not name.strip():
        problem = "is empty"
    elif len(name) > NAME_LENGTH:
        problem = f"has {len(name)} characters; at most {NAME_LENGTH}"
    elif any(not c.isprintable() for c in name):
        problem = "holds control characters"
    if problem is not None:
        raise ValidationFailed([Problem("scenario", None, "name", problem)])


def create_scenario(
    session: Session,
    actor: Actor,
    name: str,
    *,
    parent: str | None = None,
    description: str = "",
    assumptions: Sequence[Assumption] = (),
) -> ScenarioInfo:
    """A new scenario with its assumptions (positions 1, 2, ...); flushed, not committed."""
    require_some(actor, Permission.edit_scenario)
    _check_name(name)
    if session.scalars(sa.select(Scenario.id).where(Scenario.name == name)).first() is not None:
        raise Conflict(f"a scenario named {name!r} exists already")
    parent_id = get_scenario(session, parent).id if parent is not None else None
    _check(session, assumptions)
    require(actor, Permission.edit_scenario, assumption_targets(session, assumptions))
    scenario = Scenario(
        name=name,
        parent_id=parent_id,
        description=description,
        created_at=datetime.now(UTC),
        created_by=actor.name,
        version=1,
    )
    session.add(scenario)
    session.flush()
    _add(session, scenario, assumptions, 1)
    detail = {"parent": parent, "assumptions": len(assumptions)}
    record(session, actor, "scenario.create", SUBJECT, scenario.id, detail)
    return show_scenario(session, actor, name)


def _check_version(
    session: Session, actor: Actor, scenario: Scenario, expected: int | None
) -> None:
    what = f"scenario {scenario.name!r}"
    check_version(
        what,
        scenario.version,
        expected,
        lambda: ScenarioView.of(show_scenario(session, actor, scenario.name)),
    )


def add_assumption(
    session: Session,
    actor: Actor,
    name: str,
    assumption: Assumption,
    *,
    expected: int | None = None,
) -> int:
    """Append one assumption to the scenario; returns its position. ``expected``: the
    scenario's version the person read (`oneplan.services.versioning`)."""
    require_some(actor, Permission.edit_scenario)
    scenario = get_scenario(session, name, lock=True)
    _check_version(session, actor, scenario, expected)
    last = session.scalar(
        sa.select(sa.func.max(ScenarioAssumption.position)).where(
            ScenarioAssumption.scenario_id == scenario.id
        )
    )
    position = int(last or 0) + 1
    _check(session, [assumption], position)
    require(actor, Permission.edit_scenario, assumption_targets(session, [assumption]))
    _add(session, scenario, [assumption], position)
    scenario.version += 1
    session.flush()
    stated = {
        k: v.isoformat() if isinstance(v, date) else v for k, v in _stored(assumption).items()
    }
    detail = {"position": position, **stated}
    record(session, actor, "scenario.assume", SUBJECT, scenario.id, detail)
    return position


def delete_scenario(
    session: Session, actor: Actor, name: str, *, expected: int | None = None
) -> None:
    """Delete a scenario and its assumptions; refused while another scenario branches from it.

    Plan versions it produced are kept as records. A scoped grant deletes a scenario whose own
    assumptions are all within its scope."""
    require_some(actor, Permission.edit_scenario)
    scenario = get_scenario(session, name, lock=True)
    _check_version(session, actor, scenario, expected)
    own = assumptions_of(session, scenario)
    require(
        actor,
        Permission.edit_scenario,
        assumption_targets(session, own[own["scenario"] == scenario.name]),
    )
    children = session.scalars(sa.select(Scenario.name).where(Scenario.parent_id == scenario.id))
    names = sorted(children)
    if names:
        raise Conflict(f"scenario {name!r} has scenarios branching from it: {', '.join(names)}")
    session.execute(
        sa.delete(ScenarioAssumption).where(ScenarioAssumption.scenario_id == scenario.id)
    )
    session.delete(scenario)
    session.flush()
    record(session, actor, "scenario.delete", SUBJECT, scenario.id, {"name": name})


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


def scenario_runs(session: Session, scenario: Scenario) -> list[PlanVersion]:
    """The scenario's stored runs, newest first."""
    found = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == KIND, PlanVersion.name == scenario.name)
        .order_by(PlanVersion.id.desc())
    ).all()
    return [v for v in found if (v.settings or {}).get("scenario_id") == scenario.id]


def show_scenario(session: Session, actor: Actor, name: str) -> ScenarioInfo:
    """The scenario, its parent's name, every assumption that applies, its runs newest first."""
    scenario = get_scenario(session, name)
    parent = session.get(Scenario, scenario.parent_id) if scenario.parent_id else None
    runs = [
        ScenarioRunInfo(version_id=v.id, created_at=v.created_at, summary=v.summary or {})
        for v in scenario_runs(session, scenario)
    ]
    return ScenarioInfo(
        id=scenario.id,
        name=scenario.name,
        parent=parent.name if parent else None,
        description=scenario.description,
        created_at=scenario.created_at,
        created_by=scenario.created_by,
        assumptions=assumptions_of(session, scenario),
        runs=runs,
        version=scenario.version,
    )


def list_scenarios(session: Session, actor: Actor) -> list[ScenarioInfo]:
    """Every scenario in name order, with its assumptions and runs."""
    names = session.scalars(sa.select(Scenario.name).order_by(Scenario.name)).all()
    return [show_scenario(session, actor, name) for name in names]


@dataclass(frozen=True)
class ScenarioInputs:
    """What a scenario run reads: its assumptions (ancestors first), the tables and the demand."""

    name: str
    scenario_id: int
    assumptions: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    source: DemandSource
    seconds: dict[str, float]


@dataclass(frozen=True)
class ScenarioRun:
    """One stored scenario run: the plan, the assumption effects, the version and seconds."""

    planned: ScenarioPlan
    effects: pd.DataFrame
    summary: dict[str, Any]
    version_id: int
    seconds: dict[str, float]
    reused: bool = False
    """True when the scenario's identical run before was reused instead of storing a copy."""


def load_scenario_inputs(session: Session, name: str) -> ScenarioInputs:
    """Read everything a run of scenario `name` needs; NotFound without a demand plan."""
    clock = time.perf_counter()
    scenario = get_scenario(session, name)
    tables = read_tables(session, [*PLAN_TABLES, *EXTRA_TABLES])
    source = resolve_demand(session, tables)
    if source.version_id is None:
        raise NotFound("there is no demand plan version to branch from; run the demand step")
    return ScenarioInputs(
        name,
        scenario.id,
        assumptions_of(session, scenario),
        tables,
        source,
        {"read": time.perf_counter() - clock},
    )


def _plan(
    inputs: ScenarioInputs, assumptions: pd.DataFrame, options: SupplyOptions
) -> ScenarioPlan:
    from oneplan.engines.pipeline.scenario import plan_scenario

    return plan_scenario(
        inputs.tables,
        inputs.source.demand,
        inputs.source.errors,
        assumptions,
        objective=options.objective.value,
        level=options.level.value,
        integer_workforce=options.integer_workforce,
        time_limit=options.time_limit,
    )


def _json_ready(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return records


def store_scenario_run(
    session: Session,
    actor: Actor,
    inputs: ScenarioInputs,
    planned: ScenarioPlan,
    options: SupplyOptions,
    seconds: dict[str, float],
) -> ScenarioRun:
    """Store a planned scenario as a new ``scenario`` version (or reuse the scenario's
    identical run before: `oneplan.services.versions.store.store_version`), with an audit
    event. A scoped grant runs a scenario whose every assumption (its ancestors' too) is within
    its scope."""
    targets = assumption_targets(session, inputs.assumptions)
    require(actor, Permission.run_scenario, targets)
    clock = time.perf_counter()
    assumptions, source, supply = inputs.assumptions, inputs.source, planned.supply
    effects = planned.effects.merge(
        assumptions[["position", "scenario", "own_position"]], on="position", how="left"
    )
    run_settings = {
        **options.model_dump(mode="json"),
        "scenario_id": inputs.scenario_id,
        "scenario": inputs.name,
        "assumptions": _json_ready(assumptions),
        "demand_version": source.version_id,
        "oneplan": __version__,
        "highspy": metadata.version("highspy"),
    }
    hashed = {**planned.tables, "demand": planned.demand}
    frames = {**supply.frames, "demand": planned.demand, "assumption_effects": effects}
    frames["prices"] = planned.tables.get(
        "prices", pd.DataFrame(columns=["item", "valid_from", "price"])
    )
    if "item_costs" in planned.tables:  # the finance step values an adopted scenario on them
        frames["item_costs"] = planned.tables["item_costs"]
    from oneplan.engines.pipeline.scenario import FINANCE_FRAMES

    frames.update({k: planned.finance[k] for k in FINANCE_FRAMES if k in planned.finance})
    summary = {
        **supply.summary,
        "demand_source": f"scenario {inputs.name} on {source.label}",
        "demand_version": source.version_id,
        "assumptions": len(assumptions),
        "finance": finance_summary(planned.finance),
    }
    plan = supply.plan.plan
    cycle = pd.Timestamp(plan["period"].min()).strftime("%Y-%m") if len(plan) else "-"
    stored = store_version(
        session,
        actor,
        cycle=cycle,
        kind=KIND,
        name=inputs.name,
        frames=frames,
        settings=run_settings,
        summary=summary,
        input_hash=content_hash(hashed, run_settings),
        per_name=True,
        targets=targets,
    )
    version = stored.version
    detail = {"version": version.id, "status": supply.summary["status"], "reused": stored.reused}
    record(session, actor, "scenario.run", SUBJECT, inputs.scenario_id, detail)
    seconds = {**seconds, "store version": time.perf_counter() - clock}
    if stored.reused:
        summary = dict(version.summary)
    return ScenarioRun(planned, effects, summary, version.id, seconds, reused=stored.reused)


def scenario_run(
    actor: Actor, name: str, options: SupplyOptions | None = None
) -> PhasedRun[ScenarioInputs, tuple[ScenarioInputs, ScenarioPlan, dict[str, float]], ScenarioRun]:
    """Run a scenario in three phases: apply its assumptions, plan supply and finance on the
    result (outside any transaction), store one version holding the supply frames, the changed
    demand, the assumption effects and the finance frames of `FINANCE_FRAMES`."""
    require_some(actor, Permission.run_scenario)  # before the solve; the scope when stored
    chosen = options or SupplyOptions()

    def compute(
        inputs: ScenarioInputs,
    ) -> tuple[ScenarioInputs, ScenarioPlan, dict[str, float]]:
        clock = time.perf_counter()
        planned = _plan(inputs, inputs.assumptions, chosen)
        seconds = {**inputs.seconds, "plan supply and finance": time.perf_counter() - clock}
        return inputs, planned, seconds

    return PhasedRun(
        load=lambda session: load_scenario_inputs(session, name),
        compute=compute,
        store=lambda session, done: store_scenario_run(session, actor, *done[:2], chosen, done[2]),
    )


def explain_run(
    actor: Actor, name: str, options: SupplyOptions | None = None
) -> ReadRun[ScenarioInputs, pd.DataFrame]:
    """The scenario's KPI change by assumption: [position, kind, target, kpi, before, after,
    change], one row per assumption (in applied order) and KPI. Inputs are read once; the n + 1
    re-solves run outside any transaction and nothing is stored. Per KPI, the changes sum to the
    KPI with every assumption less the KPI with none (the base re-solved)."""
    require_some(actor, Permission.run_scenario)  # n + 1 solves: as much as a run
    chosen = options or SupplyOptions()

    def compute(inputs: ScenarioInputs) -> pd.DataFrame:
        from oneplan.engines.pipeline.scenario import attribute_kpis

        return attribute_kpis(
            inputs.tables,
            inputs.source.demand,
            inputs.source.errors,
            inputs.assumptions,
            objective=chosen.objective.value,
            level=chosen.level.value,
            integer_workforce=chosen.integer_workforce,
            time_limit=chosen.time_limit,
        )

    return ReadRun(load=lambda session: load_scenario_inputs(session, name), compute=compute)

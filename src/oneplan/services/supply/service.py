"""The supply step: plan production against capacity and keep the run as a plan version.

Reads the package tables (from the database, or from a data package for a standalone run),
resolves the demand the plan serves, and runs `oneplan.engines.pipeline.supply` (safety stock,
the constrained and the unconstrained plan, explanations, projected inventory); the result is
stored as one immutable plan version of kind ``supply``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.config import Settings
from oneplan.datapack import check_package, package_schema
from oneplan.engines.pipeline.supply import SupplyRun, plan_supply
from oneplan.errors import NotFound, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_package_files, read_tables
from oneplan.services.phases import PhasedRun
from oneplan.services.supply.schemas import SupplyOptions
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import (
    content_hash,
    get_version,
    load_frames,
    newest_version,
    require_store,
    store_version,
)

KIND = "supply"
#: The package tables a supply plan reads.
PLAN_TABLES = [
    "parameters",
    "items",
    "inventory",
    "customer_orders",
    "resources",
    "resource_capacity",
    "routings",
    "lanes",
    "workforce",
    "item_costs",
    "prices",
    "inventory_policies",
    "demand",
    "sales_history",  # the rebates it realised value a sale net
]
DEMAND_COLUMNS = ["item", "location", "period", "quantity"]


@dataclass(frozen=True)
class DemandSource:
    """The demand a plan serves (``item, location, period, quantity``) and where it came from;
    ``errors`` are the demand plan's backtest errors, when it has them."""

    demand: pd.DataFrame
    label: str
    version_id: int | None = None
    errors: pd.DataFrame | None = None


@dataclass(frozen=True)
class SupplyInputs:
    """What the supply step reads: the package tables and the demand to serve."""

    tables: dict[str, pd.DataFrame]
    source: DemandSource
    seconds: float


@dataclass(frozen=True)
class SupplyResult:
    """One supply run: both plans, the frames stored, the summary and seconds per phase."""

    run: SupplyRun
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    version_id: int | None = None
    reused: bool = False
    """True when an identical run's version was reused instead of storing a copy."""

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return self.run.frames


def resolve_demand(session: Session, tables: dict[str, pd.DataFrame]) -> DemandSource:
    """The newest demand plan version's consensus; else the ``demand`` table; else NotFound.

    A withdrawn (superseded) demand plan is not planned against."""
    newest = newest_version(session, "demand", with_frame="consensus", in_force_only=True)
    if newest is not None:
        frames = load_frames(session, newest.id, ["consensus", "backtest"])
        consensus = frames["consensus"]
        missing = [c for c in DEMAND_COLUMNS if c not in consensus]
        if missing:
            where = f"demand plan version {newest.id}, frame consensus"
            raise ValidationFailed([Problem(where, None, c, "is missing") for c in missing])
        errors = frames.get("backtest")
        if errors is not None and {"y", "forecast", "error"} <= set(errors.columns):
            # the inventory engine takes error = actual - forecast; let it derive its own
            errors = errors.drop(columns="error")
        return DemandSource(
            consensus[DEMAND_COLUMNS],
            f"demand plan version {newest.id}",
            newest.id,
            errors if errors is not None and len(errors) else None,
        )
    table = tables.get("demand")
    if table is not None and len(table):
        return DemandSource(table, "demand table")
    raise NotFound(
        "there is no demand to plan for: no demand plan version is stored (run the demand "
        "step) and the demand table is empty (import a package with a demand table)"
    )


def load_supply_inputs(session: Session) -> SupplyInputs:
    """The package tables a supply plan reads, and the demand it serves."""
    clock = time.perf_counter()
    tables = read_tables(session, PLAN_TABLES)
    return SupplyInputs(tables, resolve_demand(session, tables), time.perf_counter() - clock)


def compute_supply(inputs: SupplyInputs, options: SupplyOptions) -> SupplyResult:
    """Run the supply pipeline on the inputs; the summary says where the demand came from."""
    source = inputs.source
    run = plan_supply(
        inputs.tables,
        source.demand,
        source.errors,
        objective=options.objective.value,
        level=options.level.value,
        integer_workforce=options.integer_workforce,
        time_limit=options.time_limit,
    )
    summary = {
        **run.summary,
        "demand_source": source.label,
        "demand_version": source.version_id,
    }
    seconds = {"read tables and demand": inputs.seconds, **run.seconds}
    return SupplyResult(run, summary, seconds)


def store_supply(
    session: Session,
    actor: Actor,
    inputs: SupplyInputs,
    result: SupplyResult,
    options: SupplyOptions,
) -> SupplyResult:
    """Store a computed supply plan as a new ``supply`` version, or reuse the version an
    identical run stored (`oneplan.services.versions.store.store_version`)."""
    clock = time.perf_counter()
    source = inputs.source
    run_settings = {
        **options.model_dump(mode="json"),
        "demand_source": source.label,
        "demand_version": source.version_id,
        "oneplan": __version__,
        "highspy": metadata.version("highspy"),
    }
    hashed = {**inputs.tables, "demand": source.demand}
    if source.errors is not None:
        hashed["backtest"] = source.errors
    # The hash is of content: which stored version the demand came from is kept in the settings
    # for the record, but equal demand gives an equal hash whatever its version number.
    identity = {"demand_source", "demand_version"}
    input_hash = content_hash(hashed, {k: v for k, v in run_settings.items() if k not in identity})
    plan = result.run.plan.plan
    cycle = pd.Timestamp(plan["period"].min()).strftime("%Y-%m") if len(plan) else "-"
    stored = store_version(
        session,
        actor,
        cycle=cycle,
        kind=KIND,
        name=f"Supply plan {cycle} ({options.objective}, {options.level} level)",
        frames=result.frames,
        settings=run_settings,
        summary=result.summary,
        input_hash=input_hash,
    )
    seconds = {**result.seconds, "store version": time.perf_counter() - clock}
    version = stored.version
    summary = dict(version.summary) if stored.reused else result.summary
    return dataclasses.replace(
        result, summary=summary, seconds=seconds, version_id=version.id, reused=stored.reused
    )


def supply_run(
    actor: Actor, options: SupplyOptions | None = None
) -> PhasedRun[SupplyInputs, tuple[SupplyInputs, SupplyResult], SupplyResult]:
    """The supply step in three phases; the solve runs outside any transaction, so other
    writers are not kept waiting while HiGHS works."""
    require_store(actor, KIND)  # before the solve, not after it
    chosen = options or SupplyOptions()
    return PhasedRun(
        load=load_supply_inputs,
        compute=lambda inputs: (inputs, compute_supply(inputs, chosen)),
        store=lambda session, done: store_supply(session, actor, *done, chosen),
    )


def solve_package(
    path: Path, settings: Settings, options: SupplyOptions | None = None
) -> SupplyResult:
    """A standalone run on a data package (folder or xlsx), with no database.

    The package must carry a non-empty ``demand`` table: it is the demand the plan serves.
    """
    schema = package_schema()
    tables = check_package(read_package_files(path, settings).raw, schema)
    demand = tables.get("demand")
    if demand is None or not len(demand):
        state = "is missing" if demand is None else "is empty"
        message = f"{state}; a standalone supply plan needs demand per item, location and period"
        raise ValidationFailed([Problem(f"{path.name}: table demand", None, None, message)])
    inputs = SupplyInputs(tables, DemandSource(demand, "demand table"), 0.0)
    return compute_supply(inputs, options or SupplyOptions())


def supply_version(
    session: Session, actor: Actor, version_id: int | None = None, names: list[str] | None = None
) -> tuple[VersionInfo, dict[str, pd.DataFrame]]:
    """A stored supply version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return VersionInfo.model_validate(version), load_frames(session, version.id, names)

"""The demand step: from sales history to the consensus demand plan in units and money.

Reads the package tables, cleans past events out of history, forecasts every item x location,
applies lifecycle rules (launches ramp up from a like item, phase-outs stop), adds future event
uplift, applies the cycle's overrides in order, prices the result and stores one immutable plan
version of kind ``demand``. The statistical forecast of an unchanged history is reused from the
newest version that made it, so adding an override and re-running costs seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.db.plans import PlanVersion
from oneplan.engines.demand.plan import clean_past_events, monthly_history
from oneplan.engines.frames import plan_calendar
from oneplan.engines.pipeline.demand import (
    demand_plan_frames,
    demand_summary,
    hierarchy_frames,
    statistical_forecast,
    with_keys,
)
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.demand.overrides import cycle_overrides
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.phases import PhasedRun
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import (
    content_hash,
    get_version,
    load_frames,
    require_store,
    store_version,
)

KIND = "demand"
DEMAND_TABLES = [
    "parameters",
    "items",
    "families",
    "locations",
    "sales_history",
    "prices",
    "demand_events",
    "launches",
]
FORECAST_FRAMES = ("baseline", "selection", "backtest", "accuracy", "hierarchy_forecast")


@dataclass(frozen=True)
class DemandResult:
    """One demand run: the frames stored, the headline summary and seconds per phase."""

    version_id: int
    cycle: str
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    reused: bool = False
    """True when an identical run's version was reused (its summary; the frames, recomputed,
    are equal to its own) instead of storing a copy."""


@dataclass(frozen=True)
class DemandInputs:
    """What the demand step reads: tables, the cleaned history and the cycle's overrides."""

    tables: dict[str, pd.DataFrame]
    cycle: str
    plan_start: pd.Timestamp
    horizon: int
    currency: str
    overrides: pd.DataFrame
    cleaned: pd.DataFrame
    cleaning: pd.DataFrame
    forecast_settings: dict[str, Any]
    forecast_hash: str
    stored_forecast: dict[str, pd.DataFrame] | None
    seconds: dict[str, float]


@dataclass(frozen=True)
class DemandPlanned:
    """The demand step computed, before it is stored."""

    inputs: DemandInputs
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float]


def _reconciliation(options: DemandOptions) -> str | None:
    return None if options.reconciliation == "none" else str(options.reconciliation)


def load_demand_inputs(
    session: Session, options: DemandOptions, cycle: str | None = None
) -> DemandInputs:
    """Read the tables and overrides, prepare the history, find a reusable forecast."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    tables = read_tables(session, DEMAND_TABLES)
    calendar = plan_calendar(
        tables["parameters"], plan_start=options.plan_start, horizon=options.horizon
    )
    plan_start, horizon = calendar.start, calendar.horizon
    cycle = cycle or f"{plan_start:%Y-%m}"
    overrides = cycle_overrides(session, cycle)
    seconds["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    # The cycle's history runs to the month before the plan for every item: a discontinued
    # item's silence up to then is real zero demand (see docs/demand-planning.md).
    history = monthly_history(tables["sales_history"], plan_start)
    cleaned, cleaning = clean_past_events(history, tables)
    gap = len(pd.date_range(history["ds"].max(), plan_start, freq="MS")) - 2
    reconciliation = _reconciliation(options)
    forecast_settings = {
        "plan_start": f"{plan_start:%Y-%m-%d}",  # a reused forecast covers the same months
        "horizon": horizon + gap,
        "season_length": options.season_length,
        "levels": list(options.levels),
        "n_windows": options.n_windows,
        "reconciliation": reconciliation,
        "statsforecast": metadata.version("statsforecast"),
        "oneplan": __version__,
    }
    fingerprint = {"history": cleaned}
    if reconciliation is not None:
        items, locations, _ = hierarchy_frames(cleaned, tables)
        fingerprint.update(items=items, locations=locations)
    forecast_hash = content_hash(fingerprint, forecast_settings)
    stored = _stored_forecast(session, forecast_hash) if options.reuse_forecast else None
    seconds["prepare history"] = time.perf_counter() - clock
    return DemandInputs(
        tables,
        cycle,
        plan_start,
        horizon,
        calendar.currency,
        overrides,
        cleaned,
        cleaning,
        forecast_settings,
        forecast_hash,
        stored,
        seconds,
    )


def compute_demand_plan(inputs: DemandInputs, options: DemandOptions) -> DemandPlanned:
    """Forecast (unless a stored forecast of the same history is reused) and build the plan."""
    seconds = dict(inputs.seconds)
    clock = time.perf_counter()
    months = pd.date_range(inputs.plan_start, periods=inputs.horizon, freq="MS")
    stats = inputs.stored_forecast
    if stats is None:
        stats = statistical_forecast(
            inputs.cleaned,
            inputs.forecast_settings["horizon"],
            months,
            inputs.tables,
            season_length=options.season_length,
            levels=options.levels,
            n_windows=options.n_windows,
            n_jobs=options.n_jobs,
            reconciliation=_reconciliation(options),
        )
    reused = inputs.stored_forecast is not None
    seconds["reuse forecast" if reused else "forecast"] = time.perf_counter() - clock

    clock = time.perf_counter()
    frames = demand_plan_frames(stats, inputs.tables, months, inputs.overrides)
    frames["history_cleaning"] = with_keys(inputs.cleaning).rename(columns={"ds": "period"})
    summary = demand_summary(frames, inputs.currency, inputs.plan_start, inputs.horizon, reused)
    seconds["plan layers"] = time.perf_counter() - clock
    return DemandPlanned(inputs, frames, summary, seconds)


def store_demand_plan(session: Session, actor: Actor, planned: DemandPlanned) -> DemandResult:
    """Store the computed plan as a new ``demand`` version, or reuse the version an identical
    run stored (`oneplan.services.versions.store.store_version`)."""
    clock = time.perf_counter()
    inputs = planned.inputs
    run_settings = {
        **inputs.forecast_settings,
        "plan_horizon": inputs.horizon,
        "forecast_hash": inputs.forecast_hash,
    }
    hashed = {**inputs.tables, "overrides": inputs.overrides}
    stored = store_version(
        session,
        actor,
        cycle=inputs.cycle,
        kind=KIND,
        name=f"Demand plan {inputs.cycle}",
        frames=planned.frames,
        settings=run_settings,
        summary=planned.summary,
        input_hash=content_hash(hashed, run_settings),
    )
    seconds = {**planned.seconds, "store version": time.perf_counter() - clock}
    version = stored.version
    summary = dict(version.summary) if stored.reused else planned.summary
    return DemandResult(
        version.id, inputs.cycle, planned.frames, summary, seconds, reused=stored.reused
    )


def demand_run(
    actor: Actor, options: DemandOptions | None = None, *, cycle: str | None = None
) -> PhasedRun[DemandInputs, DemandPlanned, DemandResult]:
    """The demand step in three phases. ``cycle`` (YYYY-MM) picks the overrides to apply; it
    defaults to plan_start's month. The forecast runs outside any transaction: it takes seconds
    to minutes, and nobody should wait for it to add an override."""
    require_store(actor, KIND)  # before a forecast of minutes, not after it
    chosen = options or DemandOptions()
    return PhasedRun(
        load=lambda session: load_demand_inputs(session, chosen, cycle),
        compute=lambda inputs: compute_demand_plan(inputs, chosen),
        store=lambda session, planned: store_demand_plan(session, actor, planned),
    )


def _stored_forecast(session: Session, forecast_hash: str) -> dict[str, pd.DataFrame] | None:
    """The forecast frames of the newest demand version made from the same history."""
    versions = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind == KIND)
        .order_by(PlanVersion.id.desc())
        .limit(20)
    )
    for version in versions:
        if version.settings.get("forecast_hash") == forecast_hash:
            frames = load_frames(session, version.id, FORECAST_FRAMES)
            if {"baseline", "selection", "backtest", "accuracy"} <= set(frames):
                return frames
    return None


def demand_version(
    session: Session, actor: Actor, version_id: int | None = None, names: list[str] | None = None
) -> tuple[VersionInfo, dict[str, pd.DataFrame]]:
    """A stored demand version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return VersionInfo.model_validate(version), load_frames(session, version.id, names)

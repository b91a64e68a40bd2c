"""The demand step: from sales history to the consensus demand plan in units and money.

Reads the package tables, cleans past events out of history, forecasts every item x location,
applies lifecycle rules (launches ramp up from a like item, phase-outs stop), adds future event
uplift, applies the cycle's overrides in order, prices the result and stores one immutable plan
version of kind ``demand``. The statistical forecast of an unchanged history is reused from the
newest version that made it, so adding an override and re-running costs seconds.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan import __version__
from oneplan.config import Settings, get_settings
from oneplan.datapack import package_schema
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.engines.demand.hierarchy import bottom_id, split_bottom_id
from oneplan.services.demand_forecast import hierarchy_frames, statistical_forecast, with_keys
from oneplan.services.demand_overrides import (
    add_override,
    add_overrides,
    cycle_overrides,
    plan_settings,
)
from oneplan.services.demand_plan import (
    CONSENSUS_COLUMNS,
    LAYERS,
    apply_overrides,
    clean_past_events,
    hierarchy_keys,
    monthly_history,
    plan_layers,
    price_cells,
    rollup,
)
from oneplan.services.exports import read_tables
from oneplan.services.plans import content_hash, get_version, load_frames, save_version

if TYPE_CHECKING:
    from oneplan.pipeline import CycleContext

__all__ = [
    "DEMAND_TABLES",
    "DemandOptions",
    "DemandResult",
    "add_override",
    "add_overrides",
    "demand_step",
    "demand_version",
    "run_demand_step",
    "step_summary",
]

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
class DemandOptions:
    """How to forecast; ``horizon`` and ``plan_start`` default to the parameters table."""

    horizon: int | None = None
    plan_start: str | None = None
    season_length: int = 12
    levels: tuple[int, ...] = (80, 95)
    n_windows: int = 2
    n_jobs: int = 1
    reuse_forecast: bool = True
    reconciliation: str | None = None  # None (sum of the detail), "mint_ols" or "top_down"


@dataclass(frozen=True)
class DemandResult:
    """One demand run: the frames stored, the headline summary and seconds per phase."""

    version_id: int
    cycle: str
    frames: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def _unit(target: Session | sa.Engine, *, write: bool) -> AbstractContextManager[Session]:
    """The caller's session as it is, or a unit of work of our own on an engine."""
    if isinstance(target, Session):
        return nullcontext(target)
    return unit_of_work(target, write=write)


def run_demand_step(
    session_or_engine: Session | sa.Engine,
    settings: Settings | None = None,
    options: DemandOptions | None = None,
    *,
    cycle: str | None = None,
) -> DemandResult:
    """Build and store the cycle's demand plan; returns its frames and summary.

    With an engine, inputs are read in a read-only unit of work, the forecast runs outside any
    transaction (it takes seconds to minutes; nobody should wait for it to add an override) and
    the version is stored in one short write unit of work. With a session the caller commits.
    ``cycle`` (YYYY-MM) picks the overrides to apply; it defaults to plan_start's month.
    """
    settings = settings or get_settings()
    options = options or DemandOptions()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    with _unit(session_or_engine, write=False) as session:
        tables = read_tables(session.connection(), package_schema(), DEMAND_TABLES)
        plan_start, horizon, currency = plan_settings(tables["parameters"], options)
        cycle = cycle or f"{plan_start:%Y-%m}"
        overrides = cycle_overrides(session, cycle)
        seconds["read"] = time.perf_counter() - clock

        clock = time.perf_counter()
        history = monthly_history(tables["sales_history"], plan_start)
        cleaned, cleaning = clean_past_events(history, tables)
        months = pd.date_range(plan_start, periods=horizon, freq="MS")
        gap = len(pd.date_range(history["ds"].max(), plan_start, freq="MS")) - 2
        forecast_settings = {
            "plan_start": f"{plan_start:%Y-%m-%d}",  # a reused forecast covers the same months
            "horizon": horizon + gap,
            "season_length": options.season_length,
            "levels": list(options.levels),
            "n_windows": options.n_windows,
            "reconciliation": options.reconciliation,
            "statsforecast": metadata.version("statsforecast"),
            "oneplan": __version__,
        }
        fingerprint = {"history": cleaned}
        if options.reconciliation is not None:
            items, locations, _ = hierarchy_frames(cleaned, tables)
            fingerprint.update(items=items, locations=locations)
        forecast_hash = content_hash(fingerprint, forecast_settings)
        stored = _stored_forecast(session, forecast_hash) if options.reuse_forecast else None
        seconds["prepare history"] = time.perf_counter() - clock

    clock = time.perf_counter()
    if stored is None:
        stats = statistical_forecast(
            cleaned,
            horizon + gap,
            months,
            tables,
            season_length=options.season_length,
            levels=options.levels,
            n_windows=options.n_windows,
            n_jobs=options.n_jobs,
            reconciliation=options.reconciliation,
        )
    else:
        stats = stored
    seconds["forecast" if stored is None else "reuse forecast"] = time.perf_counter() - clock

    clock = time.perf_counter()
    frames = _plan(stats, tables, months, overrides)
    frames["history_cleaning"] = with_keys(cleaning).rename(columns={"ds": "period"})
    summary = _summary(frames, currency, plan_start, horizon, stored is not None)
    seconds["plan layers"] = time.perf_counter() - clock

    clock = time.perf_counter()
    run_settings = {
        **forecast_settings,
        "plan_horizon": horizon,
        "forecast_hash": forecast_hash,
    }
    inputs = {**tables, "overrides": overrides}
    with _unit(session_or_engine, write=True) as session:
        version = save_version(
            session,
            cycle=cycle,
            kind=KIND,
            name=f"Demand plan {cycle}",
            frames=frames,
            settings=run_settings,
            summary=summary,
            input_hash=content_hash(inputs, run_settings),
            user=settings.user,
        )
        version_id = version.id
    seconds["store version"] = time.perf_counter() - clock
    return DemandResult(version_id, cycle, frames, summary, seconds)


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


def _plan(
    stats: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame],
    months: pd.DatetimeIndex,
    overrides: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    stored = stats["baseline"]
    baseline = pd.DataFrame(
        {
            "unique_id": bottom_id(stored["item"], stored["location"]),
            "ds": stored["period"],
            "forecast": stored["baseline"],
        }
    )
    layers = plan_layers(baseline, tables, months)
    cells = _with_override_series(layers.cells, overrides, months)
    cells = hierarchy_keys(cells, tables)
    cells["current"] = cells["baseline"] + cells["lifecycle_adjustment"] + cells["event_uplift"]
    adjustment, applied = apply_overrides(cells, overrides)
    consensus = cells.rename(columns={"ds": "period"})
    consensus["override_adjustment"] = adjustment
    consensus["quantity"] = sum(consensus[layer] for layer in LAYERS)
    consensus["price"] = price_cells(consensus, tables["prices"]).to_numpy()
    consensus["value"] = consensus["quantity"] * consensus["price"]
    roll = rollup(consensus)
    consensus = consensus.sort_values(["item", "location", "period"], ignore_index=True)
    return {
        **stats,
        "lifecycle": layers.lifecycle,
        "events": layers.events,
        "overrides_applied": applied,
        "consensus": consensus[CONSENSUS_COLUMNS],
        "rollup": roll,
        "skipped_launches": pd.DataFrame({"launch": layers.skipped_launches}, dtype=object),
    }


def _with_override_series(
    cells: pd.DataFrame, overrides: pd.DataFrame, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """Add an all-zero series for each item_location override that names a new series."""
    named = overrides.loc[overrides["level"] == "item_location", "member"].drop_duplicates()
    new = named[~named.isin(cells["unique_id"])]
    if new.empty:
        return cells
    ids = np.repeat(new.to_numpy(), len(months))
    extra = pd.DataFrame({"unique_id": ids, "ds": np.tile(months.to_numpy(), len(new))})
    extra = pd.concat([extra, split_bottom_id(extra["unique_id"])], axis=1)
    extra = extra.assign(baseline=0.0, lifecycle_adjustment=0.0, event_uplift=0.0, open=True)
    return pd.concat([cells, extra[cells.columns]], ignore_index=True)


def _summary(
    frames: dict[str, pd.DataFrame],
    currency: str,
    plan_start: pd.Timestamp,
    horizon: int,
    reused: bool,
) -> dict[str, Any]:
    consensus, selection = frames["consensus"], frames["selection"]
    wape = frames["accuracy"]["wape"].replace([np.inf, -np.inf], np.nan)
    mean_wape = float(wape.mean()) if wape.notna().any() else None
    applied = frames["overrides_applied"]
    return {
        "series": len(selection),
        "planned_series": int(consensus[["item", "location"]].drop_duplicates().shape[0]),
        "fell_back": int(selection["fell_back"].fillna(False).astype(bool).sum()),
        "total_units": float(consensus["quantity"].sum()),
        "total_value": float(consensus["value"].sum()),
        "unpriced_cells": int(consensus["price"].isna().sum()),
        "mean_wape": mean_wape,
        "overrides": int((applied["status"] == "applied").sum()),
        "events": int(frames["events"]["event"].nunique()) if len(frames["events"]) else 0,
        "currency": currency,
        "plan_start": f"{plan_start:%Y-%m-%d}",
        "horizon_periods": horizon,
        "forecast_reused": reused,
    }


def demand_version(
    session: Session, version_id: int | None = None, names: list[str] | None = None
) -> tuple[PlanVersion, dict[str, pd.DataFrame]]:
    """A stored demand version (the newest when no id is given) and its frames."""
    version = get_version(session, version_id, KIND)
    return version, load_frames(session, version.id, names)


def step_summary(result: DemandResult) -> list[tuple[str, str]]:
    """What the cycle table shows for the demand step."""
    s = result.summary
    lines = [
        ("version", f"#{result.version_id}"),
        ("series", f"{s['series']:,}"),
        ("fell back", f"{s['fell_back']:,}"),
        ("units", f"{s['total_units']:,.0f}"),
        ("value", f"{s['total_value']:,.0f} {s['currency']}".strip()),
    ]
    if s["mean_wape"] is not None:
        lines.append(("mean WAPE", f"{s['mean_wape']:.1%}"))
    if s["overrides"]:
        lines.append(("overrides", str(s["overrides"])))
    return lines


def demand_step(context: CycleContext) -> list[tuple[str, str]]:
    """The cycle's ``demand`` step: run, store, keep the result in ``context.results``."""
    result = run_demand_step(context.engine, context.settings)
    context.results["demand"] = result
    return step_summary(result)

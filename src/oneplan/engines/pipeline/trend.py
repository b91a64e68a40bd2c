"""KPIs cycle over cycle from the stored plans of each closed cycle: the frames of its released
supply plan, the demand plan it served and the financial plan that valued it are gathered into
one `TrendInputs` (each with its cycle) and measured by `oneplan.engines.kpi.trend`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from oneplan.engines.kpi.trend import TrendInputs, kpi_trend
from oneplan.engines.pipeline.accuracy import author_changes, stored_layers

#: The frames read from each kind of stored plan.
SUPPLY_FRAMES = ["supply_plan", "capacity_plan"]
DEMAND_FRAMES = ["baseline", "consensus", "overrides_applied"]
FINANCE_FRAMES = ["lines", "working_capital", "budget_variance"]


@dataclass(frozen=True)
class CycleSnapshot:
    """One closed cycle: its month (``YYYY-MM``), when it opened and when its release was
    approved, and the frames of its released supply plan, its demand plan and its financial
    plan (empty dicts where there is none)."""

    month: str
    opened_at: object
    released_at: object
    supply: dict[str, pd.DataFrame] = field(default_factory=dict)
    demand: dict[str, pd.DataFrame] = field(default_factory=dict)
    finance: dict[str, pd.DataFrame] = field(default_factory=dict)


def _stacked(parts: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(parts, ignore_index=True)


def _frame(
    frames: dict[str, pd.DataFrame], name: str, columns: list[str], cycle: pd.Timestamp
) -> pd.DataFrame:
    frame = frames.get(name)
    if frame is None or not len(frame) or not set(columns) <= set(frame.columns):
        return pd.DataFrame(columns=["cycle", *columns])
    return frame[columns].assign(cycle=cycle)


def cycle_trend(
    snapshots: Sequence[CycleSnapshot], tables: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """The KPI trend (`oneplan.engines.kpi.trend.TREND_COLUMNS`) of ``snapshots``.

    ``tables`` holds the package tables ``sales_history``, ``production_actuals``,
    ``routings``, ``items``, ``families`` and ``locations`` as imported now: the actuals that
    arrived after each cycle.
    """
    supply, capacity, lines, balances, budget, layers, changes = ([] for _ in range(7))
    for snap in snapshots:
        cycle = pd.Timestamp(f"{snap.month}-01")
        supply.append(
            _frame(
                snap.supply,
                "supply_plan",
                [
                    *("item", "location", "period", "demand", "production", "backlog"),
                    *("lost_sales", "end_inventory"),
                ],
                cycle,
            )
        )
        capacity.append(
            _frame(
                snap.supply,
                "capacity_plan",
                ["resource", "kind", "period", "capacity", "used"],
                cycle,
            )
        )
        lines.append(
            _frame(
                snap.finance,
                "lines",
                ["item", "location", "period", "cogs", "inventory_value", "standard_cost_per_unit"],
                cycle,
            )
        )
        balances.append(
            _frame(snap.finance, "working_capital", ["period", "working_capital"], cycle)
        )
        budget.append(
            _frame(snap.finance, "budget_variance", ["family", "period", "budget_margin"], cycle)
        )
        layers.append(stored_layers(snap.demand, f"{snap.month}-01"))
        applied = snap.demand.get("overrides_applied")
        if "consensus" in snap.demand and applied is not None and len(applied):
            changes.append(
                author_changes(snap.demand["consensus"], applied, tables, f"{snap.month}-01")
            )
    cycles = pd.DataFrame(
        {
            "cycle": [s.month for s in snapshots],
            "opened_at": [s.opened_at for s in snapshots],
            "released_at": [s.released_at for s in snapshots],
        }
    )
    sales = tables["sales_history"][["item", "location", "period", "quantity", "revenue"]]
    made = tables.get("production_actuals")
    inputs = TrendInputs(
        cycles=cycles,
        sales=sales,
        layers=_stacked(layers, ["cycle", "item", "location", "period", "layer", "quantity"]),
        contributions=_stacked(
            changes, ["cycle", "item", "location", "period", "author", "change"]
        ),
        supply_plan=_stacked(supply, ["cycle"]),
        capacity_plan=_stacked(capacity, ["cycle"]),
        finance_lines=_stacked(lines, ["cycle"]),
        working_capital=_stacked(balances, ["cycle"]),
        budget=_stacked(budget, ["cycle"]),
        production=made if made is not None and len(made) else None,
        routings=tables["routings"][["item", "location", "resource", "usage_per_unit"]],
    )
    return kpi_trend(inputs)

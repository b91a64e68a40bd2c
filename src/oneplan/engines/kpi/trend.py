"""KPIs cycle over cycle: each closed cycle's released plan measured against what happened.

A closed cycle of month M released one supply plan (its *snapshot*, with the demand plan it
served and the financial plan that valued it). Once the months after M have their actuals,
`kpi_trend` measures the snapshot against them. Every figure is one row of a long frame
(`TREND_COLUMNS`):

- ``cycle`` the cycle's month (``YYYY-MM``); ``kpi`` its name (`KPI_UNITS`); ``layer`` the
  demand layer or override author it is about (``""`` when none); ``lag`` the months from the
  cycle to the month measured (``<NA>`` when none); ``value`` the figure (NaN when it cannot
  be measured); ``unit``; ``basis`` where it comes from; ``note`` why a figure is missing or
  what it stands in for.
- ``basis``: ``actual`` (measured against actuals), ``plan`` (the released plan's own figure:
  the data package holds no actual for it), ``record`` (the cycle's own timestamps),
  ``pending`` (the actuals have not arrived yet) or ``missing`` (the data package has none).

What each KPI is (docs/cycle.md, "KPIs cycle over cycle"):

- ``forecast_wape`` / ``forecast_mape`` / ``forecast_bias`` per layer (``statistical``,
  ``consensus``) and lag (1, 3): `oneplan.engines.demand.fva.accuracy_by_lag` at item x
  location, the cycle's plan for month M + lag against that month's sales.
- ``value_added`` per layer (``statistical`` over ``naive``, ``consensus`` over
  ``statistical``) and ``value_added_by_author`` per author, lag 1 and 3: WAPE before less
  WAPE after (`oneplan.engines.demand.fva.forecast_value_added`); positive helped.
- ``on_time_delivery``: the released plan's on-time share of month M (`on_time_share`);
  ``plan`` basis, as the data package holds no delivery records.
- ``production_adherence``: 1 - sum |actual - planned| / sum planned production of month M
  over item x plant (actual: ``production_actuals``; below 0 it is 0).
- ``capacity_utilisation``: hours the actual production of month M needed (routings) over the
  regular hours of the machines and crews that month; without production actuals, the
  released plan's hours used (``plan`` basis).
- ``inventory_turns``: cost of goods sold of months M to M+2, a year's worth, over their
  average inventory value (the released plan as valued); ``days_of_supply``: the released
  plan's stock at the end of M over M's demand per day (365.25 / 12 days a month).
- ``gross_margin``: sales revenue of month M less its units at the standard cost the plan
  valued them at; ``gross_margin_vs_budget``: that less the budget's margin for M.
- ``working_capital``: receivables + inventory - payables at the end of M, as planned.
- ``sop_cycle_time``: days from opening the cycle to approving its release.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.demand.fva import accuracy_by_lag, forecast_value_added, naive_snapshot
from oneplan.engines.frames import month_starts, require_columns
from oneplan.engines.kpi.plan import on_time_share

TREND_COLUMNS = ["cycle", "kpi", "layer", "lag", "value", "unit", "basis", "note"]
LAGS = (1, 3)
FORECAST_LAYERS = ("statistical", "consensus")
#: Every KPI in the order people read them, with its unit (``currency``: the plan's currency).
KPI_UNITS = {
    "forecast_wape": "share",
    "forecast_mape": "share",
    "forecast_bias": "share",
    "value_added": "share",
    "value_added_by_author": "share",
    "on_time_delivery": "share",
    "production_adherence": "share",
    "capacity_utilisation": "share",
    "inventory_turns": "turns a year",
    "days_of_supply": "days",
    "gross_margin": "currency",
    "gross_margin_vs_budget": "currency",
    "working_capital": "currency",
    "sop_cycle_time": "days",
}
#: What people call each KPI, in tables, the pack's charts and the docs.
KPI_LABELS = {
    "forecast_wape": "WAPE",
    "forecast_mape": "MAPE",
    "forecast_bias": "bias",
    "value_added": "forecast value added",
    "value_added_by_author": "value added by",
    "on_time_delivery": "on-time delivery",
    "production_adherence": "plan adherence",
    "capacity_utilisation": "capacity utilisation",
    "inventory_turns": "inventory turns",
    "days_of_supply": "days of supply",
    "gross_margin": "gross margin",
    "gross_margin_vs_budget": "gross margin vs budget",
    "working_capital": "working capital",
    "sop_cycle_time": "S&OP cycle time",
}
#: An average month, for days of supply (as the executive pack counts them).
DAYS_PER_MONTH = 365.25 / 12
#: Resources whose hours count towards utilisation (a supplier's units are not hours).
HOUR_KINDS = ("machine", "labour")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class TrendInputs:
    """What the trend is measured from; every plan frame carries a ``cycle`` column (month
    start of the cycle whose snapshot it belongs to).

    - ``cycles`` [cycle, opened_at, released_at]: the closed cycles;
    - ``layers`` [cycle, item, location, period, layer, quantity]: each snapshot's demand plan
      (``statistical`` and ``consensus``; the naive layer is made here from ``sales``);
    - ``contributions`` [cycle, item, location, period, author, change]: override changes;
    - ``supply_plan`` [cycle, item, location, period, demand, production, backlog, lost_sales,
      end_inventory];
    - ``capacity_plan`` [cycle, resource, kind, period, capacity, used];
    - ``finance_lines`` [cycle, item, location, period, cogs, inventory_value,
      standard_cost_per_unit]; ``working_capital`` [cycle, period, working_capital];
      ``budget`` [cycle, family, period, budget_margin]: the financial plan that valued it;
    - ``sales`` [item, location, period, quantity, revenue]: actual sales;
    - ``production`` [item, location, period, quantity]: actual production (None: the data
      package has none); ``routings`` [item, location, resource, usage_per_unit].
    """

    cycles: pd.DataFrame
    sales: pd.DataFrame
    layers: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    contributions: pd.DataFrame | None = None
    supply_plan: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    capacity_plan: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    finance_lines: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    working_capital: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    budget: pd.DataFrame = field(default_factory=lambda: _empty(["cycle"]))
    production: pd.DataFrame | None = None
    routings: pd.DataFrame = field(
        default_factory=lambda: _empty(["item", "location", "resource", "usage_per_unit"])
    )


Row = dict[str, object]


def _row(cycle: str, kpi: str, value: float, basis: str, note: str = "", **at: object) -> Row:
    return {
        "cycle": cycle,
        "kpi": kpi,
        "layer": at.get("layer", ""),
        "lag": at.get("lag"),
        "value": float(value) if value is not None else np.nan,
        "unit": KPI_UNITS[kpi],
        "basis": basis,
        "note": note,
    }


def _months(frame: pd.DataFrame, table: str, column: str = "period") -> pd.Series:
    """The month starts of ``column``: read once at the boundary (`_with_months`), so a
    column already of month starts is taken as it is."""
    values = frame[column]
    if values.dtype == "datetime64[ns]" and column in frame.attrs.get("months", ()):
        return values
    return month_starts(values, table=table, column=column, required=True)


_FRAMES = (
    "sales",
    "layers",
    "contributions",
    "supply_plan",
    "capacity_plan",
    "finance_lines",
    "working_capital",
    "budget",
    "production",
)


def _with_months(inputs: TrendInputs) -> TrendInputs:
    """Every ``period`` and ``cycle`` column read as month starts once, checked by name."""
    changes: dict[str, pd.DataFrame] = {}
    for name in _FRAMES:
        frame = getattr(inputs, name)
        if frame is None or not len(frame):
            continue
        frame = frame.copy()
        read = tuple(c for c in ("period", "cycle") if c in frame.columns)
        for column in read:
            frame[column] = month_starts(
                frame[column], table=name, column=column, required=True
            ).to_numpy()
        frame.attrs["months"] = read
        changes[name] = frame
    return dataclasses.replace(inputs, **changes)


def _of(frame: pd.DataFrame | None, month: pd.Timestamp, table: str) -> pd.DataFrame:
    """The rows of ``frame`` whose cycle is ``month``."""
    if frame is None or not len(frame):
        return frame if frame is not None else pd.DataFrame()
    return frame[_months(frame, table, "cycle") == month]


def _in(frame: pd.DataFrame, first: pd.Timestamp, months: int, table: str) -> pd.DataFrame:
    """Rows in the ``months`` months from ``first``."""
    if not len(frame):
        return frame
    periods = _months(frame, table)
    last = first + pd.DateOffset(months=months - 1)
    return frame[(periods >= first) & (periods <= last)]


def _arrived(sales: pd.DataFrame, month: pd.Timestamp) -> bool:
    return bool(len(sales)) and _months(sales, "sales").max() >= month


# --- forecast accuracy and value added --------------------------------------------------------


def forecast_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    """Accuracy and bias per layer and lag, and the value added of each layer and author."""
    layers = _of(inputs.layers, month, "layers")
    layers = layers[layers["layer"].isin(FORECAST_LAYERS)] if len(layers) else layers
    rows: list[Row] = []
    if not len(layers):
        for layer in FORECAST_LAYERS:
            for lag in LAGS:
                rows += [
                    _row(cycle, kpi, np.nan, "missing", "no demand plan", layer=layer, lag=lag)
                    for kpi in ("forecast_wape", "forecast_mape", "forecast_bias")
                ]
        return rows
    history = inputs.sales[_months(inputs.sales, "sales") < month]
    naive = naive_snapshot(
        history[["item", "location", "period", "quantity"]], [f"{month:%Y-%m}"], max(LAGS) + 1
    )
    snapshots = pd.concat([naive, layers[naive.columns]], ignore_index=True)
    sales = inputs.sales[["item", "location", "period", "quantity"]]
    table = accuracy_by_lag(snapshots, sales, lags=LAGS)
    table = table[(table["level"] == "item") & table["layer"].isin(FORECAST_LAYERS)]
    for record in table.to_dict("records"):
        waiting = record["points"] == 0
        basis = "pending" if waiting else "actual"
        note = (
            f"sales of {month + pd.DateOffset(months=record['lag']):%Y-%m} not in yet"
            if waiting
            else ""
        )
        for kpi, value in (
            ("forecast_wape", record["wape"]),
            ("forecast_mape", record["mape"]),
            ("forecast_bias", record["bias"]),
        ):
            rows.append(
                _row(cycle, kpi, value, basis, note, layer=record["layer"], lag=int(record["lag"]))
            )
    # a layer and lag the table has no row for still gets its rows: waiting or not planned
    for layer in FORECAST_LAYERS:
        for lag in LAGS:
            if ((table["layer"] == layer) & (table["lag"] == lag)).any():
                continue
            target = month + pd.DateOffset(months=lag)
            basis = "pending" if not _arrived(inputs.sales, target) else "missing"
            note = (
                f"sales of {target:%Y-%m} not in yet"
                if basis == "pending"
                else (f"the plan has no {layer} forecast for {target:%Y-%m}")
            )
            rows += [
                _row(cycle, kpi, np.nan, basis, note, layer=layer, lag=lag)
                for kpi in ("forecast_wape", "forecast_mape", "forecast_bias")
            ]
    arrived = [lag for lag in LAGS if _arrived(inputs.sales, month + pd.DateOffset(months=lag))]
    for lag in sorted(set(LAGS) - set(arrived)):
        note = f"sales of {month + pd.DateOffset(months=lag):%Y-%m} not in yet"
        rows += [
            _row(cycle, "value_added", np.nan, "pending", note, layer=x, lag=lag)
            for x in FORECAST_LAYERS
        ]
    if not arrived:
        return rows
    contributions = _of(inputs.contributions, month, "contributions")
    added = forecast_value_added(
        snapshots,
        sales,
        contributions=contributions if contributions is not None and len(contributions) else None,
        lags=arrived,
    )
    added = added[added["level"] == "item"]
    for record in added.to_dict("records"):
        kpi = "value_added" if record["kind"] == "layer" else "value_added_by_author"
        after = record["layer"] if kpi == "value_added" else "consensus"
        note = f"WAPE of {record['compared_with']} less WAPE of {after}"
        rows.append(
            _row(
                cycle,
                kpi,
                record["value_added"],
                "actual",
                note,
                layer=record["layer"],
                lag=int(record["lag"]),
            )
        )
    return rows


# --- supply: delivery, adherence, capacity ----------------------------------------------------


def on_time_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    plan = _in(_of(inputs.supply_plan, month, "supply_plan"), month, 1, "supply_plan")
    if not len(plan):
        return [_row(cycle, "on_time_delivery", np.nan, "missing", "no released supply plan")]
    note = "the released plan's share of the month's demand served in time: no delivery records"
    return [_row(cycle, "on_time_delivery", on_time_share(plan), "plan", note)]


def _actual_production(inputs: TrendInputs, month: pd.Timestamp) -> pd.DataFrame | None:
    """Production actuals of ``month`` [item, location, quantity]; None when there are none."""
    made = inputs.production
    if made is None or not len(made):
        return None
    in_month = made[_months(made, "production_actuals") == month]
    if not len(in_month):
        return None
    summed: pd.DataFrame = in_month.groupby(["item", "location"], as_index=False)[
        ["quantity"]
    ].sum()
    return summed


def adherence_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    plan = _in(_of(inputs.supply_plan, month, "supply_plan"), month, 1, "supply_plan")
    made = _actual_production(inputs, month)
    if made is None:
        note = f"no production_actuals for {month:%Y-%m} in the data package"
        return [_row(cycle, "production_adherence", np.nan, "missing", note)]
    planned = plan.groupby(["item", "location"], as_index=False)["production"].sum()
    both = planned.merge(made, on=["item", "location"], how="outer").fillna(0.0)
    total = float(both["production"].sum())
    if total <= 0:
        return [_row(cycle, "production_adherence", np.nan, "missing", "nothing was planned")]
    miss = float((both["quantity"] - both["production"]).abs().sum())
    return [_row(cycle, "production_adherence", max(0.0, 1.0 - miss / total), "actual")]


def utilisation_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    capacity = _in(_of(inputs.capacity_plan, month, "capacity_plan"), month, 1, "capacity_plan")
    capacity = capacity[capacity["kind"].isin(HOUR_KINDS)] if len(capacity) else capacity
    hours = float(capacity["capacity"].sum()) if len(capacity) else 0.0
    if hours <= 0:
        return [_row(cycle, "capacity_utilisation", np.nan, "missing", "no capacity plan")]
    made = _actual_production(inputs, month)
    if made is None:
        note = f"the released plan's hours: no production_actuals for {month:%Y-%m}"
        return [_row(cycle, "capacity_utilisation", capacity["used"].sum() / hours, "plan", note)]
    routes = inputs.routings[inputs.routings["resource"].isin(capacity["resource"])]
    needed = made.merge(routes, on=["item", "location"])
    used = float((needed["quantity"] * needed["usage_per_unit"]).sum())
    return [_row(cycle, "capacity_utilisation", used / hours, "actual")]


# --- money --------------------------------------------------------------------------------


def stock_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    """Inventory turns from the plan as valued; days of supply as the pack's service page
    counts them (stock at month end over the month's demand per day)."""
    rows: list[Row] = []
    lines = _of(inputs.finance_lines, month, "finance_lines")
    if not len(lines):
        note = "no financial plan valued the released plan"
        rows.append(_row(cycle, "inventory_turns", np.nan, "missing", note))
    else:
        by_month = lines.groupby(_months(lines, "finance_lines"))[["cogs", "inventory_value"]]
        first = by_month.sum().loc[month : month + pd.DateOffset(months=2)]
        stock = float(first["inventory_value"].mean()) if len(first) else 0.0
        turns = 12.0 / len(first) * float(first["cogs"].sum()) / stock if stock > 0 else np.nan
        rows.append(_row(cycle, "inventory_turns", turns, "plan", "as released and valued"))
    plan = _in(_of(inputs.supply_plan, month, "supply_plan"), month, 1, "supply_plan")
    demand = float(plan["demand"].sum()) if len(plan) else 0.0
    if demand <= 0 or "end_inventory" not in plan:
        rows.append(_row(cycle, "days_of_supply", np.nan, "missing", "no demand planned"))
    else:
        days = float(plan["end_inventory"].sum()) / (demand / DAYS_PER_MONTH)
        note = "stock at the month's end over its demand per day, as released"
        rows.append(_row(cycle, "days_of_supply", days, "plan", note))
    return rows


def margin_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    """Actual gross margin of month M at the plan's standard costs, and against the budget."""
    sales = inputs.sales[_months(inputs.sales, "sales") == month]
    if not len(sales):
        note = f"sales of {month:%Y-%m} not in yet"
        return [
            _row(cycle, k, np.nan, "pending", note)
            for k in ("gross_margin", "gross_margin_vs_budget")
        ]
    lines = _in(_of(inputs.finance_lines, month, "finance_lines"), month, 1, "finance_lines")
    if not len(lines):
        note = "no financial plan: no standard costs"
        return [
            _row(cycle, k, np.nan, "missing", note)
            for k in ("gross_margin", "gross_margin_vs_budget")
        ]
    costs = lines.groupby(["item", "location"], as_index=False)["standard_cost_per_unit"].mean()
    # a sale at a location the plan did not value takes the item's cost elsewhere
    item_cost = costs.groupby("item")["standard_cost_per_unit"].mean()
    sold = sales.merge(costs, on=["item", "location"], how="left")
    cost = sold["standard_cost_per_unit"].fillna(sold["item"].map(item_cost))
    unknown = int(cost.isna().sum())
    margin = float((sold["revenue"].fillna(0.0) - sold["quantity"] * cost.fillna(0.0)).sum())
    note = f"{unknown} sales rows without a standard cost counted at no cost" if unknown else ""
    rows = [_row(cycle, "gross_margin", margin, "actual", note)]
    budget = _in(_of(inputs.budget, month, "budget"), month, 1, "budget")
    if not len(budget):
        rows.append(
            _row(cycle, "gross_margin_vs_budget", np.nan, "missing", f"no budget for {month:%Y-%m}")
        )
    else:
        gap = margin - float(budget["budget_margin"].sum())
        rows.append(_row(cycle, "gross_margin_vs_budget", gap, "actual", note))
    return rows


def working_capital_rows(inputs: TrendInputs, cycle: str, month: pd.Timestamp) -> list[Row]:
    balances = _in(
        _of(inputs.working_capital, month, "working_capital"), month, 1, "working_capital"
    )
    if not len(balances):
        return [_row(cycle, "working_capital", np.nan, "missing", "no financial plan")]
    note = "receivables + inventory - payables at month end, as planned"
    return [_row(cycle, "working_capital", balances["working_capital"].sum(), "plan", note)]


def _utc(at: Any) -> pd.Timestamp:
    """A time as zoneless UTC: SQLite gives times without their zone, PostgreSQL with it."""
    moment = pd.Timestamp(at)
    return moment if moment.tzinfo is None else moment.tz_convert("UTC").tz_localize(None)


def cycle_time_rows(opened: Any, released: Any, cycle: str) -> list[Row]:
    if pd.isna(opened) or pd.isna(released):
        return [_row(cycle, "sop_cycle_time", np.nan, "missing", "not released")]
    start, end = _utc(opened), _utc(released)
    days = (end - start).total_seconds() / 86_400
    return [_row(cycle, "sop_cycle_time", days, "record", "opened to release approved")]


MEASURES: tuple[Callable[[TrendInputs, str, pd.Timestamp], list[Row]], ...] = (
    forecast_rows,
    on_time_rows,
    adherence_rows,
    utilisation_rows,
    stock_rows,
    margin_rows,
    working_capital_rows,
)


def kpi_label(kpi: str, layer: str = "", lag: Any = None) -> str:
    """A KPI row's name as people read it.

    >>> kpi_label("forecast_wape", "consensus", 1), kpi_label("value_added_by_author", "dora", 3)
    ('WAPE, consensus, lag 1', 'value added by dora, lag 3')
    >>> kpi_label("sop_cycle_time")
    'S&OP cycle time'
    """
    name = KPI_LABELS.get(kpi, kpi)
    if layer:
        name += f" {layer}" if kpi == "value_added_by_author" else f", {layer}"
    if lag is not None and not pd.isna(lag) and str(lag) != "":
        name += f", lag {lag}"
    return name


def kpi_trend(inputs: TrendInputs) -> pd.DataFrame:
    """Every KPI of every closed cycle, one row each (`TREND_COLUMNS`), cycles in order and
    KPIs in the order of `KPI_UNITS`.

    >>> cycles = pd.DataFrame({"cycle": ["2027-01"], "opened_at": ["2027-01-04 08:00"],
    ...     "released_at": ["2027-01-22 10:00"]})
    >>> sales = pd.DataFrame(columns=["item", "location", "period", "quantity", "revenue"])
    >>> trend = kpi_trend(TrendInputs(cycles, sales))
    >>> row = trend.set_index("kpi").loc["sop_cycle_time"]
    >>> round(float(row["value"]), 2), row["unit"], row["basis"]
    (18.08, 'days', 'record')
    """
    require_columns(inputs.cycles, ["cycle", "opened_at", "released_at"], "cycles")
    require_columns(inputs.sales, ["item", "location", "period", "quantity", "revenue"], "sales")
    inputs = _with_months(inputs)
    months = _months(inputs.cycles, "cycles", "cycle")
    rows: list[Row] = []
    order = np.argsort(months.to_numpy(), kind="stable")
    for at in order:
        month = months.iloc[at]
        cycle = f"{month:%Y-%m}"
        for measure in MEASURES:
            rows += measure(inputs, cycle, month)
        record = inputs.cycles.iloc[at]
        rows += cycle_time_rows(record["opened_at"], record["released_at"], cycle)
    trend = pd.DataFrame(rows, columns=TREND_COLUMNS)
    trend["lag"] = trend["lag"].astype("Int64")
    trend["value"] = trend["value"].astype("float64")
    rank = trend["kpi"].map({k: i for i, k in enumerate(KPI_UNITS)})
    trend = trend.assign(_rank=rank, _month=trend["cycle"])
    trend = trend.sort_values(["_month", "_rank"], kind="stable").drop(columns=["_rank", "_month"])
    return trend.reset_index(drop=True)


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """The trend as people read it: one row per KPI (with its layer and lag), one column per
    cycle, in the order of `kpi_trend`.

    >>> trend = pd.DataFrame({"cycle": ["2027-01", "2027-02"], "kpi": "sop_cycle_time",
    ...     "layer": "", "lag": pd.array([None, None], dtype="Int64"), "value": [18.0, 16.5],
    ...     "unit": "days", "basis": "record", "note": ""})
    >>> trend_table(trend).values.tolist()
    [['sop_cycle_time', '', '', 'days', 18.0, 16.5]]
    """
    keys = ["kpi", "layer", "lag", "unit"]
    labelled = trend.assign(lag=trend["lag"].astype("string").fillna(""))
    order = labelled[keys].drop_duplicates()
    wide = labelled.pivot_table(
        index=keys, columns="cycle", values="value", aggfunc="first", dropna=False, sort=False
    )
    wide = wide.reindex(pd.MultiIndex.from_frame(order)).reset_index()
    wide.columns.name = None
    return wide

"""The financial plan: the agreed demand and supply plans in money.

Per item x location x period: shipped units (demand met), revenue, cost of goods sold at
standard cost with a variable-costing view beside it, gross margin, inventory value and working
capital; per period: the supply plan's period costs and the operating cash flow. See
docs/financial-plan.md for the columns, formulas and a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oneplan.engines.finance.working_capital import (
    DEFAULT_DPO,
    DEFAULT_DSO,
    add_working_capital,
    cash_flow,
    working_capital_by_period,
)
from oneplan.engines.frames import month_starts, numeric, require_columns, value_in_force
from oneplan.errors import InputError

KEYS = ["item", "location"]
LIST_PRICE = "all"
UNIT_COSTS = ["material_cost", "labour_cost", "overhead_cost"]
PERIOD_COSTS = ["overtime_cost", "subcontract_cost", "hiring_cost", "layoff_cost", "holding_cost"]
SUPPLY_COLUMNS = ["production", "subcontract", "overtime_units", "end_inventory", "backlog"]


@dataclass(frozen=True)
class FinancialPlan:
    """The frames of one financial plan (columns in docs/financial-plan.md).

    lines: item x location x period money and units; channel_lines: revenue per sales channel;
    period_costs: supply costs outside standard cost; working_capital: balances per period;
    cash_flow: operating cash per period; gaps: what had no price or cost (valued at 0).
    """

    lines: pd.DataFrame
    channel_lines: pd.DataFrame
    period_costs: pd.DataFrame
    working_capital: pd.DataFrame
    cash_flow: pd.DataFrame
    gaps: pd.DataFrame


def _demand(demand: pd.DataFrame) -> pd.DataFrame:
    require_columns(demand, [*KEYS, "period", "quantity"], "demand")
    out = demand[KEYS].astype(str)
    out["period"] = month_starts(demand["period"], table="demand").to_numpy()
    out["quantity"] = numeric(demand, "quantity", "demand").to_numpy()
    channel = demand["channel"] if "channel" in demand.columns else LIST_PRICE
    out["channel"] = pd.Series(channel, index=demand.index).fillna(LIST_PRICE).astype(str)
    return out


def _supply(supply: pd.DataFrame | None) -> pd.DataFrame:
    columns = [*KEYS, "period", *SUPPLY_COLUMNS, "lost_sales"]
    if supply is None:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        return empty.astype({"item": str, "location": str, "period": "datetime64[ns]"})
    require_columns(supply, [*KEYS, "period", "production", "end_inventory", "backlog"], "supply")
    out = supply[KEYS].astype(str)
    out["period"] = month_starts(supply["period"], table="supply").to_numpy()
    for column in [*SUPPLY_COLUMNS, "lost_sales"]:
        out[column] = numeric(supply, column, "supply", default=0.0).to_numpy()
    return out.groupby([*KEYS, "period"], as_index=False)[columns[3:]].sum()


def _grid(demand: pd.DataFrame, supply: pd.DataFrame, periods: object | None) -> pd.DataFrame:
    """Every pair x every plan period, so that period-to-period changes are well defined."""
    if periods is None:
        found = [f["period"] for f in (demand, supply) if len(f)]
        periods = pd.concat(found, ignore_index=True)
    months = month_starts(periods, table="arguments", column="periods")
    months = months.drop_duplicates().sort_values()
    pairs = pd.concat([demand[KEYS], supply[KEYS]]).drop_duplicates().sort_values(KEYS)
    grid = pairs.merge(pd.DataFrame({"period": months.to_numpy()}), how="cross")
    return grid.reset_index(drop=True)


def _shipments(
    grid: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    opening_backlog: pd.DataFrame | None,
) -> pd.DataFrame:
    """shipped = demand + backlog before - backlog after - lost sales (floored at 0)."""
    total = demand.groupby([*KEYS, "period"])["quantity"].sum().rename("demand").reset_index()
    lines = grid.merge(total, on=[*KEYS, "period"], how="left")
    lines = lines.merge(supply, on=[*KEYS, "period"], how="left")
    has_supply = lines["end_inventory"].notna()
    lines[["demand", *SUPPLY_COLUMNS, "lost_sales"]] = lines[
        ["demand", *SUPPLY_COLUMNS, "lost_sales"]
    ].fillna(0.0)
    opening = pd.Series(0.0, index=lines.index)
    if opening_backlog is not None and len(opening_backlog):
        require_columns(opening_backlog, [*KEYS, "backlog"], "opening_backlog")
        given = opening_backlog.assign(**{k: opening_backlog[k].astype(str) for k in KEYS})
        start = given.groupby(KEYS)["backlog"].sum().reset_index()
        opening = lines[KEYS].merge(start, on=KEYS, how="left")["backlog"].fillna(0.0)
    # The grid is sorted by pair then period: the previous row of the same pair is last month.
    before = lines.groupby(KEYS, sort=False)["backlog"].shift(1)
    before = before.fillna(pd.Series(opening.to_numpy(), index=lines.index))
    lines["backlog_before"] = before
    shipped = lines["demand"] + before - lines["backlog"] - lines["lost_sales"]
    # Pairs the supply plan does not cover are taken as fully served.
    lines["shipped_quantity"] = np.where(has_supply, np.maximum(shipped, 0.0), lines["demand"])
    return lines


def _master(
    lines: pd.DataFrame, items: pd.DataFrame, families: pd.DataFrame | None
) -> pd.DataFrame:
    master = items.rename(columns={"code": "item"})
    require_columns(master, ["item", "family"], "items")
    master = master.assign(item=master["item"].astype(str))
    columns = ["item", "family"] + (["category"] if "category" in master.columns else [])
    out = lines.merge(master[columns].drop_duplicates("item"), on="item", how="left")
    if "category" not in out.columns:
        if families is not None:
            require_columns(families, ["code", "category"], "families")
            names = families.set_index("code")["category"]
            out["category"] = out["family"].map(names)
        else:
            out["category"] = pd.NA
    unknown = out["family"].isna()
    if unknown.any():
        item = out["item"][unknown].iloc[0]
        raise InputError(f"item {item!r} has no family", table="items", column="family")
    return out


def _channel_revenue(
    lines: pd.DataFrame, demand: pd.DataFrame, prices: pd.DataFrame
) -> pd.DataFrame:
    """Split shipments over channels in proportion to their demand and price each channel.

    A channel without its own price takes the list price (channel ``all``). Shipments in a
    month without demand (backlog catch-up) are priced at the list price.
    """
    require_columns(prices, ["item", "channel", "valid_from", "price"], "prices")
    per_channel = demand.groupby([*KEYS, "period", "channel"], as_index=False)["quantity"].sum()
    base = lines[[*KEYS, "period", "demand", "shipped_quantity"]]
    split = base.merge(per_channel, on=[*KEYS, "period"], how="inner")
    split = split[split["demand"] > 0]
    split["shipped_quantity"] = split["shipped_quantity"] * split["quantity"] / split["demand"]
    catch_up = base[(base["demand"] <= 0) & (base["shipped_quantity"] > 0)]
    split = pd.concat([split, catch_up.assign(channel=LIST_PRICE)], ignore_index=True)
    split = split[[*KEYS, "period", "channel", "shipped_quantity"]].reset_index(drop=True)

    table = prices.assign(
        item=prices["item"].astype(str),
        channel=prices["channel"].astype(str),
        price=numeric(prices, "price", "prices"),
        rebate=numeric(prices, "rebate", "prices", default=0.0),
    )
    terms = ["price", "rebate"]
    own = value_in_force(split, table, ["item", "channel"], terms, table="prices")
    listed = value_in_force(
        split.assign(channel=LIST_PRICE), table, ["item", "channel"], terms, table="prices"
    )
    # A channel without its own price takes the list price with the list price's rebate.
    has_own = own["price"].notna()
    split["list_price"] = own["price"].where(has_own, listed["price"])
    split["rebate"] = own["rebate"].where(has_own, listed["rebate"]).fillna(0.0)
    split["price"] = split["list_price"] * (1.0 - split["rebate"])
    split["gross_revenue"] = split["shipped_quantity"] * split["list_price"].fillna(0.0)
    split["revenue"] = split["shipped_quantity"] * split["price"].fillna(0.0)
    split["rebates"] = split["gross_revenue"] - split["revenue"]
    return split


def _unit_costs(lines: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    require_columns(costs, [*KEYS, "valid_from", *UNIT_COSTS], "item_costs")
    wanted = [*UNIT_COSTS, "holding_cost", "subcontract_cost"]
    table = costs.assign(**{k: costs[k].astype(str) for k in KEYS})
    for column in wanted:
        table[column] = numeric(table, column, "item_costs", default=np.nan)
    return value_in_force(lines, table, KEYS, wanted, table="item_costs").add_prefix("unit_")


def _period_costs(lines: pd.DataFrame, supply_costs: pd.DataFrame | None) -> pd.DataFrame:
    """Period costs per location x period; derived from item costs when not given.

    Subcontracted units already sit in COGS and inventory at standard cost, so only the
    subcontracting spend above standard (`subcontract_premium`) is a period cost.
    """
    derived = lines.assign(
        overtime_cost=0.0,
        hiring_cost=0.0,
        layoff_cost=0.0,
        holding_cost=lines["end_inventory"] * lines["unit_holding_cost"].fillna(0.0),
        subcontract_cost=lines["subcontract"] * lines["unit_subcontract_cost"].fillna(0.0),
        subcontract_standard=lines["subcontract"] * lines["standard_cost_per_unit"],
        overhead_period_cost=lines["overhead_period_cost"],
    )
    keep = ["location", "period", "subcontract_standard", "overhead_period_cost"]
    out = derived.groupby(["location", "period"], as_index=False)[keep[2:]].sum()
    given = pd.DataFrame(columns=["location", "period"])
    if supply_costs is not None and len(supply_costs):
        require_columns(supply_costs, ["location", "period"], "supply_costs")
        given = supply_costs.assign(
            period=month_starts(supply_costs["period"], table="supply_costs").to_numpy()
        )
        given["location"] = given["location"].astype(str)
    for column in PERIOD_COSTS:
        if column in given.columns:
            values = given.assign(**{column: numeric(given, column, "supply_costs", default=0.0)})
            sums = values.groupby(["location", "period"], as_index=False)[column].sum()
        else:
            sums = derived.groupby(["location", "period"], as_index=False)[column].sum()
        out = out.merge(sums, on=["location", "period"], how="outer")
    out = out.fillna(0.0)
    out["subcontract_premium"] = out["subcontract_cost"] - out["subcontract_standard"]
    period_costs = [c for c in PERIOD_COSTS if c != "subcontract_cost"]
    out["total_period_costs"] = out[period_costs].sum(axis=1) + out["subcontract_premium"]
    return out.sort_values(["period", "location"]).reset_index(drop=True)


def financial_plan(
    demand: pd.DataFrame,
    supply: pd.DataFrame | None,
    items: pd.DataFrame,
    costs: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    supply_costs: pd.DataFrame | None = None,
    families: pd.DataFrame | None = None,
    opening_backlog: pd.DataFrame | None = None,
    periods: object | None = None,
    days_sales_outstanding: float = DEFAULT_DSO,
    days_payables_outstanding: float = DEFAULT_DPO,
    opening_working_capital: float | None = None,
) -> FinancialPlan:
    """Turn the demand and supply plans into revenue, cost, margin, working capital and cash.

    demand: ``item, location, period, quantity[, channel]``; supply: ``item, location, period,
    production, end_inventory, backlog[, lost_sales, subcontract, overtime_units]`` (None:
    demand is fully met); items: ``code|item, family[, category]``; costs: item_costs rows;
    prices: ``item, channel, valid_from, price``; supply_costs: ``location, period`` and any
    of ``overtime_cost, subcontract_cost, hiring_cost, layoff_cost, holding_cost``.

    >>> dem = pd.DataFrame({"item": ["A"], "location": ["P1"], "period": ["2027-04"],
    ...                     "quantity": [100.0]})
    >>> items = pd.DataFrame({"code": ["A"], "family": ["F"]})
    >>> costs = pd.DataFrame({"item": ["A"], "location": ["P1"], "valid_from": ["2027-01"],
    ...     "material_cost": [4.0], "labour_cost": [2.0], "overhead_cost": [1.0]})
    >>> prices = pd.DataFrame({"item": ["A"], "channel": ["all"], "valid_from": ["2027-01"],
    ...                        "price": [10.0]})
    >>> plan = financial_plan(dem, None, items, costs, prices)
    >>> plan.lines[["revenue", "cogs", "gross_margin", "margin_pct"]].values.tolist()
    [[1000.0, 700.0, 300.0, 0.3]]
    """
    wanted = _demand(demand)
    planned = _supply(supply)
    lines = _shipments(_grid(wanted, planned, periods), wanted, planned, opening_backlog)
    lines = _master(lines, items, families)

    channel_lines = _channel_revenue(lines, wanted, prices)
    money = ["gross_revenue", "rebates", "revenue"]
    revenue = channel_lines.groupby([*KEYS, "period"], as_index=False)[money].sum()
    lines = lines.merge(revenue, on=[*KEYS, "period"], how="left")
    lines[money] = lines[money].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lines["price"] = np.where(
            lines["shipped_quantity"] > 0, lines["revenue"] / lines["shipped_quantity"], np.nan
        )

    unit = _unit_costs(lines, costs)
    lines = pd.concat([lines, unit], axis=1)
    material, labour, overhead = (unit[f"unit_{c}"].fillna(0.0) for c in UNIT_COSTS)
    shipped = lines["shipped_quantity"]
    lines["standard_cost_per_unit"] = material + labour + overhead
    lines["material_cost"] = material * shipped
    lines["labour_cost"] = labour * shipped
    lines["overhead_cost"] = overhead * shipped
    lines["cogs"] = lines["material_cost"] + lines["labour_cost"] + lines["overhead_cost"]
    lines["gross_margin"] = lines["revenue"] - lines["cogs"]
    with np.errstate(divide="ignore", invalid="ignore"):
        lines["margin_pct"] = np.where(
            lines["revenue"] != 0, lines["gross_margin"] / lines["revenue"], np.nan
        )
    # Variable costing: overhead is spent on what is made this month, not carried in stock.
    lines["variable_cost"] = lines["material_cost"] + lines["labour_cost"]
    lines["contribution_margin"] = lines["revenue"] - lines["variable_cost"]
    lines["overhead_period_cost"] = overhead * lines["production"]
    lines["variable_costing_margin"] = lines["contribution_margin"] - lines["overhead_period_cost"]
    lines["inventory_value"] = lines["end_inventory"] * lines["standard_cost_per_unit"]
    lines["purchases"] = material * lines["production"] + lines["subcontract"] * lines[
        "unit_subcontract_cost"
    ].fillna(lines["standard_cost_per_unit"])
    lines = add_working_capital(
        lines,
        days_sales_outstanding=days_sales_outstanding,
        days_payables_outstanding=days_payables_outstanding,
    )

    period_costs = _period_costs(lines, supply_costs)
    balances = working_capital_by_period(lines, opening_working_capital)
    cash = cash_flow(lines, period_costs, balances)
    return FinancialPlan(
        lines=lines.drop(columns=["unit_holding_cost", "unit_subcontract_cost"]),
        channel_lines=channel_lines,
        period_costs=period_costs,
        working_capital=balances,
        cash_flow=cash,
        gaps=_gaps(lines, channel_lines),
    )


def _gaps(lines: pd.DataFrame, channel_lines: pd.DataFrame) -> pd.DataFrame:
    """Rows valued at 0 for want of a price or a standard cost, for the planner to fix."""
    no_price = channel_lines[
        channel_lines["price"].isna() & (channel_lines["shipped_quantity"] > 0)
    ].assign(missing="price")
    moved = (lines["shipped_quantity"] > 0) | (lines["end_inventory"] > 0)
    no_cost = lines[moved & lines["unit_material_cost"].isna()].assign(
        missing="standard cost", channel=None
    )
    columns = [*KEYS, "period", "channel", "missing"]
    return pd.concat([no_price[columns], no_cost[columns]], ignore_index=True)

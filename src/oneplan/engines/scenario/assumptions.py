"""Apply a scenario's typed assumptions, in order, to the planning engines' inputs.

``assumptions`` columns: ``position, kind, target_level, target, period_from, period_to, value,
unit`` (``note`` optional). Months are month starts; an empty ``period_from``/``period_to`` means
the start/end of the horizon. Kinds:

- ``demand_change`` (item | family | location | region | total; percent | units): moves the
  demand cells [item, location, period, quantity] of the target in the months. ``units`` is the
  change of the target's monthly total, split in proportion to its cells (evenly when at zero).
- ``capacity_change`` (resource; percent | hours): the resource's regular capacity in the months,
  written as ``resource_capacity`` rows. Down for a month is -100 percent; an extra shift is +hours.
  On a labour pool with a ``workforce`` row the change is taken on the starting crew's hours
  (headcount x hours per worker), which the supply plan reads as the month's working time.
- ``cost_change`` / ``price_change`` (item | family; percent): material cost / price from a month
  (until ``period_to`` when given), written as new ``item_costs`` / ``prices`` rows.
- ``subcontract`` (item | family; currency = cost per unit, units = limit per month).
- ``policy_change`` (item | family; unit names the field: service_level | max_backlog_periods).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.frames import (
    LARGEST_AMOUNT,
    did_you_mean,
    month_starts,
    parameter_number,
    parameters,
    require_columns,
    value_in_force,
)
from oneplan.errors import InputError

KINDS = (
    "demand_change",
    "capacity_change",
    "cost_change",
    "price_change",
    "subcontract",
    "policy_change",
    "launch_moved",
)
LEVELS: dict[str, tuple[str, ...]] = {
    "demand_change": ("item", "family", "location", "region", "total"),
    "capacity_change": ("resource",),
    "cost_change": ("item", "family"),
    "price_change": ("item", "family"),
    "subcontract": ("item", "family"),
    "policy_change": ("item", "family"),
    "launch_moved": ("item",),
}
UNITS: dict[str, tuple[str, ...]] = {
    "demand_change": ("percent", "units"),
    "capacity_change": ("percent", "hours"),
    "cost_change": ("percent",),
    "price_change": ("percent",),
    "subcontract": ("currency", "units"),
    "policy_change": ("service_level", "max_backlog_periods"),
    "launch_moved": ("months",),
}
COLUMNS = [
    "position",
    "kind",
    "target_level",
    "target",
    "period_from",
    "period_to",
    "value",
    "unit",
]
#: The largest size of a change (percent; units, hours or money): far beyond any real plan,
#: so that a typing slip is refused instead of planned.
MAX_VALUE = {True: 10_000.0, False: LARGEST_AMOUNT}
EFFECT_COLUMNS = ["position", "kind", "target_level", "target", "rows", "change", "measure"]
DEMAND_COLUMNS = ["item", "location", "period", "quantity"]


def _fail(row: dict[str, Any], field: str, problem: str) -> InputError:
    # Planners number assumptions by position: that names the assumption, the field its column.
    return InputError(problem, table=f"assumption {row['position']}", column=field)


def _horizon(tables: dict[str, pd.DataFrame], demand: pd.DataFrame) -> pd.DatetimeIndex:
    """The plan's months: parameters plan_start + horizon_periods, else the demand's months."""
    params = parameters(tables.get("parameters"))
    if "plan_start" in params and "horizon_periods" in params:
        start = month_starts([params["plan_start"]], table="parameters", column="value").iloc[0]
        count = int(parameter_number(params, "horizon_periods", 0.0))
        return pd.date_range(start, periods=count, freq="MS")
    if not len(demand):
        message = "has no rows, and the parameters give no plan_start and horizon_periods"
        raise InputError(message, table="demand")
    months = pd.DatetimeIndex(demand["period"])
    return pd.date_range(months.min(), months.max(), freq="MS")


def _validated(assumptions: pd.DataFrame, horizon: pd.DatetimeIndex) -> list[dict[str, Any]]:
    require_columns(assumptions, COLUMNS, "assumptions")
    ordered = assumptions.sort_values("position", kind="stable")
    rows = [{str(k): v for k, v in r.items()} for r in ordered.to_dict("records")]
    for row in rows:
        kind = str(row["kind"])
        if kind not in KINDS:
            raise _fail(row, "kind", f"'{kind}' is not one of {', '.join(KINDS)}")
        if row["target_level"] not in LEVELS[kind]:
            allowed = ", ".join(LEVELS[kind])
            raise _fail(row, "target_level", f"'{row['target_level']}' must be one of {allowed}")
        if row["unit"] not in UNITS[kind]:
            raise _fail(row, "unit", f"'{row['unit']}' must be one of {', '.join(UNITS[kind])}")
        target = row["target"]
        row["target"] = "" if target is None or pd.isna(target) else str(target)
        if row["target_level"] != "total" and not row["target"]:
            raise _fail(row, "target", f"is empty but a {row['target_level']} code is required")
        try:
            row["value"] = float(row["value"])
        except (TypeError, ValueError):
            raise _fail(row, "value", f"'{row['value']}' is not a number") from None
        if not np.isfinite(row["value"]):
            raise _fail(row, "value", "is not a finite number")
        for field, default in (("period_from", horizon[0]), ("period_to", horizon[-1])):
            given = row[field]
            try:
                month = default if given is None or pd.isna(given) else pd.Timestamp(given)
            except ValueError:
                raise _fail(row, field, f"'{given}' is not a month") from None
            row[field] = month.to_period("M").to_timestamp()
        plan = f"the plan ({horizon[0]:%Y-%m} to {horizon[-1]:%Y-%m})"
        if row["period_from"] > horizon[-1]:
            raise _fail(row, "period_from", f"{row['period_from']:%Y-%m} is after {plan}")
        if row["period_to"] < horizon[0]:
            raise _fail(row, "period_to", f"{row['period_to']:%Y-%m} is before {plan}")
        if row["period_to"] < row["period_from"]:
            raise _fail(row, "period_to", "is before period_from")
        if abs(row["value"]) > MAX_VALUE[row["unit"] == "percent"]:
            largest = MAX_VALUE[row["unit"] == "percent"]
            raise _fail(row, "value", f"{row['value']:g} is beyond the largest, {largest:g}")
        if row["unit"] == "percent" and row["value"] < -100:
            raise _fail(row, "value", "a percent change below -100 would make a negative amount")
        if row["unit"] == "service_level" and not 0 < row["value"] < 1:
            raise _fail(row, "value", "a service level must be between 0 and 1 (exclusive)")
        if kind in ("subcontract", "policy_change") and row["value"] < 0:
            raise _fail(row, "value", "must not be negative")
        if kind == "launch_moved" and not float(row["value"]).is_integer():
            raise _fail(row, "value", "a launch moves by whole months (+ later, - earlier)")
    return rows


def check_assumptions(assumptions: pd.DataFrame, months: pd.DatetimeIndex | None = None) -> None:
    """Check kinds, levels, units, values and months (within the plan's ``months`` when they
    are known) without the other tables (targets are checked when the assumptions are applied);
    raises ``InputError`` naming position and field."""
    if months is None or not len(months):
        months = pd.DatetimeIndex([pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-01")])
    _validated(assumptions, months)


def _items_of(row: dict[str, Any], tables: dict[str, pd.DataFrame]) -> np.ndarray:
    """Item codes the assumption targets (item or family level)."""
    items = tables.get("items")
    if items is None:
        raise _fail(row, "target", "the items table is missing")
    column = "code" if row["target_level"] == "item" else "family"
    chosen = items.loc[items[column].astype(str) == row["target"], "code"].astype(str)
    if not len(chosen):
        hint = did_you_mean(row["target"], items[column].dropna().astype(str))
        raise _fail(row, "target", f"{row['target_level']} '{row['target']}' is not in items{hint}")
    codes: np.ndarray = chosen.to_numpy(object)
    return codes


def _demand_change(
    row: dict[str, Any], tables: dict[str, pd.DataFrame], demand: pd.DataFrame
) -> tuple[pd.DataFrame, int, float]:
    level, target = row["target_level"], row["target"]
    if level == "total":
        node = np.ones(len(demand), bool)
    elif level in ("item", "family"):
        node = demand["item"].astype(str).isin(_items_of(row, tables)).to_numpy()
    else:
        locations = tables.get("locations")
        if level == "location":
            known = locations is None or target in set(locations["code"].astype(str))
            node = (demand["location"].astype(str) == target).to_numpy()
        else:
            if locations is None:
                raise _fail(row, "target", "the locations table is missing")
            codes = locations.loc[locations["region"].astype(str) == target, "code"].astype(str)
            known = len(codes) > 0
            node = demand["location"].astype(str).isin(codes).to_numpy()
        if not known:
            column = "code" if level == "location" else "region"
            hint = did_you_mean(target, [] if locations is None else locations[column])
            raise _fail(row, "target", f"{level} '{target}' is not in locations{hint}")
    months = pd.DatetimeIndex(demand["period"])
    node &= np.asarray((months >= row["period_from"]) & (months <= row["period_to"]))
    quantity = demand["quantity"].to_numpy(float)
    change = np.zeros(len(demand))
    if row["unit"] == "percent":
        change[node] = quantity[node] * row["value"] / 100.0
    else:
        # the monthly total moves by value; each cell takes its share of the month (evenly at 0)
        month = months[node]
        total = pd.Series(quantity[node]).groupby(month).transform("sum").to_numpy()
        count = pd.Series(np.ones(node.sum())).groupby(month).transform("sum").to_numpy()
        share = np.where(total > 0, quantity[node] / np.where(total > 0, total, 1.0), 1 / count)
        change[node] = share * row["value"]
    new = np.maximum(quantity + change, 0.0)  # a cut never leaves negative demand
    changed = demand.assign(quantity=new)
    return changed, int(node.sum()), float((new - quantity).sum())


def _launch_moved(
    row: dict[str, Any], tables: dict[str, pd.DataFrame], demand: pd.DataFrame
) -> tuple[pd.DataFrame, int, float]:
    """A launch moved by ``value`` months: the item's whole demand curve (its ramp-up with it)
    shifts; months before the new start have none, and what moves past the horizon drops out."""
    item = row["target"]
    items = tables.get("items")
    if items is not None and item not in set(items["code"].astype(str)):
        hint = did_you_mean(item, items["code"].astype(str))
        raise _fail(row, "target", f"item '{item}' is not in items{hint}")
    mine = (demand["item"].astype(str) == item).to_numpy()
    if not mine.any():
        raise _fail(row, "target", f"item '{item}' has no demand in the plan to move")
    months = int(row["value"])
    horizon = pd.DatetimeIndex(demand["period"])
    first, last = horizon.min(), horizon.max()
    moved = demand[mine].assign(
        period=pd.DatetimeIndex(demand.loc[mine, "period"]) + pd.DateOffset(months=months)
    )
    moved = moved[(moved["period"] >= first) & (moved["period"] <= last)]
    # the item keeps a row (at zero) in every month it had one, so the plan's grid is unchanged
    grid = demand.loc[mine, ["item", "location", "period"]]
    shifted = grid.merge(moved, on=["item", "location", "period"], how="left").fillna(
        {"quantity": 0.0}
    )
    changed = pd.concat([demand[~mine], shifted], ignore_index=True)
    before = float(demand.loc[mine, "quantity"].sum())
    return changed[DEMAND_COLUMNS], int(mine.sum()), float(shifted["quantity"].sum()) - before


def _capacity_change(
    row: dict[str, Any], tables: dict[str, pd.DataFrame], horizon: pd.DatetimeIndex
) -> tuple[dict[str, pd.DataFrame], int, float]:
    resources = tables.get("resources")
    if resources is None or row["target"] not in set(resources["code"].astype(str)):
        hint = did_you_mean(row["target"], [] if resources is None else resources["code"])
        raise _fail(row, "target", f"resource '{row['target']}' is not in resources{hint}")
    base = float(
        resources.loc[resources["code"].astype(str) == row["target"], "capacity_per_period"].iloc[0]
    )
    crew = tables.get("workforce")
    known = crew is not None and {"resource", "headcount", "hours_per_worker"} <= set(crew)
    if crew is not None and known and row["target"] in set(crew["resource"].astype(str)):
        # A pool planned through the workforce table: its calendar rows are the hours of the
        # starting crew, which the supply plan reads as the month's working time, so the
        # change is taken on those hours (the base capacity only when the crew starts empty).
        pool = crew[crew["resource"].astype(str) == row["target"]]
        people = pd.to_numeric(pool["headcount"], errors="coerce")
        hours = pd.to_numeric(pool["hours_per_worker"], errors="coerce")
        ordinary = (people * hours).fillna(0.0).to_numpy(float)
        base = float(ordinary[0]) if ordinary.size and ordinary[0] > 0 else base
    months = horizon[(horizon >= row["period_from"]) & (horizon <= row["period_to"])]
    if not len(months):
        months = pd.date_range(row["period_from"], row["period_to"], freq="MS")
    current = tables.get("resource_capacity")
    if current is None:
        current = pd.DataFrame(columns=["resource", "period", "capacity", "note"])
    mine = (current["resource"].astype(str) == row["target"]).to_numpy() & np.asarray(
        pd.DatetimeIndex(current["period"]).isin(months)
    )
    before = pd.Series(base, index=months)
    given = current[mine]
    at = months.get_indexer(pd.DatetimeIndex(given["period"]))
    before.iloc[at] = given["capacity"].to_numpy(float)
    if row["unit"] == "percent":
        after = before * (1 + row["value"] / 100.0)
    else:
        after = (before + row["value"]).clip(lower=0.0)
    note = row.get("note") or f"scenario: {row['kind']} {row['value']:+g} {row['unit']}"
    added = pd.DataFrame(
        {"resource": row["target"], "period": months, "capacity": after.to_numpy(), "note": note}
    )
    rows = pd.concat([current[~mine], added.astype({"period": current["period"].dtype})])
    changed = {**tables, "resource_capacity": rows.reset_index(drop=True)}
    return changed, len(months), float((after - before).sum())


def _dated_change(
    row: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    table: str,
    keys: list[str],
    change: Callable[[pd.DataFrame], pd.DataFrame],
    column: str,
    last: pd.Timestamp,
) -> tuple[pd.DataFrame, int, float]:
    """``frame`` (valid_from rows) changed from period_from to period_to for the target items.

    The row in force at each boundary is copied to it, so the change starts and ends on the
    month; rows dated inside the window are changed too.
    """
    frame = tables[table]
    items = set(_items_of(row, tables))
    mine = frame["item"].astype(str).isin(items).to_numpy()
    target = frame[mine].copy()
    if not len(target):
        raise _fail(row, "target", f"no {table} rows for {row['target_level']} '{row['target']}'")
    target["valid_from"] = month_starts(target["valid_from"], table=table)
    target = target.sort_values("valid_from")
    values = list(target.columns.drop([*keys, "valid_from"]))
    # each key's first row (the sort keeps it first) and the month it starts
    starts = target.drop_duplicates(keys)[[*keys, "valid_from"]]
    bounds = [row["period_from"]]
    if row["period_to"] < last:
        bounds.append(row["period_to"] + pd.DateOffset(months=1))
    copies = []
    for bound in bounds:
        at = starts[keys].assign(period=bound)
        found = value_in_force(at, target, keys, values, before_first="first", table=table)
        copy = at.drop(columns="period").assign(valid_from=bound, **found)[target.columns]
        copies.append(copy)
        if bound == row["period_from"]:
            # before its first row a list is read forward: keep those months unchanged
            early = (starts["valid_from"] > bound).to_numpy()
            keep = copy[early].assign(valid_from=bound - pd.DateOffset(months=1))
            copies.append(keep)
    both = pd.concat([target, *copies], ignore_index=True)
    both = both.drop_duplicates([*keys, "valid_from"], keep="first")
    inside = (both["valid_from"] >= row["period_from"]) & (both["valid_from"] <= row["period_to"])
    before = both.loc[inside, column].astype(float)
    both.loc[inside, :] = change(both.loc[inside, :])
    delta = float((both.loc[inside, column].astype(float) - before).sum())
    both = both.astype(frame.dtypes.to_dict())
    result = pd.concat([frame[~mine], both], ignore_index=True)
    result = result.sort_values([*keys, "valid_from"], ignore_index=True)
    return result, int(inside.sum()), delta


def _scaled(column: str, percent: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda rows: rows.assign(**{column: rows[column] * (1 + percent / 100.0)})


def _set(column: str, value: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda rows: rows.assign(**{column: value})


def _dated_kind(
    row: dict[str, Any], tables: dict[str, pd.DataFrame], last: pd.Timestamp
) -> tuple[dict[str, pd.DataFrame], int, float]:
    kind = row["kind"]
    table, keys = (
        ("prices", ["item", "channel"])
        if kind == "price_change"
        else (
            "item_costs",
            ["item", "location"],
        )
    )
    column = {"price_change": "price", "cost_change": "material_cost"}.get(
        kind, "subcontract_cost" if row["unit"] == "currency" else "subcontract_limit"
    )
    if tables.get(table) is None:
        raise _fail(row, "target", f"the {table} table is missing")
    rule = _scaled(column, row["value"]) if row["unit"] == "percent" else _set(column, row["value"])
    changed, touched, amount = _dated_change(row, tables, table, keys, rule, column, last)
    return {**tables, table: changed}, touched, amount


def _policy_change(
    row: dict[str, Any], tables: dict[str, pd.DataFrame]
) -> tuple[dict[str, pd.DataFrame], int, float]:
    policies = tables.get("inventory_policies")
    if policies is None:
        raise _fail(row, "target", "the inventory_policies table is missing")
    mine = policies["item"].astype(str).isin(_items_of(row, tables)).to_numpy()
    if not mine.any():
        raise _fail(row, "target", f"no inventory_policies rows for '{row['target']}'")
    column = row["unit"]
    changed = policies.copy()
    before = changed.loc[mine, column].astype(float)
    changed.loc[mine, column] = row["value"] if column == "service_level" else int(row["value"])
    if column == "service_level":
        # a service level only steers the safety stock when the policy uses it
        changed.loc[mine, "method"] = "service_level"
    amount = float((row["value"] - before.fillna(0.0)).sum())
    return {**tables, "inventory_policies": changed}, int(mine.sum()), amount


MEASURES = {
    "demand_change": "units",
    "capacity_change": "hours",
    "cost_change": "currency per unit",
    "price_change": "currency per unit",
    "subcontract": "currency or units",
    "policy_change": "policy value",
    "launch_moved": "units",
}


def apply_assumptions(
    tables: dict[str, pd.DataFrame], demand: pd.DataFrame, assumptions: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Changed tables, changed demand and one effects row per assumption, applied in position order.

    ``effects`` [position, kind, target_level, target, rows, change, measure]: rows touched and
    the total change (demand units, capacity hours, the sum of price or cost per unit...).

    >>> demand = pd.DataFrame({"item": ["A", "B"], "location": "L",
    ...     "period": pd.to_datetime(["2027-01-01", "2027-01-01"]), "quantity": [10.0, 30.0]})
    >>> change = pd.DataFrame([{"position": 1, "kind": "demand_change", "target_level": "total",
    ...     "target": "", "period_from": None, "period_to": None, "value": 8.0, "unit": "units"}])
    >>> _, changed, effects = apply_assumptions({}, demand, change)
    >>> changed["quantity"].tolist(), effects["change"].tolist()
    ([12.0, 36.0], [8.0])
    """
    require_columns(demand, DEMAND_COLUMNS, "demand")
    horizon = _horizon(tables, demand)
    tables = dict(tables)
    demand = demand[DEMAND_COLUMNS].reset_index(drop=True)
    effects = []
    for row in _validated(assumptions, horizon):
        kind = row["kind"]
        if kind == "demand_change":
            demand, touched, amount = _demand_change(row, tables, demand)
        elif kind == "launch_moved":
            demand, touched, amount = _launch_moved(row, tables, demand)
        elif kind == "capacity_change":
            tables, touched, amount = _capacity_change(row, tables, horizon)
        elif kind == "policy_change":
            tables, touched, amount = _policy_change(row, tables)
        else:
            tables, touched, amount = _dated_kind(row, tables, horizon[-1])
        effects.append(
            [
                row["position"],
                kind,
                row["target_level"],
                row["target"],
                touched,
                amount,
                MEASURES[kind],
            ]
        )
    frame = pd.DataFrame(effects, columns=EFFECT_COLUMNS)
    return tables, demand, frame.astype({"rows": "int64", "change": "float64"})

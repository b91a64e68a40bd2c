"""The pack's review pages computed from frames (pure): family demand against budget and last
year, inventory and service by month, forecast accuracy by family, what changed since the
previous plan, the names behind codes and the five lines that say what is asked.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts
from oneplan.engines.kpi import on_time_share, total_cost
from oneplan.reports.style import short, signed_short
from oneplan.reports.tables import change_text

FAMILY_COLUMNS = ["family", "name", "plan", "budget", "last_year", "vs_budget", "vs_last_year"]
SERVICE_COLUMNS = ["period", "on_time", "lost_units", "backlog_units", "inventory_units"]
SERVICE_COLUMNS += ["inventory_value", "days_of_supply", "below_safety_stock"]
ACCURACY_COLUMNS = ["family", "name", "actual_units", "wape_lag1", "bias_lag1", "wape", "bias"]
CHANGE_COLUMNS = ["measure", "previous", "now", "change", "unit"]
#: The KPIs compared with the previous plan, in the order shown.
CHANGED_MEASURES = ["revenue, whole plan", "gross margin, whole plan", "margin %", "on time"]
CHANGED_MEASURES += ["lost units", "shipped units", "total cost", "working capital at end"]
SHARE_MEASURES = ("margin %", "on time")
DAYS_PER_MONTH = 365.25 / 12
TOLERANCE = 1e-6


def _ratio(top: pd.Series, bottom: pd.Series) -> pd.Series:
    return top / bottom.where(bottom.abs() > TOLERANCE)


def name_of(subject: object, names: Mapping[str, str]) -> str:
    """The name of what an issue is about (its code when it has no name).

    >>> name_of("SPR-0040@DC-CENTRAL", {"SPR-0040": "Pulse sprinkler"}), name_of("X", {})
    ('Pulse sprinkler', 'X')
    """
    text = (
        ""
        if subject is None or (isinstance(subject, float) and np.isnan(subject))
        else str(subject)
    )
    return names.get(text.split("@", 1)[0].strip(), "") or text


def label(subject: object, names: Mapping[str, str]) -> str:
    """An issue's subject with the name of what it is about.

    >>> label("SPR-0040@DC-CENTRAL", {"SPR-0040": "Pulse sprinkler"})
    'Pulse sprinkler (SPR-0040@DC-CENTRAL)'
    >>> label("CREW-N", {}), label("HOS", {"HOS": "Hoses"})
    ('CREW-N', 'Hoses (HOS)')
    """
    text = (
        ""
        if subject is None or (isinstance(subject, float) and np.isnan(subject))
        else str(subject)
    )
    name = names.get(text.split("@", 1)[0].strip(), "")
    return f"{name} ({text})" if name and name != text else text


def family_demand(
    demand: pd.DataFrame,
    variance: pd.DataFrame,
    history: pd.DataFrame | None,
    families_of: Mapping[str, str],
    names: Mapping[str, str],
) -> pd.DataFrame:
    """Demand per family in the budget months against the budget and the same months a year
    earlier (sales history); a ``total`` row last. Without budget months, the plan's first 12.

    demand: the consensus ``item, period, quantity, family``; variance: ``family, period,
    budget_volume``; history: ``item, period, quantity`` (None: no last year).
    """
    months = month_starts(demand["period"], table="demand plan consensus")
    budget_months = month_starts(variance["period"], table="finance plan budget_variance")
    chosen = pd.DatetimeIndex(sorted(set(budget_months.dropna())))
    if not len(chosen):
        chosen = pd.DatetimeIndex(sorted(set(months.dropna())))[:12]
    in_plan = demand[months.isin(chosen).to_numpy()]
    plan = in_plan["quantity"].astype(float).groupby(in_plan["family"].astype(str)).sum()
    budget = variance.groupby(variance["family"].astype(str))["budget_volume"].sum()
    last_year = pd.Series(dtype=float)
    if history is not None and len(history):
        ago = month_starts(history["period"], table="sales_history") + pd.DateOffset(years=1)
        earlier = history[ago.isin(chosen).to_numpy()]
        family = earlier["item"].astype(str).map(families_of)
        last_year = earlier["quantity"].astype(float).groupby(family.to_numpy()).sum()
    table = pd.DataFrame({"plan": plan, "budget": budget, "last_year": last_year})
    table = table.rename_axis("family").sort_index()
    if history is None or not len(history):
        table["last_year"] = np.nan
    table.loc["total"] = table.sum(min_count=1)
    table = table.reset_index()
    table["name"] = [names.get(f, "all families" if f == "total" else f) for f in table["family"]]
    table["vs_budget"] = _ratio(table["plan"] - table["budget"], table["budget"])
    table["vs_last_year"] = _ratio(table["plan"] - table["last_year"], table["last_year"])
    return table[FAMILY_COLUMNS]


def inventory_service(supply_plan: pd.DataFrame, working_capital: pd.DataFrame) -> pd.DataFrame:
    """Per month: on-time share, lost and owed units, stock in units and money, days of supply
    (stock over the month's demand per day) and how many item-locations end below safety stock.
    """
    plan = supply_plan.assign(
        period=month_starts(supply_plan["period"], table="supply plan supply_plan")
    )
    served = (plan["demand"] - plan["lost_sales"]).clip(lower=0)
    plan["late"] = plan["lost_sales"] + np.minimum(plan["backlog"], served)  # as on_time_share
    groups = plan.groupby("period")
    demand = groups["demand"].sum()
    below = plan.get("safety_stock_shortfall", pd.Series(0.0, index=plan.index)) > TOLERANCE
    table = pd.DataFrame(
        {
            "on_time": (1.0 - _ratio(groups["late"].sum(), demand)).fillna(1.0),
            "lost_units": groups["lost_sales"].sum(),
            "backlog_units": groups["backlog"].sum(),
            "inventory_units": groups["end_inventory"].sum(),
            "below_safety_stock": below.groupby(plan["period"]).sum(),
        }
    )
    demand_per_day = demand / DAYS_PER_MONTH
    table["days_of_supply"] = _ratio(table["inventory_units"], demand_per_day)
    value = working_capital.assign(
        period=month_starts(working_capital["period"], table="finance plan working_capital")
    )
    if "inventory_value" in value:
        table["inventory_value"] = value.set_index("period")["inventory_value"].reindex(table.index)
    else:
        table["inventory_value"] = np.nan
    return table.rename_axis("period").reset_index()[SERVICE_COLUMNS]


def forecast_accuracy(
    backtest: pd.DataFrame, families_of: Mapping[str, str], names: Mapping[str, str]
) -> pd.DataFrame:
    """The statistical forecast's backtest per family: WAPE and bias one month ahead and over
    every lag tried (bias > 0: the forecast was too high); a ``total`` row last.

    backtest: ``item, horizon_step, y, forecast``.
    """
    if not len(backtest):
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    tried = backtest.assign(
        family=backtest["item"].astype(str).map(families_of).fillna("other"),
        miss=(backtest["forecast"] - backtest["y"]).astype(float),
    )
    tried["size"] = tried["miss"].abs()

    def measured(rows: pd.DataFrame, suffix: str) -> pd.DataFrame:
        sums = rows.groupby("family")[["y", "miss", "size"]].sum()
        sums.loc["total"] = sums.sum()
        return pd.DataFrame(
            {
                f"wape{suffix}": _ratio(sums["size"], sums["y"]),
                f"bias{suffix}": _ratio(sums["miss"], sums["y"]),
            }
        )

    first = tried[tried["horizon_step"] == 1]
    table = measured(tried, "").join(measured(first, "_lag1"), how="left")
    actual = tried[tried["horizon_step"] == 1].groupby("family")["y"].sum()
    actual.loc["total"] = actual.sum()
    table["actual_units"] = actual.reindex(table.index)
    table = table.rename_axis("family").reset_index()
    table["name"] = [names.get(f, "all families" if f == "total" else f) for f in table["family"]]
    return table[ACCURACY_COLUMNS]


def plan_headline(
    supply: Mapping[str, pd.DataFrame], finance: Mapping[str, pd.DataFrame] | None
) -> dict[str, float]:
    """The figures compared cycle over cycle, from a supply plan's frames (``supply_plan``,
    optionally ``cost_breakdown``) and, when there is one, its financial plan's (``lines``,
    ``working_capital``); a figure the frames cannot give is NaN."""
    plan = supply["supply_plan"]
    figures = dict.fromkeys(CHANGED_MEASURES, np.nan)
    figures["on time"] = on_time_share(plan) if len(plan) else np.nan
    figures["lost units"] = float(plan["lost_sales"].sum())
    if "cost_breakdown" in supply:
        figures["total cost"] = total_cost(supply["cost_breakdown"])
    if finance is not None and "lines" in finance:
        lines = finance["lines"]
        revenue, margin = float(lines["revenue"].sum()), float(lines["gross_margin"].sum())
        figures["revenue, whole plan"] = revenue
        figures["gross margin, whole plan"] = margin
        figures["margin %"] = margin / revenue if revenue else np.nan
        figures["shipped units"] = float(lines["shipped_quantity"].sum())
    if finance is not None and "working_capital" in finance and len(finance["working_capital"]):
        balances = finance["working_capital"].sort_values("period")
        figures["working capital at end"] = float(balances["working_capital"].iloc[-1])
    return figures


def plan_changes(
    now: Mapping[str, float], previous: Mapping[str, float] | None, currency: str = ""
) -> pd.DataFrame:
    """This plan's headline figures (`plan_headline`) against the previous plan's; no rows
    when there is no previous plan."""
    if previous is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    table = pd.DataFrame(
        {
            "measure": CHANGED_MEASURES,
            "previous": [float(previous.get(m, np.nan)) for m in CHANGED_MEASURES],
            "now": [float(now.get(m, np.nan)) for m in CHANGED_MEASURES],
        }
    )
    table["change"] = table["now"] - table["previous"]
    table["unit"] = [
        "%" if m in SHARE_MEASURES else ("units" if m.endswith("units") else currency or "money")
        for m in CHANGED_MEASURES
    ]
    return table.dropna(subset=["previous", "now"], how="all")[CHANGE_COLUMNS]


def late_units(supply_plan: pd.DataFrame) -> float:
    """Units of demand not served in their own month (lost or delivered late), as counted by
    `on_time_share`.

    >>> late_units(pd.DataFrame({"demand": [10.0, 10.0], "backlog": [4.0, 0.0],
    ...     "lost_sales": [0.0, 1.0]}))
    5.0
    """
    served = (supply_plan["demand"] - supply_plan["lost_sales"]).clip(lower=0)
    late = supply_plan["lost_sales"] + np.minimum(supply_plan["backlog"], served)
    return float(late.sum())


def summary_lines(
    kpis: pd.DataFrame,
    issues: pd.DataFrame,
    bottleneck: Mapping[str, object] | None,
    late: float,
    changes: pd.DataFrame,
    previous_name: str,
    currency: str = "",
) -> list[str]:
    """Five lines that say what the meeting is asked: the plan against budget, its service and
    bottleneck, what changed since the previous plan, and the two largest decisions.

    issues: the ranked list with ``decision``, ``money`` and ``name`` (what it is about).
    """
    figures = kpis.set_index("measure")
    money = f"{currency} " if currency else ""

    def value(measure: str, column: str = "plan") -> float:
        found = figures[column].get(measure, np.nan) if measure in figures.index else np.nan
        return float(found) if found is not None else np.nan

    revenue, budget = value("revenue"), value("revenue", "budget")
    if np.isfinite(budget) and budget:
        plan = (
            f"Approve a plan of {money}{short(revenue)} revenue in the budget months against "
            f"{money}{short(budget)} budgeted ({(revenue - budget) / abs(budget):+.1%}), "
            f"gross margin {value('margin %'):.1%}."
        )
    else:
        whole = short(value("revenue, whole plan"))
        plan = f"Approve a plan of {money}{whole} revenue; there is no budget to compare with."
    service = f"On time {value('on time'):.1%}: {short(late)} units of demand late or lost"
    if bottleneck:
        used = float(str(bottleneck.get("utilisation") or 0))
        service += (
            f"; the tightest resource is {bottleneck.get('resource')} in "
            f"{bottleneck.get('period')} ({used:.0%} used)."
        )
    else:
        service += "."
    change = "No earlier released or approved plan to compare with."
    if len(changes):
        moved = changes.set_index("measure")["change"].astype(float)
        parts = []
        if np.isfinite(moved.get("revenue, whole plan", np.nan)):
            parts.append(f"revenue {signed_short(moved['revenue, whole plan'])}")
        if np.isfinite(moved.get("on time", np.nan)):
            parts.append(f"on time {change_text(moved['on time'], '%')}")
        if np.isfinite(moved.get("total cost", np.nan)):
            parts.append(f"total cost {signed_short(moved['total cost'])}")
        change = f"Since {previous_name}: {', '.join(parts) or 'no headline figure moved'}."
    asks = []
    for issue in issues.sort_values("rank").head(2).to_dict("records"):
        decision = str(issue.get("decision") or str(issue.get("kind", "")).replace("_", " "))
        at_stake = pd.to_numeric(pd.Series([issue.get("money")]), errors="coerce").iloc[0]
        worth = "" if pd.isna(at_stake) else f", {money}{short(float(at_stake))} at stake"
        name = str(issue.get("name") or "")
        about = f" ({name}{worth})" if name else (f" ({worth[2:]})" if worth else "")
        asks.append(f"Decide: {decision}{about}.")
    while len(asks) < 2:
        asks.append("No further decision is asked." if asks else "No decision is asked.")
    return [plan, service, change, *asks]


# -- how each review table reads: column -> (header, kind, which way is better) -----------

FAMILY_TABLE = {
    "name": ("family", "text", ""),
    "plan": ("plan, units", "amount", ""),
    "budget": ("budget", "amount", ""),
    "last_year": ("last year", "amount", ""),
    "vs_budget": ("vs budget", "change", "up"),
    "vs_last_year": ("vs last year", "change", "up"),
}
SERVICE_TABLE = {
    "period": ("month", "month", ""),
    "on_time": ("on time", "share", ""),
    "lost_units": ("lost units", "amount", ""),
    "backlog_units": ("owed units", "amount", ""),
    "inventory_units": ("stock, units", "amount", ""),
    "inventory_value": ("stock, value", "amount", ""),
    "days_of_supply": ("days of supply", "days", ""),
    "below_safety_stock": ("items below safety stock", "amount", ""),
}
ACCURACY_TABLE = {
    "name": ("family", "text", ""),
    "actual_units": ("units tested", "amount", ""),
    "wape_lag1": ("WAPE 1 month ahead", "share", ""),
    "bias_lag1": ("bias 1 month ahead", "change", ""),
    "wape": ("WAPE all lags", "share", ""),
    "bias": ("bias all lags", "change", ""),
}
#: Which way each compared figure is better (others are shown without colour).
BETTER = {
    "revenue, whole plan": "up",
    "gross margin, whole plan": "up",
    "margin %": "up",
    "on time": "up",
    "shipped units": "up",
    "lost units": "down",
    "total cost": "down",
}

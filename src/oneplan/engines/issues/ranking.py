"""The pre-S&OP gap list: every issue the meeting must decide, sized in units and money, ranked.

Each input frame yields rows of one or more kinds, one row per subject and month; runs of
consecutive months of the same kind and subject are merged into one row, and the rows are
ranked by money at stake (ties by units). Each row names the decision it feeds (`group`), so
that `oneplan.engines.issues.decisions` can gather the rows into the meeting's few decisions;
a shortfall under safety stock that only the horizon's end causes is kept but marked (`note`).
Money is in the plan's currency; the rule for each kind is in docs/issues.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, numeric, require_columns

TOLERANCE = 1e-6
KINDS = ["unmet_demand", "backlog", "capacity_overload", "below_safety_stock"]
KINDS += ["above_max_inventory", "revenue_gap", "margin_gap", "launch_at_risk", "relaxed_limit"]
# Stocks carried from month to month: a run's units is its peak, not the sum of months.
STOCK_KINDS = ["backlog", "below_safety_stock", "above_max_inventory"]
COLUMNS = ["rank", "kind", "subject", "period", "periods", "units", "unit", "money"]
COLUMNS += ["decision", "cause"]
#: What `issue_list` adds to `COLUMNS`: who is concerned, the decision each row feeds, why not.
DETAIL_COLUMNS = [*COLUMNS, "family", "resource", "resource_kind", "group", "note"]
END_OF_HORIZON = "end of horizon"
#: The supply engine's causes of unmet demand, as a planner says them.
CAUSE_WORDS = {
    "capacity": "not enough capacity",
    "cheaper to lose than to make": "making it costs more than the sale brings",
    "cheaper to deliver late": "delivering late costs less than building ahead",
    "lead time": "supply cannot arrive in time",
    "no supply source": "no plant or supplier delivers it there",
    "no capacity defined": "no routing makes it",
}
_ISSUE = ["kind", "subject", "topic", "period", "units", "unit", "money", "cause"]
_ISSUE += ["resource", "resource_kind", "relaxed"]
UNMET = ["item", "location", "period", "cause", "resource"]
CAPACITY = ["capacity", "used", "relaxed", "shadow_price"]
BUDGET = ["revenue_variance", "margin_variance", "budget_volume", "plan_volume"]
RELAXED = ["constraint", "resource", "period"]
COSTS = ["unit_cost", "standard_cost"]


def _checked(
    frame: pd.DataFrame, name: str, columns: Sequence[str], numbers: Sequence[str] = ()
) -> pd.DataFrame:
    """Copy of `frame` with `period` as month starts and `numbers` as floats (empty: 0)."""
    require_columns(frame, [*columns, *numbers], name)
    out = frame.reset_index(drop=True).copy()
    if "period" in columns:
        out["period"] = month_starts(out["period"], table=name, required=True)
    for column in numbers:
        out[column] = numeric(out, column, name, default=0.0)
    return out


def _price_of(rows: pd.DataFrame, consensus: pd.DataFrame | None) -> pd.Series:
    """Consensus price per row's item, location and month; else the item's mean; else 0."""
    if consensus is None or consensus.empty:
        return pd.Series(0.0, index=rows.index)
    keys = ["item", "location", "period"]
    exact = rows[keys].merge(consensus[[*keys, "price"]].groupby(keys).mean(), on=keys, how="left")
    by_item = consensus.groupby("item")["price"].mean()
    price = exact["price"].fillna(rows["item"].map(by_item).reset_index(drop=True)).fillna(0.0)
    return pd.Series(price.to_numpy(), index=rows.index)


def _text(values: pd.Series, spec: str) -> pd.Series:
    """Numbers formatted for a sentence (object dtype, so it concatenates even when empty)."""
    return pd.Series([spec.format(v) for v in values], index=values.index, dtype=object)


def _issues(kind: str, rows: pd.DataFrame, mask: pd.Series, **values: object) -> pd.DataFrame:
    """Issue rows of one kind in the common shape from the rows where `mask` holds."""
    out = pd.DataFrame({"kind": kind, "period": rows["period"][mask]})
    defaults: dict[str, object] = {"topic": "", "resource": None, "resource_kind": None}
    defaults["relaxed"] = 0.0
    for column in _ISSUE[1:]:
        value = values.get(column, defaults.get(column))
        if column != "period":
            out[column] = value[mask] if isinstance(value, pd.Series) else value  # type: ignore[call-overload]
    return out[_ISSUE]


def _where(rows: pd.DataFrame) -> pd.Series:
    return rows["item"].astype(str) + "@" + rows["location"].astype(str)


def _launching(items: pd.DataFrame, first: pd.Timestamp) -> pd.Series:
    """Item codes that are new: lifecycle status `new` or a launch date from the first month on."""
    require_columns(items, ["code"], "items")
    status = items.get("lifecycle_status", pd.Series("", index=items.index)).astype(str)
    dates = items.get("launch_date", pd.Series(pd.NaT, index=items.index))
    launch = month_starts(dates, table="items", column="launch_date")
    return items["code"].astype(str)[(status.str.lower() == "new") | (launch >= first)]


def _demand_issues(
    unmet: pd.DataFrame, prices: pd.DataFrame | None, new: pd.Series, resource_kind: pd.Series
) -> tuple[list[pd.DataFrame], pd.Series]:
    """Lost sales, backlog and launches at risk; also the money unmet per resource and month."""
    price = _price_of(unmet, prices)
    rate = unmet["backlog_cost"] if "backlog_cost" in unmet.columns else price
    lost_money, late_money = unmet["lost_sales"] * price, unmet["backlog"] * rate
    resource = unmet["resource"].astype(object)
    words = unmet["cause"].astype(str)
    words = words.map(CAUSE_WORDS).fillna(words)
    cause = words + (" on " + resource.astype(str)).where(resource.notna(), "")
    hints = {"subject": _where(unmet), "cause": cause, "resource": resource}
    hints["resource_kind"] = resource.map(resource_kind)
    # What blocks the row (the resource, else the engine's own cause): a run never mixes two,
    # so each run feeds one decision.
    hints["topic"] = resource.astype(str).where(resource.notna(), unmet["cause"].astype(str))
    is_new = unmet["item"].astype(str).isin(new)
    short = unmet["lost_sales"] + unmet["backlog"]
    lost, late = (
        (unmet["lost_sales"] > TOLERANCE) & ~is_new,
        (unmet["backlog"] > TOLERANCE) & ~is_new,
    )
    out = [
        _issues(
            "unmet_demand",
            unmet,
            lost,
            units=unmet["lost_sales"],
            unit="units",
            money=lost_money,
            **hints,
        ),
        _issues(
            "backlog",
            unmet,
            late,
            units=unmet["backlog"],
            unit="units owed",
            money=late_money,
            **hints,
        ),
        _issues(
            "launch_at_risk",
            unmet,
            (short > TOLERANCE) & is_new,
            units=short,
            unit="units",
            money=short * price,
            **hints,
        ),
    ]
    caused = pd.DataFrame({"resource": resource, "period": unmet["period"]})
    caused["money"] = lost_money + late_money
    return out, caused.dropna(subset=["resource"]).groupby(["resource", "period"])["money"].sum()


def _capacity_issues(capacity: pd.DataFrame, threshold: float, caused: pd.Series) -> pd.DataFrame:
    """Hours (supplier units) used above `threshold` x capacity, priced at the shadow price."""
    over = capacity["used"] - threshold * capacity["capacity"]
    degenerate = capacity.get("degenerate", pd.Series(False, index=capacity.index))
    degenerate = degenerate.fillna(False).astype(bool)
    price = capacity["shadow_price"].where(~degenerate & (capacity["shadow_price"] > 0))
    key = pd.MultiIndex.from_frame(capacity[["resource", "period"]])
    lost = pd.Series(caused.reindex(key).to_numpy(), index=capacity.index).fillna(0.0)
    supplier = capacity["kind"].astype(str) == "supplier"
    worth = "one more " + supplier.map({True: "unit", False: "hour"}).astype(object)
    cause = (worth + " is worth " + _text(price, "{:,.2f}")).where(
        price.notna(), "demand left unmet for lack of it"
    )
    share = capacity["used"] / capacity["capacity"].where(capacity["capacity"] > 0)
    cause = cause + _text(share, "; used {:.0%} of capacity").where(share.notna(), "")
    unit = supplier.map({True: "units over capacity", False: "hours over capacity"})
    return _issues(
        "capacity_overload",
        capacity,
        over > TOLERANCE,
        subject=capacity["resource"].astype(str),
        units=over,
        unit=unit,
        money=(over * price).fillna(lost),
        cause=cause,
        resource=capacity["resource"],
        resource_kind=capacity["kind"],
        relaxed=(capacity["relaxed"] > TOLERANCE).astype(float),
    )


def _inventory_issues(stock: pd.DataFrame, prices: pd.DataFrame | None) -> list[pd.DataFrame]:
    """Shortfall below safety stock (revenue at risk) and excess above the maximum (at cost)."""
    short = (stock["safety_stock"] - stock["projected_on_hand"]).clip(lower=0)
    excess = (stock["projected_on_hand"] - stock["max_inventory"]).clip(lower=0)
    cost_column = next((c for c in COSTS if c in stock), None)
    cost = stock[cost_column] if cost_column else 0.0
    no_cost = "" if cost_column else "; no unit cost given"
    return [
        _issues(
            "below_safety_stock",
            stock,
            short > TOLERANCE,
            subject=_where(stock),
            units=short,
            unit="units below safety stock",
            money=short * _price_of(stock, prices),
            cause="stock "
            + _text(stock["projected_on_hand"].clip(lower=0), "{:,.0f}")
            + " against a safety stock of "
            + _text(stock["safety_stock"], "{:,.0f}"),
        ),
        _issues(
            "above_max_inventory",
            stock,
            excess > TOLERANCE,
            subject=_where(stock),
            units=excess,
            unit="units above maximum",
            money=excess * cost,
            cause="projected on hand above the maximum" + no_cost,
        ),
    ]


def _gap_runs(variance: pd.DataFrame, below: pd.Series) -> pd.Series:
    """A number per run of consecutive months of one family below budget (as `_merge_runs`
    merges them); every other month is a run of its own."""
    order = variance.assign(_below=below).sort_values(["family", "period"])
    month = order["period"].dt.year * 12 + order["period"].dt.month
    new = (
        (order["family"] != order["family"].shift())
        | (month.diff() != 1)
        | ~order["_below"]
        | ~order["_below"].shift(fill_value=False).astype(bool)
    )
    return pd.Series(new.cumsum().reindex(variance.index))


def _budget_issues(variance: pd.DataFrame) -> list[pd.DataFrame]:
    """Revenue and margin below budget per family and month, with the largest effect named."""
    out = []
    for measure, prefix in (("revenue", ""), ("margin", "margin_")):
        gap = -variance[f"{measure}_variance"]
        effects = [
            str(c) for c in variance if str(c).startswith(prefix) and str(c).endswith("_effect")
        ]
        if measure == "revenue":
            effects = [c for c in effects if not c.startswith("margin_") and c != "cost_effect"]
        elif "cost_effect" in variance:
            effects.append("cost_effect")
        cause = pd.Series("plan below budget", index=variance.index, dtype=object)
        if effects and len(variance):
            values = variance[effects].apply(pd.to_numeric, errors="coerce").fillna(0.0)
            # Months in a row below budget become one issue: name the effect largest over the
            # whole run, not the first month's.
            values = values.groupby(_gap_runs(variance, gap > TOLERANCE)).transform("sum")
            names = values.idxmin(axis=1).str.removeprefix(prefix).str.removesuffix("_effect")
            cause = "largest effect: " + names + " " + _text(values.min(axis=1), "{:,.0f}")
        short = (variance["budget_volume"] - variance["plan_volume"]).clip(lower=0)
        out.append(
            _issues(
                f"{measure}_gap",
                variance,
                gap > TOLERANCE,
                subject=variance["family"].astype(str),
                units=short,
                unit="units below budget volume",
                money=gap,
                cause=cause,
            )
        )
    return out


def _relaxation_issues(relaxed: pd.DataFrame) -> pd.DataFrame:
    """Hard limits the plan had to break; no real price exists, so their money is 0."""
    item = relaxed.get("item", pd.Series(None, index=relaxed.index, dtype=object))
    place = item.astype(str) + "@" + relaxed.get("location", pd.Series("")).astype(str)
    subject = relaxed["resource"].where(relaxed["resource"].notna(), place.where(item.notna()))
    penalty = pd.to_numeric(relaxed.get("penalty_cost", pd.Series(0.0, index=relaxed.index)))
    constraint = relaxed["constraint"].astype(str)
    cause = "the plan broke the " + constraint + " limit (penalty "
    return _issues(
        "relaxed_limit",
        relaxed,
        relaxed["relaxed_by"] > TOLERANCE,
        topic=constraint,
        subject=subject.fillna(constraint).astype(str),
        units=relaxed["relaxed_by"],
        unit="over the limit",
        money=0.0,
        cause=cause + _text(penalty.fillna(0), "{:,.0f}") + ")",
    )


def _merge_runs(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per run of consecutive months of the same kind, subject and topic."""
    keys = ["kind", "subject", "topic"]
    first = {c: "first" for c in ["unit", "cause", "resource", "resource_kind"]}
    sums = {"units": "sum", "money": "sum", "relaxed": "max"}
    monthly = issues.groupby([*keys, "period"], as_index=False).agg({**sums, **first})
    month = monthly["period"].dt.year * 12 + monthly["period"].dt.month
    same = (monthly[keys] == monthly[keys].shift()).all(axis=1)
    run = (~same | (month.diff() != 1)).cumsum()
    # A stock (backlog, shortfall, excess) carried over months is counted at its peak.
    monthly["peak"] = monthly["units"].where(monthly["kind"].isin(STOCK_KINDS))
    monthly["periods"] = 1
    merged = monthly.groupby(run).agg(
        {
            **dict.fromkeys([*keys, "period"], "first"),
            **sums,
            **first,
            "peak": "max",
            "periods": "sum",
        }
    )
    merged["units"] = merged["peak"].fillna(merged["units"])
    return merged.drop(columns="peak").reset_index(drop=True)


SENTENCES = {
    "unmet_demand": "accept lost sales or {fix}",
    "backlog": "agree later delivery dates or {fix}",
    "launch_at_risk": "protect supply for the launch of {s} or move it; {fix}",
    "shift": "add a shift on {s} in {p}{ahead}",
    "second_source": "expedite supplier {s} in {p} or find a second source",
    "capacity_overload": "approve overtime on {s} in {p}{ahead}",
    "below_safety_stock": "build ahead {s} before {p} or accept lower service",
    "opening_stock": "expedite {s} for {p} or accept lower service",
    "above_max_inventory": "cut production of {s} from {p} or move stock",
    "revenue_gap": "close the {s} revenue gap from {p} (promotion, price) or accept it",
    "margin_gap": "review price and cost of {s} from {p} or accept the margin below budget",
    "relaxed_limit": "raise the {topic} limit on {s} in {p} or change the plan",
}


def _decisions(rows: pd.DataFrame, first: pd.Timestamp) -> list[str]:
    """A short sentence per row, in the planner's words, naming what can be done.

    Nothing can be built before the plan's first month, so a row that starts there is never
    asked to build ahead: its stock can only be expedited, its capacity added in that month.
    """
    month, resource = rows["period"].dt.strftime("%Y-%m"), rows["resource"].fillna("")
    at_start = (rows["period"] <= first).to_numpy()
    supplier = rows["resource_kind"].fillna("") == "supplier"
    fix = np.where(supplier, "expedite supplier " + resource, "add capacity on " + resource)
    fix = np.where(at_start, fix + " in " + month, fix + " before " + month)
    fix = np.where(resource == "", "find more supply", fix)
    ahead = np.where(at_start, "", " or build ahead")
    # An overload that broke the capacity itself needs a shift; a supplier needs expediting.
    overload = rows["kind"] == "capacity_overload"
    kind = np.where(overload & supplier, "second_source", rows["kind"])
    kind = np.where(overload & (rows["relaxed"] > 0), "shift", kind)
    kind = np.where((kind == "below_safety_stock") & at_start, "opening_stock", kind)
    parts = zip(kind, rows["subject"], month, fix, ahead, rows["topic"], strict=True)
    return [SENTENCES[k].format(s=s, p=p, fix=f, ahead=a, topic=t) for k, s, p, f, a, t in parts]


def _families(rows: pd.DataFrame, items: pd.DataFrame | None) -> pd.Series:
    """The family each row concerns: its item's (subject ``item@location``), or the subject
    itself for a budget gap; None for a resource or where the items give no family."""
    item = rows["subject"].str.split("@").str[0]
    family = pd.Series(None, index=rows.index, dtype=object)
    if items is not None and "family" in items:
        family = item.map(items.drop_duplicates("code").set_index("code")["family"])
        family = family.astype(object).where(family.notna(), None)  # type: ignore[call-overload]
    budget = rows["kind"].isin(["revenue_gap", "margin_gap"])
    return family.where(~budget, rows["subject"])


def _groups(rows: pd.DataFrame, first: pd.Timestamp) -> pd.Series:
    """The decision each row feeds, as ``class|subject|detail``: one per resource for what it
    blocks, one per family for shortfalls, stock and budget; '' for a row that feeds none."""
    item = rows["subject"].str.split("@").str[0]
    family = rows["family"].fillna(item).astype(str)
    kind, resource = rows["kind"], rows["resource"]
    demand = kind.isin(["unmet_demand", "backlog"])
    key = pd.Series("", index=rows.index, dtype=object)
    key = key.mask(kind == "capacity_overload", "resource|" + rows["subject"].astype(str) + "|")
    key = key.mask(demand & resource.notna(), "resource|" + resource.astype(str) + "|")
    key = key.mask(demand & resource.isna(), "short|" + family + "|" + rows["topic"])
    key = key.mask(kind == "launch_at_risk", "launch|" + item + "|")
    opening = pd.Series("safety|", index=rows.index).where(rows["period"] > first, "opening|")
    key = key.mask(kind == "below_safety_stock", opening + family + "|")
    key = key.mask(kind == "above_max_inventory", "excess|" + family + "|")
    key = key.mask(kind.isin(["revenue_gap", "margin_gap"]), "budget|" + family + "|")
    limit = "limit|" + rows["subject"].astype(str) + "|" + rows["topic"]
    key = key.mask(kind == "relaxed_limit", limit)
    return pd.Series(key.where(rows["note"] == "", ""), dtype=object)


def _end_of_horizon(rows: pd.DataFrame, last: pd.Timestamp, months: int) -> pd.Series:
    """Runs below safety stock that start within the last `months` months and reach the end.

    Stock held in the last months protects demand beyond the horizon, which the plan does not
    see, so such a dip is where the horizon stops, not a decision."""
    if months <= 0:
        return pd.Series(False, index=rows.index)
    start = rows["period"].dt.year * 12 + rows["period"].dt.month
    end = last.year * 12 + last.month
    reaches_end = start + rows["periods"] - 1 >= end
    return pd.Series((rows["kind"] == "below_safety_stock") & reaches_end & (start > end - months))


def issue_list(
    *,
    unmet_demand: pd.DataFrame,
    capacity: pd.DataFrame,
    inventory: pd.DataFrame,
    consensus: pd.DataFrame | None = None,
    variance: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    relaxations: pd.DataFrame | None = None,
    overload_threshold: float = 1.0,
    top: int | None = None,
    horizon_end_months: int = 2,
) -> pd.DataFrame:
    """The ranked list of issues for the pre-S&OP meeting, each sized in units and money.

    Returns ``rank, kind, subject, period, periods, units, unit, money, decision, cause``:
    ``period`` is the first month of a run of ``periods`` consecutive months; then ``family``
    (from `items`), ``resource`` and ``resource_kind`` (what blocks the row), ``group`` (the
    decision it feeds, see `meeting_list`) and ``note``: ``end of horizon`` for a shortfall
    under safety stock that starts within the last `horizon_end_months` months and lasts to
    the end (its ``group`` is empty), else ''.

    >>> unmet = pd.DataFrame({"item": ["A"], "location": ["L"], "period": ["2027-03"],
    ...     "backlog": [0.0], "lost_sales": [5.0], "cause": ["capacity"],
    ...     "resource": ["P1"], "shadow_price": [3.0], "detail": [""]})
    >>> cap = pd.DataFrame({"resource": ["P1"], "kind": ["machine"], "period": ["2027-03"],
    ...     "capacity": [100.0], "used": [110.0], "relaxed": [0.0], "shadow_price": [3.0]})
    >>> inv = pd.DataFrame(columns=["item", "location", "period", "projected_on_hand",
    ...                             "safety_stock", "max_inventory"])
    >>> price = pd.DataFrame({"item": ["A"], "location": ["L"], "period": ["2027-03"],
    ...                       "price": [20.0]})
    >>> gaps = issue_list(unmet_demand=unmet, capacity=cap, inventory=inv, consensus=price)
    >>> gaps[["kind", "units", "money"]].values.tolist()
    [['unmet_demand', 5.0, 100.0], ['capacity_overload', 10.0, 30.0]]
    """
    unmet = _checked(unmet_demand, "unmet_demand", UNMET, ["backlog", "lost_sales"])
    cap = _checked(capacity, "capacity", ["resource", "kind", "period"], CAPACITY)
    cap["shadow_price"] = pd.to_numeric(capacity["shadow_price"], errors="coerce").to_numpy()
    stock = _checked(inventory, "inventory", UNMET[:3], ["projected_on_hand", "safety_stock"])
    stock["max_inventory"] = pd.to_numeric(stock.get("max_inventory", np.inf), errors="coerce")
    stock["max_inventory"] = stock["max_inventory"].fillna(np.inf)
    for name, optional in (("unmet_demand", ["backlog_cost"]), ("inventory", COSTS)):
        table = unmet if name == "unmet_demand" else stock
        given = [c for c in optional if c in table]
        table[given] = _checked(table, name, [], given)[given]
    prices = None if consensus is None else _checked(consensus, "consensus", UNMET[:3], ["price"])
    resource_kind = cap.drop_duplicates("resource").set_index("resource")["kind"]
    new = pd.Series(dtype=object) if items is None else _launching(items, unmet["period"].min())
    parts, caused = _demand_issues(unmet, prices, new, resource_kind)
    parts.append(_capacity_issues(cap, overload_threshold, caused))
    parts.extend(_inventory_issues(stock, prices))
    if variance is not None:
        parts.extend(_budget_issues(_checked(variance, "variance", ["family", "period"], BUDGET)))
    if relaxations is not None:
        limits = _checked(relaxations, "relaxations", RELAXED, ["relaxed_by"])
        parts.append(_relaxation_issues(limits))
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DETAIL_COLUMNS})
    issues = pd.concat(parts, ignore_index=True).astype({"units": float, "money": float})
    months = pd.concat([unmet["period"], cap["period"], stock["period"]], ignore_index=True)
    first, last = months.min(), months.max()
    merged = _merge_runs(issues)
    merged["decision"] = _decisions(merged, first)
    merged["family"] = _families(merged, items)
    artefact = _end_of_horizon(merged, last, horizon_end_months)
    merged["note"] = np.where(artefact, END_OF_HORIZON, "")
    merged["group"] = _groups(merged, first)
    order = merged.sort_values(
        ["money", "units", "kind", "subject", "period"], ascending=[False, False, True, True, True]
    )
    order = order.reset_index(drop=True)
    order["rank"] = np.arange(1, len(order) + 1)
    order["periods"] = order["periods"].astype(int)
    order = order[DETAIL_COLUMNS]
    return order.head(top) if top is not None else order

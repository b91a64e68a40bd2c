"""A stored supply plan as a planner reads it on one screen: the plan against demand by month,
resource x month utilisation, and the binding limits in words.

Frames in, frames out, over the frames a supply run stores (`oneplan.engines.pipeline.supply`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.supply.explain import rank_binding

#: The plan's measures summed per month, in the order a planner reads them.
BALANCE_MEASURES = (
    "demand",
    "production",
    "subcontract",
    "end_inventory",
    "safety_stock",
    "backlog",
    "lost_sales",
)
#: What names one limit across its months.
LIMIT_KEYS = ["constraint", "resource", "item", "location"]
UTILISATION_COLUMNS = ["resource", "kind", "period", "capacity", "used", "utilisation"]


def monthly_balance(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan against demand per month: ``period`` and each of `BALANCE_MEASURES` summed over
    items and locations (a measure the plan lacks is 0).

    >>> plan = pd.DataFrame({"period": pd.to_datetime(["2027-01-01"] * 2 + ["2027-02-01"]),
    ...     "demand": [5.0, 5.0, 7.0], "production": [10.0, 0.0, 6.0], "backlog": [0, 0, 1.0]})
    >>> monthly_balance(plan)[["demand", "production", "backlog", "lost_sales"]].values.tolist()
    [[10.0, 10.0, 0.0, 0.0], [7.0, 6.0, 1.0, 0.0]]
    """
    measures = list(BALANCE_MEASURES)
    filled = plan.reindex(columns=["period", *measures]).fillna(dict.fromkeys(measures, 0.0))
    by_month = filled.groupby("period", sort=True)[measures].sum().astype(float)
    return by_month.reset_index()


def utilisation_grid(capacity_plan: pd.DataFrame) -> pd.DataFrame:
    """Hours used over hours available per resource and month, for resources that have
    capacity or use some (``utilisation`` above 1 means the plan needs more than the regular
    capacity: overtime, or a limit that had to give).

    >>> cap = pd.DataFrame({"resource": ["P1", "P1", "IDLE"], "kind": ["machine"] * 3,
    ...     "period": ["2027-01", "2027-02", "2027-01"], "capacity": [100.0, 100.0, 0.0],
    ...     "used": [80.0, 110.0, 0.0], "utilisation": [0.8, 1.1, 0.0]})
    >>> utilisation_grid(cap)["utilisation"].tolist()
    [0.8, 1.1]
    """
    if capacity_plan.empty:
        return pd.DataFrame(columns=UTILISATION_COLUMNS)
    shown = capacity_plan[(capacity_plan["capacity"] > 0) | (capacity_plan["used"] > 1e-6)]
    # a resource used without any capacity has no finite share: show it as fully over
    share = shown["utilisation"].replace([np.inf, -np.inf], np.nan).astype(float)
    shown = shown.assign(utilisation=share)[UTILISATION_COLUMNS]
    return shown.sort_values(["kind", "resource", "period"], ignore_index=True)


def month_label(period: Any) -> str:
    """A month as people say it.

    >>> month_label("2027-06-01")
    'June 2027'
    """
    return f"{pd.Timestamp(period):%B %Y}"


def amount_of_money(value: float, currency: str) -> str:
    """Money in a sentence: whole units from 10 up, cents below.

    >>> amount_of_money(41.23, "EUR"), amount_of_money(0.52, "EUR"), amount_of_money(1234.5, "")
    ('EUR 41', 'EUR 0.52', '1,234')
    """
    shown = f"{abs(value):,.0f}" if abs(value) >= 10 else f"{abs(value):,.2f}"
    return f"{currency} {shown}".strip()


def binding_in_words(
    binding: pd.DataFrame, kinds: pd.Series, currency: str, top: int | None = None
) -> pd.DataFrame:
    """The binding limits (as `binding_frame` ranks them), each with ``words``: what one more
    unit of the limit is worth, in money ("one more hour on P2 in June 2027 is worth EUR 41").
    ``kinds`` maps a resource to its kind (machine, labour, supplier). A price the relaxation
    penalty sets says so instead of claiming a business value.

    >>> rows = pd.DataFrame({"constraint": ["capacity", "safety_stock"],
    ...     "resource": ["P2", None], "item": [None, "A"], "location": [None, "DC"],
    ...     "period": pd.to_datetime(["2027-06-01", "2027-02-01"]),
    ...     "shadow_price": [41.2, -3.5], "degenerate": [False, False]})
    >>> for words in binding_in_words(rows, pd.Series({"P2": "machine"}), "EUR")["words"]:
    ...     print(words)
    One more hour on P2 in June 2027 is worth EUR 41
    One more unit of safety stock for A at DC in February 2027 costs EUR 3.50
    """
    shown = (binding if top is None else binding.head(top)).reset_index(drop=True)
    if shown.empty:
        return shown.assign(words=pd.Series(dtype=object))
    constraint = shown["constraint"].astype(str)
    resource = shown["resource"].astype(object)
    named = resource.map(lambda r: isinstance(r, str)).astype(bool)
    label = resource.where(named, "").astype(str)
    place = shown["item"].astype(str) + " at " + shown["location"].astype(str)
    subject = label.where(named, place)
    supplier = resource.map(kinds).eq("supplier")
    # every limit in whole columns: the words of one row are the same sentence as ever
    what = np.select(
        [
            constraint.eq("capacity") & supplier,
            constraint.eq("capacity"),
            constraint.eq("labour_hours"),
            constraint.eq("overtime_limit"),
        ],
        [
            "unit from supplier " + label,
            "hour on " + label,
            "labour hour of " + label,
            "overtime hour allowed for " + label,
        ],
        default="unit of " + constraint.str.replace("_", " ") + " for " + subject,
    )
    price = shown["shadow_price"].astype(float)
    month = pd.to_datetime(shown["period"]).dt.strftime("%B %Y")
    amount = price.map(lambda value: amount_of_money(value, currency)).astype(str)
    verbs = np.where(price >= 0, "is worth", "costs").tolist()
    # the sentence from its finished columns (joining text is a loop in pandas too)
    words = pd.Series(
        [
            f"One more {w} in {m} {v} {a}"
            for w, m, v, a in zip(
                what.tolist(), month.tolist(), verbs, amount.tolist(), strict=True
            )
        ],
        index=shown.index,
        dtype=object,
    )
    penalty = " (set by the relaxation penalty, not a business value)"
    words = words.where(~shown["degenerate"].astype(bool), words + penalty)
    return shown.assign(words=words.astype(object))


def strongest_limits(binding: pd.DataFrame) -> pd.DataFrame:
    """One row per limit (a resource's capacity, labour or overtime row; a stock limit of one
    item at one location): the month where one more unit is worth most, with ``months``, the
    number of months the limit binds. Ranked as `rank_binding` ranks.

    >>> rows = pd.DataFrame({"constraint": ["capacity"] * 3, "resource": ["P1", "P1", "P2"],
    ...     "item": None, "location": None, "period": ["2027-01", "2027-02", "2027-01"],
    ...     "shadow_price": [3.0, 9.0, 5.0], "capacity": True, "degenerate": False})
    >>> strongest_limits(rows)[["resource", "period", "months"]].values.tolist()
    [['P1', '2027-02', 2], ['P2', '2027-01', 1]]
    """
    if binding.empty:
        return binding.assign(months=pd.Series(dtype=int))
    parts = [binding[c].astype(object).where(binding[c].notna(), "") for c in LIMIT_KEYS]
    key = parts[0].astype(str)
    for part in parts[1:]:
        key = key + "|" + part.astype(str)
    order = binding.assign(
        months=key.map(key.value_counts()).astype(int),
        limit_key=key,
        worth=-binding["shadow_price"].abs(),
        penalty=binding["degenerate"].astype(bool),
    )
    strongest = order.sort_values(["penalty", "worth"], kind="stable").drop_duplicates("limit_key")
    return rank_binding(strongest.drop(columns=["limit_key", "worth", "penalty"]))

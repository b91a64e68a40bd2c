"""The meeting's list: the issues gathered into a few decisions, the small ones left out.

`issue_list` finds every issue, one row per subject and run of months; a meeting decides far
fewer things: add capacity on one resource, expedite one family's stock, close one family's gap
to budget. `meeting_list` gathers the rows by the decision each feeds (their ``group``), sizes
each decision in money, drops those below the materiality threshold and keeps the largest.
The rules are in docs/issues.md.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from oneplan.engines.issues.ranking import COLUMNS, DETAIL_COLUMNS, KINDS
from oneplan.errors import InputError

#: The decisions' columns: those of an issue, then the last month, the rows behind and the
#: subjects they concern (items; families for a budget gap), and the group's key.
DECISION_COLUMNS = [*COLUMNS, "last_period", "rows", "subjects", "group"]
BELOW_MATERIALITY = "below materiality"
BEYOND_TOP = "beyond the meeting's list"
#: Kinds that price the same shortage from two sides: a decision counts the larger, not both.
VIEWS = {
    "capacity_overload": "capacity",
    "unmet_demand": "demand",
    "backlog": "demand",
    "launch_at_risk": "demand",
    "revenue_gap": "revenue",
    "margin_gap": "margin",
}


class MeetingList(NamedTuple):
    """The decisions asked for, ranked, and every issue row with the decision it feeds."""

    decisions: pd.DataFrame
    """`DECISION_COLUMNS`, one row per decision on the meeting's list, largest money first."""
    detail: pd.DataFrame
    """The issue rows with ``decision_rank`` (0: on no decision; ``note`` says why)."""


def _span(first: pd.Series, last: pd.Series) -> list[str]:
    return [
        f"{a:%Y-%m}" if a == b else f"{a:%Y-%m} to {b:%Y-%m}"
        for a, b in zip(first, last, strict=True)
    ]


def _amount(value: float) -> str:
    return f"{value:,.0f}"


SHORT_DECISIONS = {
    "lead time": "expedite {s} supply for {span} or agree later delivery dates",
    "cheaper to lose than to make": "accept the lost sales of {s} or review its price and cost",
    "cheaper to deliver late": "agree later delivery dates for {s} or pay to build ahead",
    "no supply source": "set up a source for {s} or accept the lost sales",
    "no capacity defined": "set up a routing for {s} or accept the lost sales",
}


def _sentences(decisions: pd.DataFrame, first: pd.Timestamp) -> tuple[list[str], list[str]]:
    """The decision asked for and its cause, per decision, in the planner's words."""
    asked, causes = [], []
    for d in decisions.to_dict("records"):
        kind, s, span, detail = d["class"], d["subject"], d["span"], d["detail"]
        count = f"{d['subjects']:,} item" + ("s" if d["subjects"] != 1 else "")
        units = _amount(d["demand_units"])
        ahead = "" if d["period"] <= first else " or build ahead"
        if kind == "resource":
            hours = _amount(d["capacity_units"])
            if d["resource_kind"] == "supplier":
                asked.append(f"expedite supplier {s} for {span} or find a second source")
                over = f"{hours} units over its capacity"
            else:
                asked.append(f"add capacity on {s} for {span} (overtime, a shift){ahead}")
                over = f"{hours} hours over capacity"
            parts = [over] if d["capacity_units"] > 0 else []
            if d["demand_units"] > 0:
                parts.append(f"{units} units of demand short on {count}")
            causes.append("; ".join(parts) or "at its limit")
        elif kind == "short":
            default = "find more supply for {s} or accept the shortfall"
            asked.append(SHORT_DECISIONS.get(detail, default).format(s=s, span=span))
            causes.append(f"{units} units short on {count}: {d['cause']}")
        elif kind == "opening":
            asked.append(f"expedite {s} stock for {d['period']:%Y-%m} or accept lower service")
            causes.append(f"{count} start the plan below safety stock ({d['units_text']})")
        elif kind == "safety":
            asked.append(f"build {s} stock ahead of {d['period']:%Y-%m} or accept lower service")
            causes.append(f"{count} fall below safety stock in {span} ({d['units_text']})")
        elif kind == "excess":
            asked.append(f"cut production of {s} from {d['period']:%Y-%m} or move the stock")
            causes.append(f"{count} above their maximum stock ({d['units_text']})")
        elif kind == "budget":
            asked.append(f"close the {s} gap to budget in {span} (promotion, price) or accept it")
            gaps = f"revenue {_amount(d['revenue_money'])} below budget"
            if d["margin_money"] > 0:
                gaps += f", margin {_amount(d['margin_money'])}"
            causes.append(f"{gaps}; {d['cause']}")
        elif kind == "launch":
            asked.append(f"protect supply for the launch of {s} or move it")
            causes.append(f"{units} units of the launch short in {span}")
        else:  # a relaxed limit
            asked.append(f"raise the {detail} limit on {s} in {span} or change the plan")
            causes.append(d["cause"])
    return asked, causes


def meeting_list(
    issues: pd.DataFrame,
    *,
    materiality: float = 0.0,
    top: int | None = 20,
    plan_start: object | None = None,
) -> MeetingList:
    """Gather `issues` (as `issue_list` returns them) into the decisions of the meeting.

    Rows of one ``group`` are one decision: per resource, what it blocks and its overload; per
    family, its shortfalls with one cause, its stock below safety stock (at the start, or
    later), its stock above the maximum, its gaps to budget; per new item, its launch; per
    broken limit, the limit. A decision's money sums its rows, except that kinds pricing the
    same shortage from two sides (an overload and the demand it leaves short; the revenue and
    the margin gap) count the larger side. Decisions under `materiality` (money in the plan's
    currency) are left off, except broken limits, which have no price; the largest `top` are
    kept (None: all). ``plan_start`` is the plan's first month (default: the first month of
    the rows), before which nothing can be built.

    >>> issues = pd.DataFrame({"kind": ["capacity_overload", "backlog", "backlog"],
    ...     "subject": ["P1", "A@L", "B@L"], "period": pd.to_datetime(["2027-02-01"] * 3),
    ...     "periods": 1, "units": [10.0, 4.0, 2.0], "unit": ["hours over capacity", "units owed",
    ...     "units owed"], "money": [30.0, 40.0, 5.0], "family": [None, "F", "F"],
    ...     "resource": "P1", "resource_kind": "machine", "group": "resource|P1|", "note": "",
    ...     "decision": "", "cause": "", "rank": [1, 2, 3]})
    >>> agenda = meeting_list(issues, plan_start="2027-01")
    >>> agenda.decisions[["subject", "money", "rows"]].values.tolist()
    [['P1', 45.0, 3]]
    >>> agenda.decisions["decision"].item()
    'add capacity on P1 for 2027-02 (overtime, a shift) or build ahead'
    """
    missing = [c for c in DETAIL_COLUMNS if c not in issues and c not in ("rank", "decision")]
    if missing:
        raise InputError(f"is missing (needs {DETAIL_COLUMNS})", table="issues", column=missing[0])
    if materiality < 0 or not np.isfinite(materiality):
        message = f"must be a finite amount of 0 or more, got {materiality}"
        raise InputError(message, table="arguments", column="materiality")
    detail = issues.reset_index(drop=True).copy()
    detail["decision_rank"] = 0
    rows = detail[detail["group"].astype(str) != ""].copy()
    if rows.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})
        return MeetingList(empty, detail)
    first = pd.Timestamp(str(plan_start)) if plan_start is not None else rows["period"].min()
    months = rows["period"].dt.year * 12 + rows["period"].dt.month + rows["periods"] - 1
    rows["end"] = pd.to_datetime(
        {"year": (months - 1) // 12, "month": (months - 1) % 12 + 1, "day": 1}
    )
    rows["view"] = rows["kind"].map(VIEWS).fillna(rows["kind"])
    views = rows.pivot_table(index="group", columns="view", values="money", aggfunc="sum")
    views = views.fillna(0.0)
    # The main kind names the decision's units: the kind with the most money, then KINDS order.
    rows["order"] = rows["kind"].map({k: i for i, k in enumerate(KINDS)})
    kind_money = rows.groupby(["group", "kind"], as_index=False).agg(
        money=("money", "sum"),
        units=("units", "sum"),
        unit=("unit", "first"),
        order=("order", "first"),
    )
    main = kind_money.sort_values(["group", "money", "order"], ascending=[True, False, True])
    main = main.drop_duplicates("group").set_index("group")
    by_group = rows.groupby("group")
    # The items (families, limits) concerned; a resource is the decision's subject, not one.
    subjects = rows[rows["view"] != "capacity"].groupby("group")["subject"].nunique()
    decisions = pd.DataFrame(
        {
            "kind": main["kind"],
            "period": by_group["period"].min(),
            "last_period": by_group["end"].max(),
            "units": main["units"],
            "unit": main["unit"],
            "money": views.max(axis=1),
            "rows": by_group.size(),
            "subjects": subjects.reindex(main.index).fillna(0).astype(int),
            "resource_kind": by_group["resource_kind"].first(),
        }
    )
    for view in ("capacity", "demand"):
        units = rows[rows["view"] == view].groupby("group")["units"].sum()
        decisions[f"{view}_units"] = units.reindex(decisions.index).fillna(0.0)
    for view in ("revenue", "margin"):
        decisions[f"{view}_money"] = views.get(view, 0.0)
    # The cause of the row with the most money stands for the decision's.
    biggest = rows.sort_values("money", ascending=False).drop_duplicates("group")
    decisions["cause"] = biggest.set_index("group")["cause"].reindex(decisions.index)
    parts = decisions.index.to_series().str.split("|", expand=True)
    decisions["class"], decisions["subject"], decisions["detail"] = parts[0], parts[1], parts[2]
    decisions["span"] = _span(decisions["period"], decisions["last_period"])
    decisions["units_text"] = [
        f"{_amount(u)} {unit}"
        for u, unit in zip(decisions["units"], decisions["unit"], strict=True)
    ]
    decisions["decision"], decisions["cause"] = _sentences(decisions, first)
    periods = (decisions["last_period"].dt.year - decisions["period"].dt.year) * 12
    decisions["periods"] = (
        periods + decisions["last_period"].dt.month - decisions["period"].dt.month + 1
    )
    decisions = decisions.rename_axis("group").reset_index()
    decisions = decisions.sort_values(
        ["money", "units", "group"], ascending=[False, False, True], ignore_index=True
    )
    material = (decisions["money"] >= materiality) | (decisions["class"] == "limit")
    kept = decisions[material].head(top) if top is not None else decisions[material]
    kept = kept.reset_index(drop=True)
    kept["rank"] = np.arange(1, len(kept) + 1)
    rank = detail["group"].map(kept.set_index("group")["rank"])
    detail["decision_rank"] = rank.fillna(0).astype(int)
    left_off = (detail["decision_rank"] == 0) & (detail["group"] != "")
    immaterial = detail["group"].isin(decisions.loc[~material, "group"])
    note = pd.Series(BEYOND_TOP, index=detail.index).where(~immaterial, BELOW_MATERIALITY)
    detail["note"] = detail["note"].where(~left_off, note)
    return MeetingList(kept[DECISION_COLUMNS], detail)

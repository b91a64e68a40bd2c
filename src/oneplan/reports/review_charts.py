"""Charts of the pack's review pages: family demand, inventory and service, forecast accuracy
(pure: small frames in, PNG bytes out; columns as `oneplan.reports.views` gives them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.reports.charts import no_data
from oneplan.reports.style import (
    BUDGET_COLOUR,
    DOWN_COLOUR,
    LAST_YEAR_COLOUR,
    PLAN_COLOUR,
    UP_COLOUR,
    figure,
    png,
    short,
    tick,
)


def family_chart(families: pd.DataFrame) -> bytes:
    """Demand per family: last year, budget and plan side by side, the plan bar labelled with
    its change against budget (green ahead, red behind).

    >>> frame = pd.DataFrame({"family": ["A"], "name": ["Hoses"], "plan": [110.0],
    ...     "budget": [100.0], "last_year": [90.0], "vs_budget": [0.1], "vs_last_year": [0.22]})
    >>> family_chart(frame)[:4] == b"\\x89PNG"
    True
    """
    title = "Demand by family: plan against budget and last year (units)"
    rows = families[families["family"] != "total"]
    if not len(rows):
        return no_data(title)
    drawing = figure(8.0, 3.6)
    axes = drawing.add_subplot()
    at = np.arange(len(rows))
    last_year = rows["last_year"].to_numpy(float)
    axes.bar(at - 0.27, np.nan_to_num(last_year), 0.27, label="last year", color=LAST_YEAR_COLOUR)
    axes.bar(
        at, np.nan_to_num(rows["budget"].to_numpy(float)), 0.27, label="budget", color=BUDGET_COLOUR
    )
    bars = axes.bar(at + 0.27, rows["plan"].to_numpy(float), 0.27, label="plan", color=PLAN_COLOUR)
    change = rows["vs_budget"].to_numpy(float)
    labels = [
        short(p) + ("" if not np.isfinite(c) else f"\n{c:+.1%}")
        for p, c in zip(rows["plan"].to_numpy(float), change, strict=True)
    ]
    texts = axes.bar_label(bars, labels=labels, fontsize=8, padding=2)
    for text, c in zip(texts, change, strict=True):
        if np.isfinite(c):
            text.set_color(UP_COLOUR if c >= 0 else DOWN_COLOUR)
    axes.set_xticks(at, [f"{n} ({f})" for f, n in zip(rows["family"], rows["name"], strict=True)])
    axes.yaxis.set_major_formatter(lambda value, _: tick(value))
    axes.margins(y=0.22)
    axes.legend(loc="upper right", frameon=False, ncols=3, fontsize=8)
    axes.set_title(title, fontsize=10)
    return png(drawing)


def service_chart(service: pd.DataFrame, currency: str = "") -> bytes:
    """Stock value by month (bars) and the share served on time (line, right axis).

    >>> frame = pd.DataFrame({"period": pd.to_datetime(["2027-01-01"]), "on_time": [0.98],
    ...     "inventory_value": [1_200_000.0]})
    >>> service_chart(frame)[:4] == b"\\x89PNG"
    True
    """
    title = "Inventory and service by month"
    if not len(service):
        return no_data(title)
    drawing = figure(10.0, 3.4)  # wide: the month table goes below it
    axes = drawing.add_subplot()
    months = pd.to_datetime(service["period"]).dt.strftime("%Y-%m").tolist()
    at = np.arange(len(months))
    value = np.nan_to_num(service["inventory_value"].to_numpy(float))
    axes.bar(at, value, 0.6, color=BUDGET_COLOUR, label=f"stock value ({currency or 'money'})")
    axes.yaxis.set_major_formatter(lambda v, _: tick(v))
    shares = service["on_time"].to_numpy(float)
    right = axes.twinx()
    right.plot(at, shares, "-o", color=PLAN_COLOUR, label="on time")
    low = float(np.nanmin(shares)) if np.isfinite(shares).any() else 0.0
    right.set_ylim(max(0.0, min(low, 0.9) - 0.05), 1.01)
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    step = max(1, len(months) // 12)
    axes.set_xticks(at[::step], months[::step], rotation=45, ha="right")
    handles = axes.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    drawing.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="outside lower center",
        frameon=False,
        ncols=2,
    )
    axes.set_title(title, fontsize=10)
    return png(drawing)

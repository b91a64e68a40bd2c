"""The executive pack's charts: small frames in, PNG bytes out (pure, headless).

Figures are built with matplotlib's object API on the Agg canvas: no pyplot, no global state,
no display, so a chart can be drawn in a web worker or a test. Every chart answers one question
at a glance and says so in its title; an empty frame gives a chart that says "no data".
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PLAN_COLOUR = "#1f5f99"
BUDGET_COLOUR = "#b0b7c0"
UP_COLOUR = "#2e8b57"
DOWN_COLOUR = "#c0392b"
DPI = 110


def _figure(width: float = 8.0, height: float = 4.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _no_data(title: str) -> bytes:
    figure = _figure(6.0, 2.0)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=14, color="grey")
    return _png(figure)


def _short(value: float) -> str:
    """A money or unit figure in three significant digits: 1.27M, 350k, 42.

    >>> [_short(v) for v in (1_270_000.0, -350_400.0, 42.0)]
    ['1.27M', '-350k', '42']
    """
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def kpi_chart(kpis: pd.DataFrame, currency: str = "") -> bytes:
    """Plan against budget for the money KPIs, one pair of bars each.

    kpis: ``measure, plan, budget`` (rows without a budget are left out).

    >>> png = kpi_chart(pd.DataFrame({"measure": ["revenue"], "plan": [120.0], "budget": [100.0]}))
    >>> png[:4] == b"\\x89PNG"
    True
    """
    title = f"Plan against budget ({currency})" if currency else "Plan against budget"
    rows = kpis.dropna(subset=["plan", "budget"])
    if not len(rows):
        return _no_data(title)
    figure = _figure(7.0, 3.6)
    axes = figure.add_subplot()
    at = np.arange(len(rows))
    plan, budget = rows["plan"].to_numpy(float), rows["budget"].to_numpy(float)
    axes.bar(at - 0.2, budget, 0.4, label="budget", color=BUDGET_COLOUR)
    bars = axes.bar(at + 0.2, plan, 0.4, label="plan", color=PLAN_COLOUR)
    change = np.divide(plan - budget, np.abs(budget), out=np.zeros_like(plan), where=budget != 0)
    labels = [f"{_short(p)}\n{c:+.1%}" for p, c in zip(plan, change, strict=True)]
    axes.bar_label(bars, labels=labels, fontsize=8)
    axes.set_xticks(at, rows["measure"].astype(str).tolist())
    axes.yaxis.set_major_formatter(lambda value, _: _short(value))
    axes.margins(y=0.2)
    axes.legend(loc="upper right", frameon=False)
    axes.set_title(title)
    return _png(figure)


def demand_supply_chart(monthly: pd.DataFrame) -> bytes:
    """Consensus demand against what the constrained plan makes and ships, by month (units).

    monthly: ``period, consensus, production, shipped``.
    """
    title = "Demand against constrained supply (units per month)"
    if not len(monthly):
        return _no_data(title)
    figure = _figure(8.0, 3.6)
    axes = figure.add_subplot()
    months = pd.to_datetime(monthly["period"]).dt.strftime("%Y-%m").tolist()
    at = np.arange(len(months))
    axes.bar(
        at, monthly["production"].to_numpy(float), 0.6, color=BUDGET_COLOUR, label="production"
    )
    axes.plot(at, monthly["consensus"].to_numpy(float), "-o", color=PLAN_COLOUR, label="consensus")
    axes.plot(at, monthly["shipped"].to_numpy(float), "--s", color=UP_COLOUR, label="shipped")
    step = max(1, len(months) // 12)  # at most about a dozen month labels
    axes.set_xticks(at[::step], months[::step], rotation=45, ha="right")
    axes.yaxis.set_major_formatter(lambda value, _: _short(value))
    figure.legend(loc="outside lower center", frameon=False, ncols=3)  # off the lines
    axes.set_title(title)
    return _png(figure)


def capacity_heatmap(utilisation: pd.DataFrame) -> bytes:
    """Utilisation of each resource by month, coloured green (slack) to red (full), with the %.

    utilisation: ``resource, period, utilisation`` (a share: 1.0 is full).
    """
    title = "Capacity utilisation by resource and month"
    if not len(utilisation):
        return _no_data(title)
    grid = utilisation.assign(month=pd.to_datetime(utilisation["period"]).dt.strftime("%Y-%m"))
    table = grid.pivot_table(index="resource", columns="month", values="utilisation", aggfunc="max")
    values = table.to_numpy(float)
    height = 1.8 + 0.4 * len(table.index)
    figure = _figure(max(6.0, 0.55 * len(table.columns) + 2.0), height)
    axes = figure.add_subplot()
    image = axes.imshow(values, cmap="RdYlGn_r", vmin=0.0, vmax=1.1, aspect="auto")
    rows, columns = np.nonzero(np.isfinite(values))
    for row, column in zip(rows, columns, strict=True):
        share = values[row, column]
        ink = "white" if share < 0.15 or share > 0.95 else "black"  # readable on dark cells
        axes.text(
            float(column),
            float(row),
            f"{share:.0%}",
            ha="center",
            va="center",
            fontsize=7,
            color=ink,
        )
    axes.set_xticks(np.arange(len(table.columns)), table.columns.tolist(), rotation=45, ha="right")
    axes.set_yticks(np.arange(len(table.index)), [str(r) for r in table.index])
    figure.colorbar(image, ax=axes, format=lambda value, _: f"{value:.0%}")
    axes.set_title(title)
    return _png(figure)


def bridge_chart(steps: pd.DataFrame, currency: str = "", measure: str = "revenue") -> bytes:
    """The waterfall from budget to plan: budget, the effects that move it, plan.

    steps: ``step, value, cumulative`` with the first row the budget and the last the plan.
    """
    title = f"{measure.capitalize()} bridge, budget to plan" + (
        f" ({currency})" if currency else ""
    )
    if not len(steps):
        return _no_data(title)
    values = steps["value"].to_numpy(float)
    cumulative = steps["cumulative"].to_numpy(float)
    totals = np.zeros(len(steps), dtype=bool)
    totals[[0, -1]] = True
    bottoms = np.where(totals, 0.0, cumulative - values)
    colours = np.where(totals, PLAN_COLOUR, np.where(values >= 0, UP_COLOUR, DOWN_COLOUR))
    figure = _figure(7.0, 3.6)
    axes = figure.add_subplot()
    at = np.arange(len(steps))
    bars = axes.bar(at, values, 0.6, bottom=bottoms, color=colours.tolist())
    # totals inside their tall bars; effects beside theirs, where a thin bar still shows them
    inside = [_short(v) if t else "" for v, t in zip(values, totals, strict=True)]
    beside = ["" if t else f"{v:+,.0f}" for v, t in zip(values, totals, strict=True)]
    axes.bar_label(bars, labels=inside, fontsize=8, label_type="center", color="white")
    axes.bar_label(bars, labels=beside, fontsize=8, padding=2)
    axes.set_xticks(at, steps["step"].astype(str).tolist())
    axes.yaxis.set_major_formatter(lambda value, _: _short(value))
    low = float(np.min(np.r_[bottoms, bottoms + values]))
    high = float(np.max(np.r_[bottoms, bottoms + values]))
    pad = 0.1 * (high - low or abs(high) or 1.0)
    axes.set_ylim(min(0.0, low - pad) if low < 0 else max(0.0, low - 3 * pad), high + pad)
    axes.set_title(title)
    return _png(figure)


def issues_chart(issues: pd.DataFrame, currency: str = "", top: int = 10) -> bytes:
    """The largest issues to decide, by money at stake (largest on top).

    issues: ``rank, kind, subject, money``.
    """
    title = f"Top {top} issues by money at stake" + (f" ({currency})" if currency else "")
    rows = issues.sort_values("rank").head(top)
    if not len(rows):
        return _no_data(title)
    money = pd.to_numeric(rows["money"], errors="coerce").fillna(0.0).abs().to_numpy(float)
    labels = [
        f"{rank}. {str(kind).replace('_', ' ')}: {subject}"[:48]
        for rank, kind, subject in zip(rows["rank"], rows["kind"], rows["subject"], strict=True)
    ]
    figure = _figure(8.0, 1.0 + 0.4 * len(rows))
    axes = figure.add_subplot()
    at = np.arange(len(rows))
    bars = axes.barh(at, money, 0.6, color=DOWN_COLOUR)
    axes.bar_label(bars, labels=[_short(m) for m in money], fontsize=8, padding=3)
    axes.set_yticks(at, labels, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(lambda value, _: _short(value))
    axes.margins(x=0.15)
    axes.set_title(title)
    return _png(figure)


def scenario_chart(scenarios: pd.DataFrame, currency: str = "") -> bytes:
    """Total cost and on-time service of the base plan and each scenario, side by side.

    scenarios: ``kpi`` then a column per plan (``base`` first), with the rows ``total cost``
    and ``service level on time`` (a share); other rows are ignored.

    >>> frame = pd.DataFrame({"kpi": ["total cost", "service level on time"],
    ...     "base": [100.0, 0.9], "second shift": [120.0, 0.97]})
    >>> scenario_chart(frame)[:4] == b"\\x89PNG"
    True
    """
    title = "Scenarios: total cost and service level"
    table = scenarios.set_index("kpi") if "kpi" in scenarios else scenarios
    wanted = ["total cost", "service level on time"]
    if not len(table.columns) or not table.index.isin(wanted).any():
        return _no_data(title)
    figures = table.reindex(wanted).apply(pd.to_numeric, errors="coerce").astype(float)
    plans = [str(c) for c in figures.columns]
    colours = [BUDGET_COLOUR if p == "base" else PLAN_COLOUR for p in plans]
    figure = _figure(max(7.0, 1.1 * len(plans) + 3.0), 3.6)
    cost_axes, service_axes = figure.subplots(1, 2)
    at = np.arange(len(plans))
    cost = figures.loc["total cost"].to_numpy(float)
    service = figures.loc["service level on time"].to_numpy(float)
    bars = cost_axes.bar(at, np.nan_to_num(cost), 0.6, color=colours)
    cost_axes.bar_label(bars, labels=["-" if np.isnan(c) else _short(c) for c in cost], fontsize=8)
    cost_axes.yaxis.set_major_formatter(lambda value, _: _short(value))
    cost_axes.set_title("Total cost" + (f" ({currency})" if currency else ""), fontsize=10)
    bars = service_axes.bar(at, np.nan_to_num(service), 0.6, color=colours)
    service_labels = ["-" if np.isnan(s) else f"{s:.1%}" for s in service]
    service_axes.bar_label(bars, labels=service_labels, fontsize=8)
    service_axes.set_ylim(0.0, 1.1)
    service_axes.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    service_axes.set_title("Service level on time", fontsize=10)
    for axes in (cost_axes, service_axes):
        axes.set_xticks(at, [p[:18] for p in plans], rotation=20, ha="right", fontsize=8)
        axes.margins(y=0.15)
    figure.suptitle(title)
    return _png(figure)

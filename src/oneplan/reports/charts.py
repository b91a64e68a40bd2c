"""The executive pack's charts: small frames in, PNG bytes out (pure, headless).

Figures are built with matplotlib's object API on the Agg canvas: no pyplot, no global state,
no display, so a chart can be drawn in a web worker or a test. Every chart answers one question
at a glance and says so in its title; an empty frame gives a chart that says "no data".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.reports.style import (
    BUDGET_COLOUR,
    DOWN_COLOUR,
    LOAD_COLOURS,
    LOAD_TOP,
    PLAN_COLOUR,
    UP_COLOUR,
    figure,
    png,
    short,
    signed_short,
    tick,
)


def no_data(title: str) -> bytes:
    drawing = figure(6.0, 2.0)
    axes = drawing.add_subplot()
    axes.set_axis_off()
    axes.set_title(title)
    axes.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=14, color="grey")
    return png(drawing)


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
        return no_data(title)
    drawing = figure(6.0, 4.4)  # beside the KPI table on the first page
    axes = drawing.add_subplot()
    at = np.arange(len(rows))
    plan, budget = rows["plan"].to_numpy(float), rows["budget"].to_numpy(float)
    axes.bar(at - 0.2, budget, 0.4, label="budget", color=BUDGET_COLOUR)
    bars = axes.bar(at + 0.2, plan, 0.4, label="plan", color=PLAN_COLOUR)
    change = np.divide(plan - budget, np.abs(budget), out=np.zeros_like(plan), where=budget != 0)
    labels = [f"{short(p)}\n{c:+.1%}" for p, c in zip(plan, change, strict=True)]
    texts = axes.bar_label(bars, labels=labels, fontsize=10, padding=2)
    for text, moved in zip(texts, change, strict=True):  # green ahead of budget, red behind
        text.set_color(UP_COLOUR if moved >= 0 else DOWN_COLOUR)
    axes.set_xticks(at, rows["measure"].astype(str).tolist())
    axes.yaxis.set_major_formatter(lambda value, _: tick(value))
    axes.margins(y=0.2)
    axes.legend(loc="upper right", frameon=False)
    axes.set_title(title)
    return png(drawing)


def demand_supply_chart(monthly: pd.DataFrame) -> bytes:
    """Consensus demand against what the constrained plan makes and ships, by month (units).

    monthly: ``period, consensus, production, shipped``.
    """
    title = "Demand against constrained supply (units per month)"
    if not len(monthly):
        return no_data(title)
    drawing = figure(8.0, 3.6)
    axes = drawing.add_subplot()
    months = pd.to_datetime(monthly["period"]).dt.strftime("%Y-%m").tolist()
    at = np.arange(len(months))
    axes.bar(
        at, monthly["production"].to_numpy(float), 0.6, color=BUDGET_COLOUR, label="production"
    )
    axes.plot(at, monthly["consensus"].to_numpy(float), "-o", color=PLAN_COLOUR, label="consensus")
    axes.plot(at, monthly["shipped"].to_numpy(float), "--s", color=UP_COLOUR, label="shipped")
    step = max(1, len(months) // 12)  # at most about a dozen month labels
    axes.set_xticks(at[::step], months[::step], rotation=45, ha="right")
    axes.yaxis.set_major_formatter(lambda value, _: tick(value))
    drawing.legend(loc="outside lower center", frameon=False, ncols=3)  # off the lines
    axes.set_title(title)
    return png(drawing)


def capacity_heatmap(utilisation: pd.DataFrame) -> bytes:
    """Utilisation of each resource by month, pale (slack) through amber to red (full), with the %.

    utilisation: ``resource, period, utilisation`` (a share: 1.0 is full).
    """
    title = "Capacity utilisation by resource and month (used / regular capacity)"
    if not len(utilisation):
        return no_data(title)
    grid = utilisation.assign(month=pd.to_datetime(utilisation["period"]).dt.strftime("%Y-%m"))
    table = grid.pivot_table(index="resource", columns="month", values="utilisation", aggfunc="max")
    values = table.to_numpy(float)
    drawing = figure(max(8.0, 0.62 * len(table.columns) + 2.4), 1.5 + 0.45 * len(table.index))
    axes = drawing.add_subplot()
    image = axes.imshow(values, cmap=LOAD_COLOURS, vmin=0.0, vmax=LOAD_TOP, aspect="auto")
    rows, columns = np.nonzero(np.isfinite(values))
    for row, column in zip(rows, columns, strict=True):
        share = values[row, column]
        axes.text(
            float(column),
            float(row),
            f"{share:.0%}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if share >= 0.97 else "black",  # white only on the deep red
        )
    axes.set_xticks(np.arange(len(table.columns)), table.columns.tolist(), rotation=45, ha="right")
    axes.set_yticks(np.arange(len(table.index)), [str(r) for r in table.index], fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    drawing.colorbar(image, ax=axes, format=lambda value, _: f"{value:.0%}", shrink=0.8)
    axes.set_title(title, fontsize=10)
    return png(drawing)


def bridge_chart(steps: pd.DataFrame, currency: str = "", measure: str = "revenue") -> bytes:
    """The waterfall from budget to plan: budget, the effects that move it, plan.

    steps: ``step, value, cumulative`` with the first row the budget and the last the plan.
    The value axis starts near the lowest level, not at zero (the totals are drawn from the
    axis floor and say so), and an effect too small to see keeps a visible sliver, so every
    step has a bar.
    """
    title = f"{measure.capitalize()} bridge, budget to plan" + (
        f" ({currency})" if currency else ""
    )
    if not len(steps):
        return no_data(title)
    values = steps["value"].to_numpy(float)
    cumulative = steps["cumulative"].to_numpy(float)
    totals = np.zeros(len(steps), dtype=bool)
    totals[[0, -1]] = True
    starts = np.where(totals, 0.0, cumulative - values)
    levels = np.r_[cumulative, starts[~totals]]
    low, high = float(levels.min()), float(levels.max())
    span = high - low or abs(high) or 1.0
    floor = low - 0.6 * span if low > 0 else min(0.0, low - 0.1 * span)
    if floor < 0 < low:
        floor = 0.0
    sliver = 0.006 * (high - floor)  # the thinnest bar still seen on the page
    heights = np.where(totals, cumulative - floor, values)
    heights = np.where(~totals & (np.abs(heights) < sliver), np.copysign(sliver, values), heights)
    bottoms = np.where(totals, floor, starts)
    colours = np.where(totals, PLAN_COLOUR, np.where(values >= 0, UP_COLOUR, DOWN_COLOUR))
    drawing = figure(8.0, 3.8)
    axes = drawing.add_subplot()
    at = np.arange(len(steps))
    bars = axes.bar(at, heights, 0.6, bottom=bottoms, color=colours.tolist())
    for left in at[:-1]:  # a thin line carries each level to the next bar
        axes.plot([left + 0.3, left + 0.7], [cumulative[left]] * 2, color="#888888", lw=0.8)
    labels = [short(v) if t else signed_short(v) for v, t in zip(values, totals, strict=True)]
    axes.bar_label(bars, labels=labels, fontsize=9, padding=2)
    axes.set_xticks(at, steps["step"].astype(str).tolist())
    axes.yaxis.set_major_formatter(lambda value, _: tick(value))
    axes.set_ylim(floor, high + 0.15 * (high - floor))
    if floor > 0:
        axes.set_ylabel(f"axis starts at {short(floor)}", fontsize=8, color="grey")
    axes.set_title(title)
    return png(drawing)


def _clip(text: str, most: int) -> str:
    """At most ``most`` characters, cut at a word and marked with an ellipsis.

    >>> _clip("below safety stock: Wardrobe organiser 3 drawers", 30)
    'below safety stock: Wardrobe…'
    """
    if len(text) <= most:
        return text
    cut = text[: most - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",:;") + "…"


def issues_chart(issues: pd.DataFrame, currency: str = "", top: int = 10) -> bytes:
    """The largest issues to decide, by money at stake (largest on top).

    issues: ``rank, kind, subject, money`` and, when given, ``label`` (the subject by name).
    """
    title = f"Top {top} issues by money at stake" + (f" ({currency})" if currency else "")
    rows = issues.sort_values("rank").head(top)
    if not len(rows):
        return no_data(title)
    money = pd.to_numeric(rows["money"], errors="coerce").fillna(0.0).abs().to_numpy(float)
    names = rows["label"] if "label" in rows else rows["subject"]
    labels = [
        _clip(f"{rank}. {str(kind).replace('_', ' ')}: {name}", 58)
        for rank, kind, name in zip(rows["rank"], rows["kind"], names, strict=True)
    ]
    drawing = figure(9.0, 1.0 + 0.42 * len(rows))
    axes = drawing.add_subplot()
    at = np.arange(len(rows))
    bars = axes.barh(at, money, 0.6, color=DOWN_COLOUR)
    axes.bar_label(bars, labels=[short(m) for m in money], fontsize=9, padding=3)
    axes.set_yticks(at, labels, fontsize=9)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(lambda value, _: tick(value))
    axes.margins(x=0.15)
    axes.set_title(title)
    return png(drawing)


def change_colours(change: np.ndarray, *, more_is_better: bool) -> list[str]:
    """A bar colour per plan's change against the first (the base, grey): green where the plan
    is better off, red where worse, grey where unchanged.

    >>> change_colours(np.array([0.0, 5.0, -2.0, 0.0]), more_is_better=True) == [
    ...     BUDGET_COLOUR, UP_COLOUR, DOWN_COLOUR, BUDGET_COLOUR]
    True
    >>> change_colours(np.array([0.0, 5.0]), more_is_better=False)[1] == DOWN_COLOUR
    True
    """
    better = change > 0 if more_is_better else change < 0
    return [
        BUDGET_COLOUR if i == 0 or c == 0 else (UP_COLOUR if up else DOWN_COLOUR)
        for i, (c, up) in enumerate(zip(change, better, strict=True))
    ]


def scenario_chart(scenarios: pd.DataFrame, currency: str = "") -> bytes:
    """Gross margin (else total cost) against the base plan and on-time service of each
    scenario, side by side.

    scenarios: ``kpi`` then a column per plan (``base`` first), with the rows ``gross margin``
    or ``total cost``, and ``service level on time`` (a share); other rows are ignored. The
    money panel shows each plan's change against the base, so 13.6 M and 13.9 M do not look
    alike, green where the plan is better off and red where worse: more margin is better, more
    cost is worse. Margin comes first because cost rises with every unit sold, so a scenario
    that sells more would look bad on cost alone.

    >>> frame = pd.DataFrame({"kpi": ["total cost", "service level on time"],
    ...     "base": [100.0, 0.9], "second shift": [120.0, 0.97]})
    >>> scenario_chart(frame)[:4] == b"\\x89PNG"
    True
    """
    table = scenarios.set_index("kpi") if "kpi" in scenarios else scenarios
    figures = table.reindex(["gross margin", "total cost", "service level on time"])
    figures = figures.apply(pd.to_numeric, errors="coerce").astype(float)
    money = "gross margin" if figures.loc["gross margin"].notna().any() else "total cost"
    title = f"Scenarios: {money} and service level"
    if not len(table.columns) or figures.isna().all().all():
        return no_data(title)
    plans = [str(c) for c in figures.columns]
    colours = [BUDGET_COLOUR if p == "base" else PLAN_COLOUR for p in plans]
    drawing = figure(max(8.0, 1.2 * len(plans) + 4.0), 3.8)
    cost_axes, service_axes = drawing.subplots(1, 2)
    at = np.arange(len(plans))
    cost = figures.loc[money].to_numpy(float)
    service = figures.loc["service level on time"].to_numpy(float)
    base = cost[0] if np.isfinite(cost[0]) else 0.0
    change = np.nan_to_num(cost - base)
    colours_of_change = change_colours(change, more_is_better=money == "gross margin")
    bars = cost_axes.bar(at, change, 0.6, color=colours_of_change)
    cost_labels = [
        "-" if np.isnan(c) else (short(c) if i == 0 else f"{short(c)}\n({signed_short(d)})")
        for i, (c, d) in enumerate(zip(cost, change, strict=True))
    ]
    cost_axes.bar_label(bars, labels=cost_labels, fontsize=8, padding=2)
    cost_axes.axhline(0.0, color="#555555", lw=0.8)
    cost_axes.yaxis.set_major_formatter(
        lambda value, _: tick(value) if value <= 0 else f"+{tick(value)}"
    )
    cost_axes.set_title(
        f"{money.capitalize()}, change against base" + (f" ({currency})" if currency else ""),
        fontsize=10,
    )
    bars = service_axes.bar(at, np.nan_to_num(service), 0.6, color=colours)
    service_labels = ["-" if np.isnan(s) else f"{s:.1%}" for s in service]
    service_axes.bar_label(bars, labels=service_labels, fontsize=8)
    finite = service[np.isfinite(service)]
    floor = max(0.0, float(finite.min()) - 0.1) if len(finite) else 0.0
    service_axes.set_ylim(floor, 1.02)
    service_axes.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    service_axes.set_title(f"Service level on time (axis from {floor:.0%})", fontsize=10)
    for axes in (cost_axes, service_axes):
        axes.set_xticks(at, [p[:18] for p in plans], rotation=20, ha="right", fontsize=8)
        axes.margins(y=0.25)
    drawing.suptitle(title)
    return png(drawing)

"""The pack's trend page: each KPI over the closed cycles, one small chart per KPI (pure: the
trend frame of `oneplan.engines.kpi.trend` in, PNG bytes out)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.kpi.trend import KPI_LABELS
from oneplan.reports.charts import no_data
from oneplan.reports.style import (
    BUDGET_COLOUR,
    PLAN_COLOUR,
    figure,
    png,
    tick,
)

#: The panels, in reading order: (KPI, the lines it draws as (layer, lag, label)).
PANELS: tuple[tuple[str, tuple[tuple[str, int | None, str], ...]], ...] = (
    (
        "forecast_wape",
        (
            ("statistical", 1, "stat. lag 1"),
            ("consensus", 1, "cons. lag 1"),
            ("statistical", 3, "stat. lag 3"),
            ("consensus", 3, "cons. lag 3"),
        ),
    ),
    (
        "forecast_bias",
        (
            ("statistical", 1, "stat. lag 1"),
            ("consensus", 1, "cons. lag 1"),
            ("statistical", 3, "stat. lag 3"),
            ("consensus", 3, "cons. lag 3"),
        ),
    ),
    (
        "value_added",
        (
            ("statistical", 1, "stat. over naive, lag 1"),
            ("consensus", 1, "cons. over stat., lag 1"),
            ("consensus", 3, "cons. over stat., lag 3"),
        ),
    ),
    ("value_added_by_author", ()),  # one line per author, at lag 1
    ("on_time_delivery", (("", None, ""),)),
    ("production_adherence", (("", None, ""),)),
    ("capacity_utilisation", (("", None, ""),)),
    ("inventory_turns", (("", None, ""),)),
    ("days_of_supply", (("", None, ""),)),
    ("gross_margin_vs_budget", (("", None, ""),)),
    ("working_capital", (("", None, ""),)),
    ("sop_cycle_time", (("", None, ""),)),
)
#: Panel titles where the table's short name would not say enough on its own.
TITLES = {
    "forecast_wape": "forecast error (WAPE)",
    "forecast_bias": "forecast bias (+: too high)",
    "value_added_by_author": "value added by author, lag 1",
    "production_adherence": "production plan adherence",
}
LINE_COLOURS = (PLAN_COLOUR, "#e07b39", "#7fa7cf", "#f2b487", "#6b8e23", "#8e44ad")
SHARES = ("share",)


def _series(trend: pd.DataFrame, kpi: str, layer: str, lag: int | None) -> pd.DataFrame:
    rows = trend[(trend["kpi"] == kpi) & (trend["layer"] == layer)]
    rows = rows[rows["lag"].isna()] if lag is None else rows[rows["lag"] == lag]
    return rows


def _lines(
    trend: pd.DataFrame, kpi: str, wanted: tuple[tuple[str, int | None, str], ...]
) -> list[tuple[str, pd.DataFrame]]:
    if kpi == "value_added_by_author":
        authors = sorted(set(trend.loc[trend["kpi"] == kpi, "layer"]))
        wanted = tuple((author, 1, author) for author in authors)
    return [(label, _series(trend, kpi, layer, lag)) for layer, lag, label in wanted]


def trend_chart(trend: pd.DataFrame, currency: str = "") -> bytes:
    """Small multiples: a panel per KPI with its value in each closed cycle. Shares in %,
    money in the plan's currency; a dashed line is the released plan's own figure (the data
    package holds no actual for it); a gap is a figure not measured yet.

    >>> trend = pd.DataFrame({"cycle": ["2026-07", "2026-08"], "kpi": "sop_cycle_time",
    ...     "layer": "", "lag": pd.array([None, None], dtype="Int64"), "value": [23.1, 20.1],
    ...     "unit": "days", "basis": "record", "note": ""})
    >>> trend_chart(trend)[:4] == b"\\x89PNG"
    True
    """
    title = "KPIs cycle over cycle: each released plan against what happened"
    if not len(trend):
        return no_data(title)
    cycles = sorted(set(trend["cycle"]))
    at = {cycle: i for i, cycle in enumerate(cycles)}
    shown = [(kpi, lines) for kpi, lines in PANELS if (trend["kpi"] == kpi).any()]
    columns = 4
    rows = -(-len(shown) // columns)
    drawing = figure(11.0, 2.0 * rows + 0.6)
    grid = drawing.subplots(rows, columns, squeeze=False)
    for axes in grid.flat[len(shown) :]:
        axes.set_axis_off()
    for axes, (kpi, wanted) in zip(grid.flat, shown, strict=False):
        unit = str(trend.loc[trend["kpi"] == kpi, "unit"].iloc[0])
        planned = False
        for number, (label, series) in enumerate(_lines(trend, kpi, wanted)):
            x = series["cycle"].map(at).to_numpy(int)
            y = series["value"].to_numpy(float)
            plan = (series["basis"] == "plan").any()
            planned |= bool(plan)
            axes.plot(
                x,
                y,
                "--o" if plan else "-o",
                color=LINE_COLOURS[number % 6],
                label=label or None,
                markersize=3,
                linewidth=1.4,
            )
            if not label and np.isfinite(y).any():  # one line: its last value, written
                last = int(np.flatnonzero(np.isfinite(y))[-1])
                axes.annotate(
                    _text(y[last], unit, currency),
                    (x[last], y[last]),
                    fontsize=7,
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                )
        if kpi in (
            "forecast_bias",
            "value_added",
            "value_added_by_author",
            "gross_margin_vs_budget",
        ):
            axes.axhline(0.0, color=BUDGET_COLOUR, linewidth=0.8)
        name = TITLES.get(kpi, KPI_LABELS[kpi]) + (" (plan)" if planned else "")
        if unit not in SHARES:
            name += f", {currency if unit == 'currency' else unit}"
        axes.set_title(name, fontsize=8.5)
        axes.set_xticks(range(len(cycles)), cycles, fontsize=7)
        axes.set_xlim(-0.4, len(cycles) - 0.6)
        axes.margins(y=0.25)
        axes.tick_params(axis="y", labelsize=7)
        _y_axis(axes, unit)
        if any(label for label, _ in _lines(trend, kpi, wanted)):
            axes.legend(fontsize=6, frameon=False, loc="best")
    drawing.suptitle(title, fontsize=10)
    return png(drawing)


def _y_axis(axes: Any, unit: str) -> None:
    """Four ticks at most, with a decimal when the panel's range is narrow (93.4 % and 93.8 %
    must not both read 93 %)."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(nbins=4))
    values = np.concatenate([line.get_ydata() for line in axes.get_lines()] or [[0.0]])
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    span = float(values.max() - values.min()) if len(values) else 0.0
    narrow = span < (0.08 if unit in SHARES else 10.0)
    if unit in SHARES:
        axes.yaxis.set_major_formatter(lambda v, _: f"{v:.{1 if narrow else 0}%}")
    elif narrow:
        axes.yaxis.set_major_formatter(lambda v, _: f"{v:.1f}")
    else:
        axes.yaxis.set_major_formatter(lambda v, _: tick(v))


def _text(value: float, unit: str, currency: str) -> str:
    if unit in SHARES:
        return f"{value:.1%}"
    if unit == "currency" or unit == currency:
        return tick(value)
    return f"{value:.1f}"

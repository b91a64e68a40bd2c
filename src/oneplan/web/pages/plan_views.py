"""What the supply and finance pages draw alike: time-phased grids (measures down, months
across, as planning tools lay them out), ECharts options for a plan by month, a utilisation
heatmap and a waterfall, and headline figures.

>>> periods = pd.to_datetime(["2027-01-01", "2027-02-01"])
>>> frame = pd.DataFrame({"period": periods, "demand": [1.0, 2.0]})
>>> time_phased(frame, {"demand": "Demand"}).to_dict("records")
[{'measure': 'Demand', '2027-01': 1.0, '2027-02': 2.0}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from nicegui import ui

from oneplan.web.grid import NUMBER_FORMATS, data_grid

#: Numbers in a chart's tooltip and axis: thousands separators, no decimals.
WHOLE = "v => v == null ? '' : Math.round(v).toLocaleString('en-US')"


def period_label(period: Any, grain: str = "month") -> str:
    """A period as its column heading.

    >>> period_label("2027-04-01"), period_label("2027-04-01", "quarter")
    ('2027-04', '2027-Q2')
    """
    stamp = pd.Timestamp(period)
    if grain == "quarter":
        return f"{stamp.year}-Q{stamp.quarter}"
    return str(stamp.year) if grain == "year" else f"{stamp:%Y-%m}"


def time_phased(
    frame: pd.DataFrame, measures: Mapping[str, str], grain: str = "month"
) -> pd.DataFrame:
    """``frame`` (a ``period`` column and one column per measure) turned so that each measure
    is a row (titled as ``measures`` says) and each period a column."""
    rows = frame.sort_values("period")
    labels = [period_label(p, grain) for p in rows["period"]]
    body = rows[list(measures)].T.set_axis(labels, axis=1)
    body.insert(0, "measure", [measures[name] for name in body.index])
    return body.reset_index(drop=True)


def phased_grid(
    frame: pd.DataFrame,
    *,
    name: str,
    kind: str = "units",
    by_row: Mapping[str, str] | None = None,
    corner: str = "",
) -> ui.aggrid:
    """A time-phased grid: every period column in ``kind``, except the rows ``by_row`` names
    (measure title -> kind), e.g. a margin % row among money rows; ``corner`` heads the
    measures (the unit or currency of the numbers)."""
    periods = [c for c in frame.columns if c != "measure"]
    grid = data_grid(
        frame,
        name=name,
        formats=dict.fromkeys(periods, kind),
        titles={"measure": corner},
        pinned=["measure"],
        height="h-auto",
    )
    grid.options["domLayout"] = "autoHeight"
    grid.options["defaultColDef"] = {"flex": 1, "minWidth": 96}
    if by_row:
        kinds = json.dumps(dict(by_row))
        default = NUMBER_FORMATS[kind]
        choices = " : ".join(
            f"kind === '{k}' ? ({NUMBER_FORMATS[k]})" for k in sorted(set(by_row.values()))
        )
        formatter = (
            f"params => {{ const value = params.value; const kind = ({kinds})[params.data.measure];"
            f" return {choices} : ({default}); }}"
        )
        for column in grid.options["columnDefs"]:
            if column["field"] in periods:
                column[":valueFormatter"] = formatter
    for column in grid.options["columnDefs"]:
        column["filter"] = False  # a few measures: nothing to filter
        if column["field"] == "measure":
            column |= {"minWidth": 190, "cellClass": "font-medium"}
    grid.update()
    return grid


def by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its date columns as months (2027-06), as a grid shows them."""
    shown = frame.copy()
    for name in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[name]):
            shown[name] = shown[name].dt.strftime("%Y-%m")
    return shown


def widen(grid: ui.aggrid, **flex: int) -> ui.aggrid:
    """Give the named columns more of the grid's width (AG Grid's ``flex``)."""
    for column in grid.options["columnDefs"]:
        if column["field"] in flex:
            column |= {"flex": flex[column["field"]], "tooltipField": column["field"]}
    grid.update()
    return grid


def figure(label: str, value: str, testid: str = "", *, tone: str = "") -> None:
    """One headline figure: a small caption over a large number."""
    with ui.column().classes("gap-0 min-w-32"):
        ui.label(label).classes("text-xs text-gray-500 uppercase")
        shown = ui.label(value).classes(f"text-lg font-semibold op-num {tone}")
        if testid:
            shown.props(f'data-testid="{testid}"').mark(testid)


def heatmap(grid: pd.DataFrame, *, testid: str, value: str = "utilisation") -> ui.echart:
    """Resource x month shares as coloured cells: green while there is room, yellow near full,
    orange to red over 100 %; each cell says its share in %, its tooltip the hours."""
    resources = list(dict.fromkeys(grid["resource"]))
    months = sorted({period_label(p) for p in grid["period"]})
    cells = [
        {
            "value": [
                months.index(period_label(row.period)),
                resources.index(row.resource),
                None if pd.isna(getattr(row, value)) else round(100 * getattr(row, value), 1),
            ],
            "tip": f"{row.resource} ({row.kind}), {period_label(row.period)}: "
            f"{row.used:,.0f} of {row.capacity:,.0f} hours",
        }
        for row in grid.itertuples(index=False)
    ]
    options = {
        "grid": {"left": 90, "right": 20, "top": 10, "bottom": 70},
        "tooltip": {":formatter": "p => p.data.tip + ' (' + p.data.value[2] + ' %)'"},
        "xAxis": {"type": "category", "data": months, "splitArea": {"show": True}},
        "yAxis": {"type": "category", "data": resources, "inverse": True},
        "visualMap": {
            "type": "piecewise",
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "dimension": 2,
            "pieces": [
                {"lt": 70, "color": "#1a9850", "label": "under 70 %"},
                {"gte": 70, "lt": 90, "color": "#91cf60", "label": "70 to 90 %"},
                {"gte": 90, "lte": 100, "color": "#fee08b", "label": "90 to 100 %"},
                {"gt": 100, "lte": 110, "color": "#fc8d59", "label": "100 to 110 %"},
                {"gt": 110, "color": "#d73027", "label": "over 110 %"},
            ],
        },
        "series": [
            {
                "name": "utilisation",
                "type": "heatmap",
                "data": cells,
                "label": {
                    "show": True,
                    "fontSize": 10,
                    ":formatter": "p => p.data.value[2] == null ? '' : Math.round(p.data.value[2])",
                },
            }
        ],
    }
    height = 90 + 26 * len(resources)
    chart = ui.echart(options).classes("w-full").style(f"height: {height}px")
    return chart.props(f'data-testid="{testid}"').mark(testid)


def axis_floor(steps: pd.DataFrame) -> float:
    """Where a bridge's value axis starts: low enough to show the totals as bars, high enough
    that a step of a few percent is visible (starting at 0 would flatten every step).

    >>> axis_floor(pd.DataFrame({"value": [100.0, -10.0, 96.0], "cumulative": [100.0, 90, 96]}))
    80.0
    """
    ends = steps["cumulative"].astype(float)
    position = np.arange(len(steps))
    inner = (position > 0) & (position < len(steps) - 1)  # the first and last are totals
    starts = ends - np.where(inner, steps["value"].astype(float), 0.0)
    low, high = min(ends.min(), starts.min()), max(ends.max(), starts.max())
    floor = low - max(high - low, 0.05 * abs(high))
    if floor <= 0 or len(steps) == 0:
        return 0.0
    # a round start (a whole power of ten of the steps' size), so the axis ticks are round
    scale = 10 ** int(np.ceil(np.log10(max(high - low, 1.0))))
    return float(np.floor(floor / scale) * scale)


def waterfall(steps: pd.DataFrame, *, currency: str, testid: str) -> ui.echart:
    """A bridge (``step, value, cumulative``; first and last rows the totals) as a waterfall:
    an invisible base bar lifts each step to where the running total stood."""
    labels = [str(s).replace("_", " ").capitalize() for s in steps["step"]]
    base: list[float] = []
    rise: list[float | str] = []
    fall: list[float | str] = []
    total: list[float | str] = []
    last = len(steps) - 1
    row: Any
    for i, row in enumerate(steps.itertuples(index=False)):
        value, end = float(row.value), float(row.cumulative)
        if i in (0, last):
            base.append(0.0)
            total.append(round(end))
            rise.append("-")
            fall.append("-")
            continue
        start = end - value
        base.append(round(min(start, end)))
        total.append("-")
        rise.append(round(value) if value >= 0 else "-")
        fall.append(round(-value) if value < 0 else "-")
    money, down = (
        f"v => (v === '-' || v == null) ? '' : '{currency} {sign}' + "
        "Math.round(v).toLocaleString('en-US')"
        for sign in ("", "-")
    )
    label = {
        "show": True,
        "position": "top",
        "fontSize": 10,
        ":formatter": "p => p.value === '-' ? '' : Math.round(p.value).toLocaleString('en-US')",
    }
    # a decrease is drawn as a positive height: its label and tooltip give the sign back
    minus = {
        **label,
        ":formatter": "p => p.value === '-' ? '' : "
        "'-' + Math.round(p.value).toLocaleString('en-US')",
    }
    bar = {"type": "bar", "stack": "bridge", "barMaxWidth": 60}
    options = {
        "grid": {"left": 100, "right": 20, "top": 30, "bottom": 30},
        "tooltip": {"trigger": "axis", ":valueFormatter": money},
        "legend": {"data": ["Total", "Increase", "Decrease"], "top": 0},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "min": axis_floor(steps), "axisLabel": {":formatter": WHOLE}},
        "series": [
            {
                **bar,
                "name": "base",
                "data": base,
                "itemStyle": {"color": "transparent"},
                "emphasis": {"disabled": True},
                "tooltip": {"show": False},
            },
            {
                **bar,
                "name": "Total",
                "data": total,
                "itemStyle": {"color": "#475569"},
                "label": label,
            },
            {
                **bar,
                "name": "Increase",
                "data": rise,
                "itemStyle": {"color": "#16a34a"},
                "label": label,
            },
            {
                **bar,
                "name": "Decrease",
                "data": fall,
                "itemStyle": {"color": "#dc2626"},
                "label": minus,
                "tooltip": {":valueFormatter": down},
            },
        ],
    }
    chart = ui.echart(options).classes("w-full h-72")
    return chart.props(f'data-testid="{testid}"').mark(testid)

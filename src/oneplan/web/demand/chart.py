"""The node's chart: sales history, the statistical forecast with its prediction bands, the
change each layer makes (bars) and the consensus, month by month (ECharts options)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oneplan.services.demand.nodes import NodePlan

#: Months of history shown before the plan: enough for two seasons.
HISTORY_MONTHS = 36


def _rounded(values: list[float | None]) -> list[float | None]:
    return [None if v is None else round(float(v), 1) for v in values]


def chart_options(plan: NodePlan) -> dict[str, Any]:
    """ECharts options for ``plan``: one category axis from history to the plan's end."""
    history = plan.history.tail(HISTORY_MONTHS)
    past = [f"{pd.Timestamp(p):%Y-%m}" for p in history["period"]]
    months = past + plan.months
    blank_past: list[float | None] = [None] * len(past)

    def row(layer: str) -> list[float | None]:
        chosen = plan.layers[plan.layers["layer"] == layer]
        values: list[float | None] = [float(v) for v in chosen[plan.months].to_numpy()[0]]
        return blank_past + values

    series: list[dict[str, Any]] = [
        {
            "name": "Sales history",
            "type": "line",
            "data": _rounded([*history["quantity"].tolist(), *[None] * len(plan.months)]),
            "symbol": "none",
            "lineStyle": {"color": "#334155", "width": 2},
            "itemStyle": {"color": "#334155"},
        }
    ]
    band = plan.band.set_index("period") if len(plan.band) else None
    for coverage, opacity in (("95", 0.12), ("80", 0.22)):
        if band is None or f"lo_{coverage}" not in band.columns:
            continue
        low = band[f"lo_{coverage}"].tolist()
        width = (band[f"hi_{coverage}"] - band[f"lo_{coverage}"]).tolist()
        stack = f"band {coverage}"
        series += [
            {
                "name": f"{coverage}% interval",
                "type": "line",
                "stack": stack,
                "data": _rounded(blank_past + low),
                "symbol": "none",
                "lineStyle": {"opacity": 0},
                "itemStyle": {"color": "#93c5fd"},
                "tooltip": {"show": False},
            },
            {
                "name": f"{coverage}% interval",
                "type": "line",
                "stack": stack,
                "data": _rounded(blank_past + width),
                "symbol": "none",
                "lineStyle": {"opacity": 0},
                "itemStyle": {"color": "#93c5fd"},
                "areaStyle": {"color": "#3b82f6", "opacity": opacity},
                "tooltip": {"show": False},
            },
        ]
    series.append(
        {
            "name": "Statistical forecast",
            "type": "line",
            "data": _rounded(row("statistical")),
            "symbol": "none",
            "lineStyle": {"type": "dashed", "color": "#2563eb"},
            "itemStyle": {"color": "#2563eb"},
        }
    )
    for layer, title in zip(plan.layers["layer"], plan.layers["title"], strict=True):
        if layer in ("statistical", "consensus", "consensus_value"):
            continue
        values = row(str(layer))
        if not any(values[len(past) :]):
            continue  # a layer that changes nothing here is noise on the chart
        series.append(
            {"name": str(title), "type": "bar", "data": _rounded(values), "barMaxWidth": 14}
        )
    series.append(
        {
            "name": "Consensus",
            "type": "line",
            "data": _rounded(row("consensus")),
            "symbol": "circle",
            "symbolSize": 5,
            "lineStyle": {"width": 3, "color": "#16a34a"},
            "itemStyle": {"color": "#16a34a"},
        }
    )
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 60, "right": 20, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": "units"},
        "series": series,
    }

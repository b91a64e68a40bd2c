"""Each chart is a PNG of a sensible size, also from an empty frame."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import pytest
from PIL import Image

from oneplan.reports import charts

MONTHS = pd.date_range("2027-01-01", periods=14, freq="MS")


def _size(png: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.size


CASES: dict[str, tuple[Callable[[pd.DataFrame], bytes], pd.DataFrame]] = {
    "kpis": (
        charts.kpi_chart,
        pd.DataFrame(
            {"measure": ["revenue", "margin"], "plan": [1.2e6, 3e5], "budget": [1e6, 4e5]}
        ),
    ),
    "demand_supply": (
        charts.demand_supply_chart,
        pd.DataFrame(
            {"period": MONTHS, "consensus": 100.0, "production": 90.0, "shipped": range(14)}
        ),
    ),
    "capacity": (
        charts.capacity_heatmap,
        pd.DataFrame(
            {
                "resource": ["PRESS"] * 14 + ["OVEN"] * 14,
                "period": list(MONTHS) * 2,
                "utilisation": [1.0] * 14 + [0.4] * 13 + [float("nan")],
            }
        ),
    ),
    "bridge": (
        charts.bridge_chart,
        pd.DataFrame(
            {
                "step": ["budget", "volume", "mix", "price", "plan"],
                "value": [1000.0, 200.0, -50.0, 120.0, 1270.0],
                "cumulative": [1000.0, 1200.0, 1150.0, 1270.0, 1270.0],
            }
        ),
    ),
    "scenarios": (
        charts.scenario_chart,
        pd.DataFrame(
            {
                "kpi": ["total cost", "service level on time", "top bottleneck"],
                "base": [91_250.0, 0.9125, "PRESS 2027-02"],
                "second shift": [104_800.0, 0.9871, ""],
                "press down in March": [97_300.0, None, "PRESS 2027-03"],
            }
        ),
    ),
    "issues": (
        charts.issues_chart,
        pd.DataFrame(
            {
                "rank": range(1, 13),
                "kind": "unmet_demand",
                "subject": [f"item {k}" for k in range(12)],
                "money": [1000.0 / k for k in range(1, 13)],
            }
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_is_a_png_and_empty_input_says_no_data(name: str) -> None:
    draw, frame = CASES[name]
    width, height = _size(draw(frame))
    assert 500 < width < 2000 and 150 < height < 1500
    empty = _size(draw(frame.iloc[0:0]))
    assert empty == (660, 220)  # the small "no data" figure


def test_heatmap_and_issues_grow_with_their_rows() -> None:
    _, frame = CASES["capacity"]
    one = _size(charts.capacity_heatmap(frame[frame["resource"] == "PRESS"]))
    two = _size(charts.capacity_heatmap(frame))
    assert two[1] > one[1]
    _, issues = CASES["issues"]
    assert _size(charts.issues_chart(issues, top=3))[1] < _size(charts.issues_chart(issues))[1]


def test_scenario_chart_widens_with_each_scenario() -> None:
    _, frame = CASES["scenarios"]
    base_only = _size(charts.scenario_chart(frame[["kpi", "base"]]))
    more = frame.assign(**{f"scenario {k}": frame["second shift"] for k in range(6)})
    assert _size(charts.scenario_chart(more))[0] > base_only[0]
    no_figures = frame[frame["kpi"] == "top bottleneck"]
    assert _size(charts.scenario_chart(no_figures)) == (660, 220)


def test_the_scenario_chart_shows_margin_when_the_comparison_has_it() -> None:
    """A scenario that sells more costs more: on margin it is green, not red."""
    frame = pd.DataFrame(
        {
            "kpi": ["total cost", "gross margin", "service level on time"],
            "base": [14.3e6, 10.7e6, 0.995],
            "demand +10%": [15.8e6, 11.8e6, 0.994],
        }
    )
    margin_only = frame[frame["kpi"] != "total cost"]
    assert charts.scenario_chart(frame) == charts.scenario_chart(margin_only)
    assert charts.scenario_chart(frame) != charts.scenario_chart(
        frame[frame["kpi"] != "gross margin"]
    )

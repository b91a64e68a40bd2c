"""Demand events: which cells they touch, cleaning past uplift, adding future uplift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand.events import apply_uplift, clean_history, expand_events
from oneplan.errors import InputError

ITEMS = pd.DataFrame({"code": ["A", "B", "C"], "family": ["F1", "F1", "F2"]})
LOCATIONS = pd.DataFrame({"code": ["L1", "L2"]})
PAST = pd.date_range("2025-01-01", periods=24, freq="MS")
FUTURE = pd.date_range("2027-01-01", periods=6, freq="MS")


def event(**fields) -> pd.DataFrame:
    row = {
        "code": "E1",
        "kind": "promotion",
        "start_period": "2027-02-01",
        "end_period": "2027-03-01",
    }
    row.update(fields)
    return pd.DataFrame([row])


def test_family_event_touches_every_item_and_location():
    cells = expand_events(event(family="F1", uplift_pct=10.0), ITEMS, LOCATIONS, FUTURE)
    assert set(cells["unique_id"]) == {"A|L1", "A|L2", "B|L1", "B|L2"}
    assert sorted(cells["ds"].unique()) == list(FUTURE[1:3])
    assert len(cells) == 4 * 2


def test_item_event_at_one_location_and_window_clipped_to_periods():
    events = event(item="C", location="L2", uplift_quantity=50.0, end_period="2027-12")
    cells = expand_events(events, ITEMS, LOCATIONS, FUTURE)
    assert set(cells["unique_id"]) == {"C|L2"}
    assert sorted(cells["ds"]) == list(FUTURE[1:])
    assert cells["uplift_quantity"].eq(50.0).all() and cells["uplift_pct"].isna().all()


@pytest.mark.parametrize(
    ("fields", "column", "message"),
    [
        ({"item": "A", "family": "F1", "uplift_pct": 5.0}, None, "exactly one of item, family"),
        (
            {"item": "A", "uplift_pct": 5.0, "uplift_quantity": 3.0},
            None,
            "exactly one of uplift_pct",
        ),
        ({"item": "A", "location": "L9", "uplift_pct": 5.0}, "location", "is not in locations"),
        ({"item": "Z", "uplift_pct": 5.0}, "item", "is not in items"),
        ({"item": "A", "uplift_pct": 5.0, "kind": "sale"}, "kind", "must be one of"),
        (
            {"item": "A", "uplift_pct": 5.0, "start_period": "2027-05-01"},
            "start_period",
            "is after end_period",
        ),
    ],
)
def test_bad_events_are_reported(fields, column, message):
    with pytest.raises(InputError, match=f"{message}.* \\(event 'E1'\\)$") as error:
        expand_events(event(**fields), ITEMS, LOCATIONS, FUTURE)
    assert (error.value.table, error.value.row, error.value.column) == ("demand_events", 0, column)


def history_with_promotions() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    t = np.arange(len(PAST), dtype=float)
    trend = 100 + 2 * t  # A|L1: a clean trend
    flat = np.full(len(PAST), 80.0)  # B|L1: a flat level
    spiked_trend, spiked_flat = trend.copy(), flat.copy()
    spiked_trend[10] += 150  # a one-month promotion
    spiked_flat[[15, 16]] += [60, 90]  # a two-month promotion
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": "A|L1", "ds": PAST, "y": spiked_trend}),
            pd.DataFrame({"unique_id": "B|L1", "ds": PAST, "y": spiked_flat}),
            pd.DataFrame({"unique_id": "C|L1", "ds": PAST, "y": flat + 5}),
        ],
        ignore_index=True,
    )
    return history, trend, flat


def past_events() -> pd.DataFrame:
    events = pd.DataFrame(
        {
            "code": ["P1", "P2"],
            "kind": ["promotion", "one_time_event"],
            "item": ["A", "B"],
            "location": ["L1", "L1"],
            "start_period": [PAST[10], PAST[15]],
            "end_period": [PAST[10], PAST[16]],
            "uplift_pct": [30.0, 50.0],
        }
    )
    return expand_events(events, ITEMS, LOCATIONS, PAST)


def unmeasured(cells: pd.DataFrame) -> pd.DataFrame:
    """Event cells whose uplift nobody measured: only where and when they ran."""
    return cells.drop(columns=["uplift_pct", "uplift_quantity"])


def test_cleaning_without_a_known_uplift_uses_the_neighbours():
    history, trend, flat = history_with_promotions()
    result = clean_history(history, unmeasured(past_events()))
    cleaned = result.history.set_index(["unique_id", "ds"])["y"]
    np.testing.assert_allclose(cleaned.loc["A|L1"], trend)
    np.testing.assert_allclose(cleaned.loc["B|L1"], flat)
    np.testing.assert_allclose(cleaned.loc["C|L1"], flat + 5)
    changes = result.changes
    assert len(changes) == 3
    assert set(zip(changes["unique_id"], changes["ds"], strict=True)) == {
        ("A|L1", PAST[10]),
        ("B|L1", PAST[15]),
        ("B|L1", PAST[16]),
    }
    assert changes.loc[changes["unique_id"] == "A|L1", "y"].item() == pytest.approx(trend[10] + 150)
    assert set(changes["method"]) == {"neighbour_median"}
    assert set(changes["events"]) == {"P1", "P2"}


def test_cleaning_falls_back_to_the_series_median():
    history, _, _ = history_with_promotions()
    events = pd.DataFrame(
        {"code": ["P3"], "kind": ["promotion"], "item": ["B"], "location": ["L1"],
         "start_period": [PAST[14]], "end_period": [PAST[18]], "uplift_pct": [10.0]}
    )  # fmt: skip
    cells = unmeasured(expand_events(events, ITEMS, LOCATIONS, PAST))
    result = clean_history(history, cells, window=1)
    middle = result.changes.set_index("ds").loc[PAST[16]]
    assert middle["method"] == "series_median"
    assert middle["y_cleaned"] == pytest.approx(80.0)


def test_a_known_percent_uplift_is_divided_out_not_replaced():
    history, trend, flat = history_with_promotions()
    # A|L1 month 10 sold trend + 150: a +125 % promotion; B|L1 months 15-16 sold 80 + 60, 80 + 90.
    history.loc[(history["unique_id"] == "A|L1") & (history["ds"] == PAST[10]), "y"] = (
        trend[10] * 2.25
    )
    history.loc[(history["unique_id"] == "B|L1") & history["ds"].isin(PAST[15:17]), "y"] = [
        flat[15] * 1.5,
        flat[16] * 1.5,
    ]
    events = pd.DataFrame(
        {
            "code": ["P1", "P2"],
            "kind": ["promotion", "one_time_event"],
            "item": ["A", "B"],
            "location": ["L1", "L1"],
            "start_period": [PAST[10], PAST[15]],
            "end_period": [PAST[10], PAST[16]],
            "uplift_pct": [125.0, 50.0],
        }
    )
    result = clean_history(history, expand_events(events, ITEMS, LOCATIONS, PAST))
    cleaned = result.history.set_index(["unique_id", "ds"])["y"]
    np.testing.assert_allclose(cleaned.loc["A|L1"], trend)
    np.testing.assert_allclose(cleaned.loc["B|L1"], flat)
    assert set(result.changes["method"]) == {"known_uplift"}
    np.testing.assert_allclose(result.changes["y_cleaned"] * (1 + np.array([1.25, 0.5, 0.5])),
                               result.changes["y"])  # fmt: skip


def test_a_seasonal_peak_keeps_its_season_when_the_uplift_is_known():
    # A spring peak with a +15 % campaign on top: the neighbours' median would flatten the
    # season (the April-May cells are far above March and June); dividing out keeps it.
    season = np.tile([40, 40, 60, 150, 200, 120, 80, 60, 40, 40, 40, 40], 2).astype(float)
    history = pd.DataFrame({"unique_id": "A|L1", "ds": PAST, "y": season.copy()})
    history.loc[history["ds"].isin(PAST[15:17]), "y"] *= 1.15
    events = event(family="F1", location="L1", uplift_pct=15.0,
                   start_period=PAST[15], end_period=PAST[16])  # fmt: skip
    cells = expand_events(events, ITEMS, LOCATIONS, PAST)
    known = clean_history(history, cells).history["y"].to_numpy()
    np.testing.assert_allclose(known, season)
    median = clean_history(history, unmeasured(cells)).history["y"].to_numpy()
    assert median[15] < 0.7 * season[15]  # what the neighbour median made of the peak


def test_overlapping_percent_events_add_up_and_a_quantity_is_split_by_sales():
    history = pd.DataFrame(
        {
            "unique_id": ["A|L1", "A|L2", "B|L1"],
            "ds": [PAST[3]] * 3,
            "y": [130.0, 390.0, 150.0],
        }
    )
    events = pd.DataFrame(
        {
            "code": ["P1", "P2", "O1"],
            "kind": ["promotion", "promotion", "one_time_event"],
            "item": ["A", "A", "B"],
            "location": [None, "L1", "L1"],
            "start_period": [PAST[3]] * 3,
            "end_period": [PAST[3]] * 3,
            "uplift_pct": [10.0, 20.0, None],
            "uplift_quantity": [None, None, 50.0],
        }
    )
    cells = expand_events(events, ITEMS, LOCATIONS, PAST)
    result = clean_history(history, cells)
    # A|L1: P1 and P2 (+30 %), A|L2: P1 only (+10 %), B|L1: 50 units less.
    np.testing.assert_allclose(result.history["y"], [100.0, 390.0 / 1.1, 100.0])
    assert set(result.changes["method"]) == {"known_uplift"}


def test_a_row_with_one_unmeasured_event_falls_back_to_the_neighbours():
    history, _, _ = history_with_promotions()
    known = past_events()
    spike = known[known["unique_id"] == "A|L1"].assign(event="P9", uplift_pct=np.nan)
    result = clean_history(history, pd.concat([known, spike], ignore_index=True))
    changes = result.changes.set_index("unique_id")
    assert changes.loc["A|L1", "method"] == "neighbour_median"
    assert changes.loc["A|L1", "events"] == "P1,P9"
    assert set(changes.loc["B|L1", "method"]) == {"known_uplift"}


def test_an_uplift_of_minus_100_percent_cannot_be_divided_out():
    history, _, _ = history_with_promotions()
    events = event(item="A", location="L1", uplift_pct=-100.0,
                   start_period=PAST[10], end_period=PAST[10])  # fmt: skip
    result = clean_history(history, expand_events(events, ITEMS, LOCATIONS, PAST))
    assert result.changes["method"].tolist() == ["neighbour_median"]


def baseline() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(["A|L1", "A|L2", "B|L1", "B|L2", "C|L1"], len(FUTURE)),
            "ds": np.tile(FUTURE, 5),
            "forecast": np.repeat([10.0, 30.0, 60.0, 0.0, 20.0], len(FUTURE)),
        }
    )
    frame["forecast-lo-80"] = frame["forecast"] * 0.9
    frame["forecast-hi-80"] = frame["forecast"] * 1.1
    return frame


def test_percent_uplift_only_in_the_event_window():
    cells = expand_events(event(item="C", uplift_pct=25.0), ITEMS, LOCATIONS, FUTURE)
    result = apply_uplift(baseline(), cells)
    plan = result.plan.set_index(["unique_id", "ds"])
    in_window = plan.index.get_level_values("ds").isin(FUTURE[1:3]) & (
        plan.index.get_level_values("unique_id") == "C|L1"
    )
    np.testing.assert_allclose(plan.loc[in_window, "event_uplift"], 5.0)
    np.testing.assert_allclose(plan.loc[in_window, "forecast"], 25.0)
    np.testing.assert_allclose(plan.loc[in_window, "forecast-hi-80"], 27.0)
    assert (plan.loc[~in_window, "event_uplift"] == 0).all()
    unchanged = baseline().set_index(["unique_id", "ds"]).loc[plan.index[~in_window], "forecast"]
    np.testing.assert_allclose(plan.loc[~in_window, "forecast"], unchanged)
    # C|L2 is touched by the event but has no baseline row: it is left out.
    assert set(result.contributions["unique_id"]) == {"C|L1"}


def test_family_units_split_by_baseline():
    cells = expand_events(event(family="F1", uplift_quantity=100.0), ITEMS, LOCATIONS, FUTURE)
    result = apply_uplift(baseline(), cells)
    feb = result.plan[result.plan["ds"] == FUTURE[1]].set_index("unique_id")["event_uplift"]
    # F1's baseline in February: A|L1 10, A|L2 30, B|L1 60, B|L2 0 -> shares of 100 units.
    np.testing.assert_allclose(feb[["A|L1", "A|L2", "B|L1", "B|L2", "C|L1"]], [10, 30, 60, 0, 0])
    per_month = result.contributions.groupby("ds")["uplift"].sum()
    np.testing.assert_allclose(per_month, 100.0)
    assert list(per_month.index) == list(FUTURE[1:3])


def test_units_on_a_zero_baseline_split_evenly():
    cells = expand_events(
        event(item="B", location="L2", uplift_quantity=40.0), ITEMS, LOCATIONS, FUTURE
    )
    both = pd.concat(
        [
            cells,
            expand_events(event(code="E2", family="F2", uplift_pct=10.0), ITEMS, LOCATIONS, FUTURE),
        ]
    )
    result = apply_uplift(baseline(), both)
    b = result.plan[result.plan["unique_id"] == "B|L2"].set_index("ds")["event_uplift"]
    np.testing.assert_allclose(b.loc[FUTURE[1:3]], 40.0)
    assert result.contributions.groupby("event")["uplift"].sum().to_dict() == pytest.approx(
        {"E1": 80.0, "E2": 4.0}
    )

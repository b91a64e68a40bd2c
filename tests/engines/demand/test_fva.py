"""Accuracy by lag and forecast value added on small cases worked out by hand.

Two cycles (2027-01, 2027-02), items A and B of family F at location L, sales known for 2027-02
and 2027-03 (2027-04 not yet). Lag 1 has four points: (cycle 01, Feb) and (cycle 02, Mar) for A
and B, with actuals 10, 10, 20, 5 (sum 45). Errors per point, forecast minus actual:

- naive        8, 14 | 10, 10  -> -2, +4, -10, +5   sum |e| 21
- statistical  9, 12 | 16,  6  -> -1, +2,  -4, +1   sum |e|  8
- consensus   12, 10 | 20,  8  -> +2,  0,   0, +3   sum |e|  5

The consensus is the statistical forecast plus two authors' changes on separate cells: ann moves
B in cycle 01 from 12 to 10 and A in cycle 02 from 16 to 20 (both onto the actual: helpful); bob
moves A in cycle 01 from 9 to 12 and B in cycle 02 from 6 to 8 (both away from it: harmful).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand.fva import (
    FVA_COLUMNS,
    accuracy_by_lag,
    forecast_value_added,
    naive_snapshot,
)
from oneplan.errors import InputError

PLANS = {  # (cycle, period): {layer: (A, B)}
    ("2027-01", "2027-02"): {"naive": (8, 14), "statistical": (9, 12), "consensus": (12, 10)},
    ("2027-01", "2027-04"): {"naive": (8, 14), "statistical": (9, 12), "consensus": (9, 12)},
    ("2027-02", "2027-03"): {"naive": (10, 10), "statistical": (16, 6), "consensus": (20, 8)},
}
SALES = {"2027-02": (10, 10), "2027-03": (20, 5)}


def _snapshots(family: bool = True) -> pd.DataFrame:
    rows = [
        (cycle, item, "L", period, layer, float(values[i]))
        for (cycle, period), layers in PLANS.items()
        for layer, values in layers.items()
        for i, item in enumerate("AB")
    ]
    frame = pd.DataFrame(rows, columns=["cycle", "item", "location", "period", "layer", "quantity"])
    return frame.assign(family="F") if family else frame


def _actuals() -> pd.DataFrame:
    rows = [
        (item, "L", f"{period}-01", float(values[i]))
        for period, values in SALES.items()
        for i, item in enumerate("AB")
    ]
    return pd.DataFrame(rows, columns=["item", "location", "period", "quantity"])


def _contributions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cycle": ["2027-01", "2027-02", "2027-01", "2027-02"],
            "item": ["B", "A", "A", "B"],
            "location": "L",
            "period": ["2027-02", "2027-03", "2027-02", "2027-03"],
            "author": ["ann", "ann", "bob", "bob"],
            "change": [-2.0, 4.0, 3.0, 2.0],
        }
    )


def _row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


def test_item_level_wape_bias_and_mape_per_layer() -> None:
    table = accuracy_by_lag(_snapshots(), _actuals())
    expected = {  # layer: (sum |e|, sum e, mean |e| / a)
        "naive": (21, -3, (0.2 + 0.4 + 0.5 + 1.0) / 4),
        "statistical": (8, -2, (0.1 + 0.2 + 0.2 + 0.2) / 4),
        "consensus": (5, 5, (0.2 + 0.0 + 0.0 + 0.6) / 4),
    }
    for layer, (abs_error, error, mape) in expected.items():
        row = _row(table, level="item", layer=layer, lag=1)
        assert row["wape"] == pytest.approx(abs_error / 45)
        assert row["bias"] == pytest.approx(error / 45)
        assert row["mape"] == pytest.approx(mape)
        assert (row["points"], row["actual"], row["pending"]) == (4, 45.0, 0)


def test_family_and_total_are_measured_on_sums() -> None:
    table = accuracy_by_lag(_snapshots(), _actuals())
    # family F per (cycle, month): actual 20 and 25; consensus 22 and 28; statistical 21 and 22
    for level in ("family", "total"):
        assert _row(table, level=level, layer="consensus", lag=1)["wape"] == pytest.approx(5 / 45)
        assert _row(table, level=level, layer="statistical", lag=1)["wape"] == pytest.approx(4 / 45)
        assert _row(table, level=level, layer="naive", lag=1)["points"] == 2
    no_family = accuracy_by_lag(_snapshots(family=False), _actuals())
    assert set(no_family["level"]) == {"item", "total"}


def test_months_without_sales_yet_are_left_out_and_counted() -> None:
    table = accuracy_by_lag(_snapshots(), _actuals(), lags=(1, 3))
    waiting = table[table["lag"] == 3]
    assert len(waiting) == 9  # three layers x three levels
    assert (waiting["pending"] == 2).all() and (waiting["points"] == 0).all()
    assert waiting["wape"].isna().all()
    lag_two = accuracy_by_lag(_snapshots(), _actuals(), lags=(2,))
    assert lag_two.empty  # no plan row sits at lag 2


def test_forecast_value_added_per_layer_and_author() -> None:
    added = forecast_value_added(_snapshots(), _actuals(), contributions=_contributions())
    assert list(added.columns) == FVA_COLUMNS
    item = added[(added["level"] == "item") & (added["lag"] == 1)]
    statistical = _row(item, kind="layer", layer="statistical")
    assert statistical["compared_with"] == "naive"
    assert statistical["value_added"] == pytest.approx((21 - 8) / 45)
    consensus = _row(item, kind="layer", layer="consensus")
    assert consensus["value_added"] == pytest.approx((8 - 5) / 45)
    assert consensus["error_change"] == pytest.approx(-consensus["value_added"])
    # without ann: 12, 12, 16, 8 -> |e| 2, 2, 4, 3; without bob: 9, 10, 20, 6 -> 1, 0, 0, 1
    ann = _row(item, kind="author", layer="ann")
    assert ann["compared_with"] == "consensus without ann"
    assert ann["error_before"] == pytest.approx(11 / 45)
    assert ann["value_added"] == pytest.approx(6 / 45) and ann["value_added"] > 0
    bob = _row(item, kind="author", layer="bob")
    assert bob["value_added"] == pytest.approx(-3 / 45) and bob["value_added"] < 0
    # at family level the overrides net out worse than the statistical forecast
    family = added[(added["level"] == "family") & (added["lag"] == 1)]
    assert _row(family, kind="layer", layer="consensus")["value_added"] == pytest.approx(-1 / 45)


def test_value_added_chains_from_naive_to_consensus() -> None:
    """Invariant: the steps' value added sums to naive error minus consensus error."""
    added = forecast_value_added(_snapshots(), _actuals(), lags=(1,), metric="mape")
    table = accuracy_by_lag(_snapshots(), _actuals(), lags=(1,))
    for level in ("item", "family", "total"):
        steps = added[(added["level"] == level) & (added["kind"] == "layer")]
        errors = table[table["level"] == level].set_index("layer")["mape"]
        total = steps["value_added"].sum()
        assert total == pytest.approx(errors["naive"] - errors["consensus"])
    with pytest.raises(InputError, match="must be 'wape' or 'mape', got 'rmse'") as error:
        forecast_value_added(_snapshots(), _actuals(), metric="rmse")
    assert (error.value.table, error.value.column) == ("arguments", "metric")


def test_sales_no_layer_planned_count_as_missed_demand() -> None:
    extra = pd.DataFrame(
        {"item": ["C"], "location": ["L"], "period": ["2027-03-15"], "quantity": [15.0]}
    )
    table = accuracy_by_lag(_snapshots(family=False), pd.concat([_actuals(), extra]), lags=(1,))
    row = _row(table, level="item", layer="consensus", lag=1)
    assert row["wape"] == pytest.approx((5 + 15) / 60)
    assert row["points"] == 5


def test_bad_frames_name_the_column() -> None:
    with pytest.raises(InputError, match=r"^snapshots, column layer: is missing") as error:
        accuracy_by_lag(_snapshots().drop(columns="layer"), _actuals())
    assert (error.value.table, error.value.column) == ("snapshots", "layer")
    bad = _actuals().assign(period="someday")
    with pytest.raises(
        InputError, match=r"^actuals, row 0, column period: holds 'someday'"
    ) as error:
        accuracy_by_lag(_snapshots(), bad)
    assert (error.value.table, error.value.row, error.value.column) == ("actuals", 0, "period")
    empty = _actuals().assign(period=[None, *_actuals()["period"][1:]])
    with pytest.raises(InputError, match=r"^actuals, row 0, column period: has 1 empty") as error:
        accuracy_by_lag(_snapshots(), empty)
    assert (error.value.table, error.value.row, error.value.column) == ("actuals", 0, "period")
    with pytest.raises(InputError, match="needs a 'consensus' layer") as error:
        snaps = _snapshots()
        forecast_value_added(
            snaps[snaps["layer"] != "consensus"], _actuals(), contributions=_contributions()
        )
    assert (error.value.table, error.value.column) == ("snapshots", "layer")


def _history() -> pd.DataFrame:
    months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    a = pd.DataFrame({"item": "A", "period": months, "quantity": np.arange(1.0, 25.0)})
    # B starts in 2026-06, sells 5 then nothing until 2026-09 (7), and nothing after
    b = pd.DataFrame(
        {"item": "B", "period": pd.to_datetime(["2026-06-01", "2026-09-01"]), "quantity": [5, 7.0]}
    )
    return pd.concat([a, b], ignore_index=True).assign(location="L")


def test_naive_snapshot_repeats_last_season_per_cycle() -> None:
    naive = naive_snapshot(_history(), ["2027-01", "2026-07"], horizon=14)
    a = naive[naive["item"] == "A"].set_index(["cycle", "period"])["quantity"]
    january = pd.Timestamp("2027-01-01")
    # A's value in month m of 2025 is m, of 2026 is 12 + m
    assert a[(january, pd.Timestamp("2027-01-01"))] == 13.0  # Jan 2026
    assert a[(january, pd.Timestamp("2027-12-01"))] == 24.0  # Dec 2026
    assert a[(january, pd.Timestamp("2028-01-01"))] == 13.0  # two seasons back: Jan 2026
    july = pd.Timestamp("2026-07-01")
    assert a[(july, pd.Timestamp("2026-07-01"))] == 7.0  # Jul 2025
    assert a[(july, pd.Timestamp("2027-06-01"))] == 18.0  # Jun 2026 is before the cycle
    assert len(naive) == 14 * 2 + 14 * 2  # A in both cycles, B in both (it sold before July)
    b = naive[naive["item"] == "B"].set_index(["cycle", "period"])["quantity"]
    # B has no sales a year back: the last month before the cycle, with gaps as zero demand
    assert b[(january, pd.Timestamp("2027-01-01"))] == 0.0  # Dec 2026
    assert b[(july, pd.Timestamp("2026-08-01"))] == 5.0  # Jun 2026
    assert b[(january, pd.Timestamp("2027-06-01"))] == 5.0  # a season back: its first sale
    assert set(naive["layer"]) == {"naive"}


def test_plain_naive_and_series_that_start_later() -> None:
    naive = naive_snapshot(_history(), ["2026-06"], horizon=2, season_length=None)
    assert naive["item"].tolist() == ["A", "A"]  # B's first sale is in the cycle's month
    assert naive["quantity"].tolist() == [17.0, 17.0]  # May 2026
    with pytest.raises(InputError, match="must be at least 1, got 0") as error:
        naive_snapshot(_history(), ["2026-06"], horizon=0)
    assert (error.value.table, error.value.column) == ("arguments", "horizon")

"""The MPS in whole units and lots: months rounded on the running total, weeks by largest
remainder, so the weeks of a month add up to the month exactly. Expected values are worked
out here apart from the engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.supply.mps import schedule_frames

KEYS = ["item", "location", "period"]


def plan(seed: int = 3, months: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = pd.MultiIndex.from_product(
        [["A", "B", "C"], ["P1", "P2"], pd.date_range("2027-01-01", periods=months, freq="MS")],
        names=KEYS,
    ).to_frame(index=False)
    keys["production"] = rng.uniform(0, 400, len(keys))
    keys["subcontract"] = np.where(rng.uniform(size=len(keys)) < 0.3, rng.uniform(0, 30), 0.0)
    keys.loc[:5, "production"] = 0.6516853932584272  # a trickle: under a unit a month
    keys.loc[:5, "subcontract"] = 0.0
    return keys


def running_rounded(values: list[float], lot: int) -> list[float]:
    """Each month: the running total in lots, rounded half up, less the month before's."""
    out, done, total = [], 0.0, 0.0
    for value in values:
        total += value
        now = math.floor(total / lot + 0.5) * lot
        out.append(now - done)
        done = now
    return out


def check_weeks_add_up(monthly: pd.DataFrame, weekly: pd.DataFrame, lot: int) -> None:
    for column in ("quantity", "production", "subcontract"):
        assert (weekly[column] % lot == 0).all(), column
        summed = weekly.groupby(KEYS)[column].sum()
        joined = monthly.set_index(KEYS)[column].to_frame("month").join(summed.rename("weeks"))
        assert (joined["month"] == joined["weeks"].fillna(0.0)).all(), column
    assert (weekly["quantity"] == weekly["production"] + weekly["subcontract"]).all()


def test_whole_units_keep_each_series_total_and_the_weeks_add_up() -> None:
    source = plan()
    frames = schedule_frames(source, "both", lot_size=1)
    monthly, weekly = frames["mps_month"], frames["mps_week"]
    for column in ("quantity", "production", "subcontract"):
        assert (monthly[column] == monthly[column].round()).all()
    check_weeks_add_up(monthly, weekly, 1)
    assert (monthly["quantity"] > 0).all() and (weekly["quantity"] > 0).all()
    for (item, location), rows in source.groupby(["item", "location"]):
        got = monthly[(monthly["item"] == item) & (monthly["location"] == location)]
        got = got.set_index("period")
        for column in ("production", "subcontract"):
            expected = running_rounded(rows[column].tolist(), 1)
            by_month = got[column].reindex(rows["period"]).fillna(0.0).tolist()
            assert by_month == expected, (item, location, column)
            assert sum(by_month) == math.floor(rows[column].sum() + 0.5)
            # each month is within one unit of the plan
            assert np.abs(np.array(by_month) - rows[column].to_numpy()).max() < 1
    # the trickle of 0.65 a month becomes 1, 0 (left out), 1, 1, 0, 1: 4 units for 3.9
    trickle = monthly[(monthly["item"] == "A") & (monthly["location"] == "P1")]
    assert trickle["production"].head(4).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert trickle["period"].dt.month.head(4).tolist() == [1, 3, 4, 6]


def test_lots_and_a_minimum_per_item_month() -> None:
    source = plan(seed=8)
    frames = schedule_frames(source, "both", lot_size=25, minimum=60)
    monthly, weekly = frames["mps_month"], frames["mps_week"]
    made = monthly[monthly["production"] > 0]["production"]
    assert (made % 25 == 0).all() and (made >= 75).all()  # the minimum, in whole lots
    bought = monthly[monthly["subcontract"] > 0]["subcontract"]
    assert (bought % 25 == 0).all() and (bought >= 75).all()
    check_weeks_add_up(monthly, weekly, 25)


def test_weeks_get_whole_lots_by_largest_remainder() -> None:
    one = pd.DataFrame(
        {
            "item": ["A"],
            "location": ["P1"],
            "period": pd.to_datetime(["2027-03-01"]),
            "production": [100.0],
            "subcontract": [0.0],
        }
    )
    weekly = schedule_frames(one, "week", lot_size=1)["mps_week"]
    # March 2027: working days 5, 5, 5, 5, 3 of 23; 100 x 5/23 = 21.74 (four weeks), 13.04
    assert weekly["production"].tolist() == [22.0, 22.0, 22.0, 21.0, 13.0]
    # 100 is 2.5 lots of 40: three lots (half up), one each to the weeks with the largest
    # remainders (the earlier week on a tie); weeks with no lot are left out
    lots = schedule_frames(one, "week", lot_size=40)["mps_week"]
    assert lots["production"].tolist() == [40.0, 40.0, 40.0]
    assert lots["week"].dt.strftime("%m-%d").tolist() == ["03-01", "03-08", "03-15"]


def test_rounding_is_refused_with_a_bad_lot_size() -> None:
    with pytest.raises(ValueError, match="lot_size"):
        schedule_frames(plan(), "month", lot_size=0)
    with pytest.raises(ValueError, match="minimum"):
        schedule_frames(plan(), "month", lot_size=1, minimum=-1)


def test_without_a_lot_size_quantities_keep_their_decimals() -> None:
    source = plan()
    monthly = schedule_frames(source, "month")["mps_month"]
    assert monthly["quantity"].sum() == pytest.approx(
        (source["production"] + source["subcontract"]).sum()
    )

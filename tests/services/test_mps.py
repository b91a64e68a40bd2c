"""The master production schedule: the weekly split rule, its sums, and both file formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.engines.supply.mps import schedule_frames, week_shares
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.supply.mps import MpsExport, export_mps
from oneplan.services.versions.store import save_version

TESTER = Actor.administrator("tester")


def mps(engine: sa.Engine, path: Path, **options: Any) -> MpsExport:
    with unit_of_work(engine, write=False) as session:
        return export_mps(session, TESTER, path, **options)


def supply_plan(months: list[str], seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = pd.MultiIndex.from_product(
        [["A", "B"], ["P1", "P2"], pd.to_datetime(months)], names=["item", "location", "period"]
    ).to_frame(index=False)
    keys["production"] = rng.uniform(0, 1000, len(keys)).round(3)
    keys["subcontract"] = np.where(rng.uniform(size=len(keys)) < 0.3, 50.5, 0.0)
    keys.loc[0, ["production", "subcontract"]] = 0.0  # nothing to make: no MPS row
    return keys


def test_working_days_per_iso_week_golden() -> None:
    shares = week_shares(pd.Series(pd.to_datetime(["2027-01-01", "2027-03-01", "2027-04-01"])))
    jan = shares[shares["period"] == "2027-01-01"]
    # 1 January 2027 is a Friday: its ISO week starts on Monday 28 December 2026
    assert jan["week"].dt.strftime("%Y-%m-%d").tolist()[0] == "2026-12-28"
    assert jan["working_days"].tolist() == [1, 5, 5, 5, 5]
    assert shares[shares["period"] == "2027-03-01"]["working_days"].tolist() == [5, 5, 5, 5, 3]
    # the week of Monday 29 March straddles March (3 days) and April (Thu 1, Fri 2)
    straddle = shares[shares["week"] == "2027-03-29"]
    assert straddle["working_days"].tolist() == [3, 2]
    assert shares.groupby("period")["share"].sum().to_numpy() == pytest.approx(1.0)


def test_weekly_split_sums_exactly_to_the_month() -> None:
    plan = supply_plan(["2027-01", "2027-02", "2027-05", "2028-02"])
    frames = schedule_frames(plan, "both")
    monthly, weekly = frames["mps_month"], frames["mps_week"]
    assert len(monthly) == len(plan) - 1
    expected = plan["production"] + plan["subcontract"]
    assert monthly["quantity"].sum() == pytest.approx(expected.sum())
    keys = ["item", "location", "period"]
    summed = weekly.groupby(keys)[["quantity", "production", "subcontract"]].sum()
    joined = monthly.set_index(keys).join(summed, rsuffix="_weeks")
    for column in ("quantity", "production", "subcontract"):
        assert np.abs(joined[column] - joined[f"{column}_weeks"]).max() < 1e-9
    # in proportion to working days: Feb 2028 (leap year) has 21 working days
    one = weekly[(weekly["item"] == "A") & (weekly["location"] == "P2")]
    one = one[one["period"] == "2028-02-01"]
    month = monthly.set_index(keys).loc[("A", "P2", pd.Timestamp("2028-02-01")), "quantity"]
    assert one["quantity"].to_numpy() == pytest.approx(month * one["working_days"] / 21)
    assert one["iso_week"].iloc[0] == "2028-W05"
    with pytest.raises(ValueError, match="grain"):
        schedule_frames(plan, "day")


def test_export_mps_writes_csv_and_xlsx(engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="supply"):
        mps(engine, tmp_path / "none")
    plan = supply_plan(["2027-01", "2027-02", "2027-03"])
    with unit_of_work(engine) as session:
        version = save_version(
            session,
            TESTER,
            cycle="2027-01",
            kind="supply",
            name="by hand",
            frames={"supply_plan": plan},
            settings={},
            summary={},
            input_hash="-",
        )
    folder = mps(engine, tmp_path / "mps")
    assert folder.version_id == version.id
    month = pd.read_csv(tmp_path / "mps" / "mps_month.csv")
    week = pd.read_csv(tmp_path / "mps" / "mps_week.csv")
    assert list(month.columns) == [
        "item",
        "location",
        "period",
        "quantity",
        "production",
        "subcontract",
    ]
    assert month["quantity"].sum() == pytest.approx(week["quantity"].sum())
    # whole units by default: each item's and location's total is the plan's, rounded
    per_series = plan.groupby(["item", "location"])[["production", "subcontract"]].sum()
    assert folder.quantity == np.floor(per_series.to_numpy() + 0.5).sum()
    assert folder.quantity == pytest.approx(
        (plan["production"] + plan["subcontract"]).sum(), abs=0.5 * per_series.size
    )
    for frame in (month, week):
        assert (frame["quantity"] % 1 == 0).all()

    book = mps(engine, tmp_path / "mps.xlsx", version_id=version.id, grain="month")
    assert book.files == [tmp_path / "mps.xlsx"] and book.rows == {"mps_month": len(month)}
    sheet = pd.read_excel(tmp_path / "mps.xlsx", sheet_name="mps_month")
    assert sheet["quantity"].to_numpy() == pytest.approx(month["quantity"].to_numpy())
    with pytest.raises(NotFound):
        mps(engine, tmp_path / "x", version_id=version.id + 1)


def test_export_mps_in_lots_with_a_minimum(engine: sa.Engine, tmp_path: Path) -> None:
    plan = supply_plan(["2027-01", "2027-02", "2027-03"])
    with unit_of_work(engine) as session:
        save_version(
            session,
            TESTER,
            cycle="2027-01",
            kind="supply",
            name="by hand",
            frames={"supply_plan": plan},
            settings={},
            summary={},
            input_hash="-",
        )
    mps(engine, tmp_path / "lots", lot_size=50, minimum=120)
    month = pd.read_csv(tmp_path / "lots" / "mps_month.csv")
    week = pd.read_csv(tmp_path / "lots" / "mps_week.csv")
    for column in ("production", "subcontract"):
        made = month.loc[month[column] > 0, column]
        assert (made % 50 == 0).all() and (made >= 150).all()
        assert (week[column] % 50 == 0).all()
        keys = ["item", "location", "period"]
        assert week.groupby(keys)[column].sum().to_dict() == month.set_index(keys)[column].to_dict()
    with pytest.raises(ValueError, match="lot_size"):
        mps(engine, tmp_path / "bad", lot_size=0)

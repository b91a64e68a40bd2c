"""The service tests' shared set-up: the demo company with a demand plan made by hand (no
forecast, so it is fast) and the base supply plan run on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.services.imports import import_package
from oneplan.services.plans import save_version
from oneplan.services.supply import run_supply

KEYS = ["item", "location", "period"]


@pytest.fixture
def consensus_by_hand(demo_frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each plan month repeats the same month of the last year of history (18 months)."""
    history = demo_frames["sales_history"]
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    months = pd.date_range("2027-01-01", periods=18, freq="MS")
    copies = [last.assign(period=last["period"] + pd.DateOffset(months=k)) for k in (12, 24)]
    frame = pd.concat(copies, ignore_index=True)
    return frame[frame["period"].isin(months)][[*KEYS, "quantity"]].reset_index(drop=True)


@pytest.fixture
def planned(
    engine: sa.Engine, demo_csv: Path, consensus_by_hand: pd.DataFrame, settings: Settings
) -> tuple[sa.Engine, pd.DataFrame]:
    """The demo imported, the hand-made demand plan stored, and the base supply plan run."""
    import_package(engine, demo_csv, settings=settings)
    with unit_of_work(engine) as session:
        save_version(
            session,
            cycle="2027-01",
            kind="demand",
            name="consensus by hand",
            frames={"consensus": consensus_by_hand},
            settings={},
            summary={},
            input_hash="-",
            user="planner",
        )
    run_supply(engine, settings=settings)
    return engine, consensus_by_hand


def _price_in_force(plan: pd.DataFrame, prices: pd.DataFrame) -> np.ndarray:
    listed = prices[prices["channel"] == "all"]
    out = np.zeros(len(plan))
    for i, (item, period) in enumerate(zip(plan["item"], plan["period"], strict=True)):
        rows = listed[listed["item"] == item].sort_values("valid_from")
        before = rows[rows["valid_from"] <= period]
        out[i] = (before if len(before) else rows.head(1))["price"].iloc[-1] if len(rows) else 0
    return out


@pytest.fixture
def price_in_force() -> Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]:
    """Per plan row, the newest list price dated on or before its month (else the item's first),
    worked out row by row, independently of the code under test."""
    return _price_in_force

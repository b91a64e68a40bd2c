"""Service tests share the root conftest's set-up (`planned`, `prepare`, `actor`); this adds an
independent, row-by-row price look-up to check the engines' vectorised one against, and the
rebate each item realised in the sales history, recomputed apart from the engine."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def _price_in_force(plan: pd.DataFrame, prices: pd.DataFrame) -> np.ndarray:
    listed = prices[prices["channel"] == "all"]
    out = np.zeros(len(plan))
    for i, (item, period) in enumerate(zip(plan["item"], plan["period"], strict=True)):
        rows = listed[listed["item"] == item].sort_values("valid_from")
        before = rows[rows["valid_from"] <= period]
        out[i] = (before if len(before) else rows.head(1))["price"].iloc[-1] if len(rows) else 0
    return out


def _list_price_in_force(rows: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """The list price of each row's item in its month (NaN before the first price)."""
    listed = prices[prices["channel"] == "all"][["item", "valid_from", "price"]]
    pairs = rows[["item", "period"]].reset_index(names="row").merge(listed, on="item")
    pairs = pairs[pairs["valid_from"] <= pairs["period"]]
    price = pairs.sort_values("valid_from").groupby("row")["price"].last()
    return price.reindex(rows.index)


def _realised_rebate(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Per item, 1 - net / gross revenue over the history's last twelve months (the family's
    where the item has none)."""
    sales = tables["sales_history"]
    sales = sales[sales["period"] > sales["period"].max() - pd.DateOffset(months=12)]
    sales = sales.reset_index(drop=True)
    sales = sales.assign(gross=sales["quantity"] * _list_price_in_force(sales, tables["prices"]))
    sales = sales.dropna(subset=["gross"])
    family = tables["items"].set_index("code")["family"]
    sales["family"] = sales["item"].map(family)
    by_item = sales.groupby("item")[["revenue", "gross"]].sum()
    by_family = sales.groupby("family")[["revenue", "gross"]].sum()
    item_rate = 1 - by_item["revenue"] / by_item["gross"]
    family_rate = (1 - by_family["revenue"] / by_family["gross"]).reindex(family).to_numpy()
    rate = item_rate.reindex(family.index).fillna(pd.Series(family_rate, index=family.index))
    return rate.clip(lower=0.0)


@pytest.fixture
def price_in_force() -> Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]:
    """Per plan row, the newest list price dated on or before its month (else the item's first),
    worked out row by row, independently of the code under test."""
    return _price_in_force


@pytest.fixture
def demo_rebate(demo_frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Per demo item, the rebate it realised on the list price over the history's last twelve
    months (its family's without history), worked out apart from the code under test."""
    return _realised_rebate(demo_frames)

"""Service tests share the root conftest's set-up (`planned`, `prepare`, `actor`); this adds an
independent, row-by-row price look-up to check the engines' vectorised one against."""

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


@pytest.fixture
def price_in_force() -> Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]:
    """Per plan row, the newest list price dated on or before its month (else the item's first),
    worked out row by row, independently of the code under test."""
    return _price_in_force

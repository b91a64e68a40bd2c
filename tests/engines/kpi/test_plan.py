"""Plan KPIs over hand-made frames: the top bottleneck."""

from __future__ import annotations

import pandas as pd
import pytest

from oneplan.engines.kpi import top_bottleneck


def capacity_plan(**columns: list[object]) -> pd.DataFrame:
    rows = {
        "resource": ["PRESS", "PRESS", "CREW", "CREW"],
        "kind": ["machine", "machine", "labour", "labour"],
        "period": pd.to_datetime(["2027-01-01", "2027-02-01"] * 2),
        "capacity": [100.0, 100.0, 1000.0, 1000.0],
        "used": [100.0, 14.0, 1000.0, 300.0],
        "utilisation": [1.0, 0.14, 1.0, 0.3],
        "shadow_price": [25_000.0, 0.0, 12.0, 0.0],
        "degenerate": [False, False, False, False],
    }
    return pd.DataFrame(rows | columns)


def test_the_top_bottleneck_is_the_dearest_hour() -> None:
    neck = top_bottleneck(capacity_plan())
    assert neck is not None
    assert (neck["resource"], neck["period"]) == ("PRESS", "2027-01")
    assert neck["shadow_price"] == pytest.approx(25_000.0) and neck["utilisation"] == 1.0


def test_a_price_set_by_the_penalty_leaves_the_busiest_resource_not_an_idle_month() -> None:
    # Every price is flagged: the press's, and the crew's. The headline names the busiest
    # resource-month, never the idle February of the press, and shows no price for it.
    frame = capacity_plan(
        utilisation=[1.3, 0.14, 1.0, 0.3],
        used=[130.0, 14.0, 1000.0, 300.0],
        degenerate=[True, False, True, False],
        shadow_price=[1e6, 0.0, 5e5, 0.0],
    )
    neck = top_bottleneck(frame)
    assert neck is not None
    assert (neck["resource"], neck["period"]) == ("PRESS", "2027-01")
    assert neck["utilisation"] == pytest.approx(1.3) and neck["shadow_price"] is None


def test_a_priced_month_below_its_limit_is_not_a_bottleneck() -> None:
    # A shut-down month (no hours) carries a price, but nobody can buy an hour in it.
    frame = capacity_plan(
        capacity=[100.0, 0.0, 1000.0, 1000.0],
        used=[90.0, 0.0, 1000.0, 300.0],
        utilisation=[0.9, 0.0, 1.0, 0.3],
        shadow_price=[0.0, 80.0, 12.0, 0.0],
    )
    neck = top_bottleneck(frame)
    assert neck is not None and (neck["resource"], neck["period"]) == ("CREW", "2027-01")


def test_nothing_used_has_no_bottleneck() -> None:
    frame = capacity_plan(used=[0.0] * 4, utilisation=[0.0] * 4, shadow_price=[0.0] * 4)
    assert top_bottleneck(frame) is None

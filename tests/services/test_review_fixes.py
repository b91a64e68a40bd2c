"""Behaviours that once went wrong: locks during the forecast, reuse across plan starts,
mid-month prices, withdrawn plans, and diffs keyed on flags."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.engines.demand.plan import price_cells
from oneplan.engines.diff import diff_frames, natural_keys
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.demand import service as demand_service
from oneplan.services.demand.overrides import add_override, cycle_overrides
from oneplan.services.demand.schemas import DemandOptions, OverrideIn
from oneplan.services.demand.service import DemandResult, demand_run
from oneplan.services.supply.service import resolve_demand
from oneplan.services.versions.lifecycle import supersede
from oneplan.services.versions.store import save_version

PLANNER = Actor.administrator("planner")


def run_demand(engine: sa.Engine, options: DemandOptions) -> DemandResult:
    return run_phased(engine, demand_run(PLANNER, options))


@pytest.fixture
def demo_db(engine: sa.Engine, prepare: Any) -> sa.Engine:
    prepare.import_demo(engine)
    return engine


def test_overrides_can_be_added_while_the_demand_step_forecasts(
    demo_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_forecast = demand_service.statistical_forecast
    meanwhile = OverrideIn(
        level="total", period="2027-02", kind="relative", value=5.0, reason="meanwhile"
    )

    def forecasting(*args: Any, **kwargs: Any) -> Any:
        seen.append(demo_db.pool.checkedout())  # type: ignore[attr-defined]
        # another planner writes at once (on SQLite it would wait for the lock)
        with unit_of_work(demo_db) as session:
            add_override(session, Actor.administrator("other"), meanwhile)
        return real_forecast(*args, **kwargs)

    monkeypatch.setattr(demand_service, "statistical_forecast", forecasting)
    result = run_demand(demo_db, DemandOptions(horizon=3))
    assert seen == [0]
    assert result.version_id > 0
    with unit_of_work(demo_db, write=False) as session:
        assert len(cycle_overrides(session, "2027-01")) == 1


def test_a_forecast_is_not_reused_for_another_plan_start(demo_db: sa.Engine) -> None:
    first = run_demand(demo_db, DemandOptions(horizon=4))
    later = run_demand(demo_db, DemandOptions(plan_start="2027-02", horizon=3))
    assert later.summary["forecast_reused"] is False
    months = pd.date_range("2027-02-01", periods=3, freq="MS")
    assert set(later.frames["consensus"]["period"]) == set(months)
    assert first.frames["consensus"]["period"].min() == pd.Timestamp("2027-01-01")


def test_a_mid_month_price_prices_its_whole_month() -> None:
    prices = pd.DataFrame(
        {
            "item": "A",
            "channel": "all",
            "valid_from": pd.to_datetime(["2027-02-01", "2027-03-15"]),
            "price": [10.0, 12.0],
        }
    )
    cells = pd.DataFrame({"item": "A", "period": pd.date_range("2027-01-01", periods=4, freq="MS")})
    priced = price_cells(cells, prices).tolist()
    assert pd.isna(priced[0]) and priced[1:] == [10.0, 12.0, 12.0]


def test_a_withdrawn_demand_plan_is_not_planned_against(demo_db: sa.Engine) -> None:
    consensus = pd.DataFrame(
        {"item": ["X"], "location": ["L"], "period": [pd.Timestamp("2027-01-01")]}
    )
    ids = []
    with unit_of_work(demo_db) as session:
        for quantity in (1.0, 2.0):
            version = save_version(
                session,
                PLANNER,
                cycle="2027-01",
                kind="demand",
                name=f"plan {quantity}",
                frames={"consensus": consensus.assign(quantity=quantity)},
                settings={},
                summary={},
                input_hash="-",
            )
            ids.append(version.id)
    with unit_of_work(demo_db) as session:
        supersede(session, PLANNER, ids[1], reason="wrong numbers")
    with unit_of_work(demo_db, write=False) as session:
        source = resolve_demand(session, {})
    assert source.version_id == ids[0]
    assert source.demand["quantity"].tolist() == [1.0]


def test_a_flipped_flag_is_a_changed_row_not_a_new_one() -> None:
    before = pd.DataFrame(
        {
            "item": ["A", "B"],
            "location": "L",
            "period": pd.Timestamp("2027-01-01"),
            "projected_on_hand": [5.0, 9.0],
            "below_safety_stock": [False, False],
        }
    )
    after = before.assign(projected_on_hand=[1.0, 9.0], below_safety_stock=[True, False])
    keys = natural_keys("projected_inventory", before)
    assert keys == ("item", "location", "period")
    found = diff_frames(before, after, keys, "projected_inventory")
    assert (len(found.added), len(found.removed), len(found.changed)) == (0, 0, 1)
    unnamed = natural_keys("some_frame", before)
    assert "below_safety_stock" not in unnamed

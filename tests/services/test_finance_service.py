"""The finance step on SQLite and PostgreSQL: lookups, the stored finance version, invariants.

Every figure is recomputed from the imported tables and the stored supply frames alone:
revenue as shipped units x list price, roll-ups as sums of months, the budget bridge, the
summary and the period costs against the supply plan's cost breakdown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.engines.pipeline.finance import FRAME_NAMES, SPEND_TERMS, finance_frames
from oneplan.errors import NotFound, ValidationFailed
from oneplan.runner import run_cycle, run_phased
from oneplan.services.actor import Actor
from oneplan.services.cycle.steps import CycleRequest
from oneplan.services.finance.service import FinanceResult, finance_run, finance_version
from oneplan.services.supply.service import supply_version

KEYS = ["item", "location", "period"]


def run_finance(engine: sa.Engine) -> FinanceResult:
    return run_phased(engine, finance_run(Actor.administrator("tester")))


def list_revenue(plan: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """Revenue per month: (demand + backlog before - backlog - lost sales) x list price."""
    plan = plan.sort_values(KEYS, ignore_index=True)
    before = plan.groupby(["item", "location"])["backlog"].shift(1).fillna(0.0)
    shipped = (plan["demand"] + before - plan["backlog"] - plan["lost_sales"]).clip(lower=0.0)
    listed = prices[prices["channel"] == "all"][["item", "valid_from", "price"]]
    pairs = plan[["item", "period"]].reset_index().merge(listed, on="item")
    pairs = pairs[pairs["valid_from"] <= pairs["period"]]
    price = pairs.sort_values("valid_from").groupby("index")["price"].last()
    value = shipped * price.reindex(plan.index).fillna(0.0)
    return value.groupby(plan["period"]).sum()


@pytest.fixture
def demo_db(engine: sa.Engine, prepare: Any) -> sa.Engine:
    prepare.import_demo(engine)
    return engine


def test_missing_demand_or_supply_is_a_clear_not_found(
    demo_db: sa.Engine, prepare: Any, actor: Actor
) -> None:
    with pytest.raises(NotFound, match=r"no demand plan version is stored.*run the demand step"):
        run_finance(demo_db)
    prepare.store_consensus(demo_db)
    with pytest.raises(NotFound, match=r"no supply plan version is stored.*run the supply step"):
        run_finance(demo_db)
    with unit_of_work(demo_db, write=False) as session, pytest.raises(NotFound):
        finance_version(session, actor)


def test_the_finance_step_stores_a_version_that_adds_up(
    demo_db: sa.Engine,
    demo_frames: dict[str, pd.DataFrame],
    prepare: Any,
    settings: Settings,
    actor: Actor,
) -> None:
    demand_id = prepare.store_consensus(demo_db)
    supply = prepare.run_supply(demo_db)
    (outcome,) = run_cycle(demo_db, actor, CycleRequest(settings), only=["finance"])
    shown = {f.label: f.value for f in outcome.figures}
    with unit_of_work(demo_db, write=False) as session:
        newest = session.scalar(sa.select(sa.func.max(PlanVersion.id)))
    assert shown["version"] == newest

    with unit_of_work(demo_db, write=False) as session:
        version, frames = finance_version(session, actor)
        _, supplied = supply_version(session, actor, supply.version_id)
    assert version.id == newest and version.kind == "finance"
    assert version.cycle == "2027-01" and version.created_by == "tester"
    assert set(frames) == set(FRAME_NAMES)
    summary = version.summary
    assert summary["demand_version"] == demand_id
    assert summary["supply_version"] == supply.version_id

    # revenue = shipped units x list price, recomputed from the stored supply plan
    lines = frames["lines"]
    expected = list_revenue(supplied["supply_plan"], demo_frames["prices"])
    by_month = lines.groupby("period")["revenue"].sum()
    assert expected.sum() > 0
    np.testing.assert_allclose(by_month.reindex(expected.index), expected, rtol=1e-9)
    assert summary["revenue"] == pytest.approx(expected.sum(), rel=1e-9)

    # roll-ups: quarters and years are sums of months; families add up to the total
    total, family = frames["rollup_total"], frames["rollup_family"]
    months = total[total["grain"] == "month"].set_index("period")
    np.testing.assert_allclose(months["revenue"], by_month.reindex(months.index), rtol=1e-9)
    for grain, freq in (("quarter", "Q"), ("year", "Y")):
        rows = total[total["grain"] == grain].set_index("period")
        bucket = pd.DatetimeIndex(months.index).to_period(freq).start_time
        for column in ("revenue", "cogs", "gross_margin", "operating_cash_flow"):
            sums = months[column].groupby(bucket).sum()
            np.testing.assert_allclose(rows[column], sums.reindex(rows.index), rtol=1e-9)
        last = months["working_capital"].groupby(bucket).last()
        np.testing.assert_allclose(rows["working_capital"], last.reindex(rows.index))
    family_months = family[family["grain"] == "month"].groupby("period")["revenue"].sum()
    np.testing.assert_allclose(family_months, months["revenue"].reindex(family_months.index))

    # the bridges run exactly from the budget to the plan over the budget's months
    budgets = demo_frames["budgets"]
    in_budget = lines[lines["period"].isin(pd.to_datetime(budgets["period"]))]
    for measure, column in (("revenue", "revenue"), ("margin", "gross_margin")):
        steps = frames[f"{measure}_bridge"].set_index("step")["value"]
        assert steps["budget"] == pytest.approx(budgets[measure].sum(), rel=1e-12)
        assert steps["plan"] == pytest.approx(in_budget[column].sum(), rel=1e-9)
        effects = steps.drop(["budget", "plan"])
        assert steps["budget"] + effects.sum() == pytest.approx(steps["plan"], rel=1e-12)
        assert summary[f"{measure}_vs_budget"] == pytest.approx(
            steps["plan"] - steps["budget"], abs=1e-6
        )

    # the summary is the frames' totals
    assert summary["cogs"] == pytest.approx(lines["cogs"].sum())
    assert summary["gross_margin"] == pytest.approx(summary["revenue"] - summary["cogs"])
    assert summary["margin_pct"] == pytest.approx(summary["gross_margin"] / summary["revenue"])
    balances = frames["working_capital"].sort_values("period")
    assert summary["working_capital_end"] == pytest.approx(balances["working_capital"].iloc[-1])
    cash = frames["cash_flow"]["operating_cash_flow"].sum()
    assert summary["operating_cash_flow"] == pytest.approx(cash)

    # spend in the period costs is the supply plan's cost breakdown, spread over the months
    breakdown = supplied["cost_breakdown"].set_index("term")["value"]
    costs = frames["period_costs"]
    for column, terms in SPEND_TERMS.items():
        spent = breakdown.reindex(terms).fillna(0.0).sum()
        assert costs[column].sum() == pytest.approx(spent, abs=1e-6)

    # three years of quarters per family, planned first then extended by trend
    long_range = frames["long_range"]
    assert long_range.groupby("family").size().eq(12).all()
    assert set(long_range["basis"]) == {"plan", "trend"}
    assert long_range["period"].max() == pd.Timestamp("2029-10-01")


def test_days_outstanding_come_from_the_parameters(
    demo_frames: dict[str, pd.DataFrame],
) -> None:
    plan = pd.DataFrame(
        {
            "item": "HOS-0001",
            "location": "DC-CENTRAL",
            "period": pd.date_range("2027-01-01", periods=2, freq="MS"),
            "demand": [10.0, 20.0],
            "production": 0.0,
            "subcontract": 0.0,
            "lost_sales": 0.0,
            "end_inventory": 0.0,
            "backlog": 0.0,
        }
    )
    supply = {
        "supply_plan": plan,
        "cost_breakdown": pd.DataFrame({"term": ["holding"], "value": [0.0]}),
    }
    consensus = plan[[*KEYS]].assign(quantity=plan["demand"])
    extra = pd.DataFrame({"name": ["days_sales_outstanding"], "value": ["62"]})
    tables = {**demo_frames, "parameters": pd.concat([demo_frames["parameters"], extra])}
    frames = finance_frames(tables, consensus, supply)
    lines = frames["lines"]
    expected = lines["revenue"] * 62.0 / lines["period"].dt.days_in_month
    assert lines["revenue"].gt(0).all()
    np.testing.assert_allclose(lines["receivables"], expected)


def test_a_days_outstanding_that_is_not_a_number_names_the_parameter(
    demo_frames: dict[str, pd.DataFrame],
) -> None:
    bad = pd.DataFrame({"name": ["days_payables_outstanding"], "value": ["thirty"]})
    tables = {**demo_frames, "parameters": bad}
    plan = pd.DataFrame(
        {"item": ["HOS-0001"], "location": ["DC-CENTRAL"], "period": [pd.Timestamp("2027-01")]}
    ).assign(demand=1.0, production=0.0, subcontract=0.0, end_inventory=0.0, backlog=0.0)
    supply = {"supply_plan": plan, "cost_breakdown": pd.DataFrame({"term": [], "value": []})}
    with pytest.raises(ValidationFailed, match="days_payables_outstanding = 'thirty'"):
        finance_frames(tables, plan[KEYS].assign(quantity=1.0), supply)


def test_the_issue_list_ranks_what_the_supply_plan_leaves_open(
    demo_db: sa.Engine, prepare: Any
) -> None:
    """The stored issues cover every unit of lost sales in the plan, ranked by money."""
    prepare.store_consensus(demo_db)
    supply = prepare.run_supply(demo_db)
    result = run_finance(demo_db)
    issues = result.frames["issues"]
    assert result.summary["issues"] == len(issues) > 0
    assert issues["rank"].tolist() == list(range(1, len(issues) + 1))
    assert issues["money"].is_monotonic_decreasing
    lost = supply.frames["unmet_demand"]["lost_sales"].sum()
    listed = issues.loc[issues["kind"].isin(["unmet_demand", "launch_at_risk"]), "units"].sum()
    assert listed == pytest.approx(lost, rel=1e-6)

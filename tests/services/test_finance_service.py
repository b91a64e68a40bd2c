"""The finance step on SQLite and PostgreSQL: lookups, the stored finance version, invariants.

Every figure is recomputed from the imported tables and the stored supply frames alone:
revenue as shipped units x list price net of the rebate the sales history realised, roll-ups
as sums of months, the budget bridge, the summary and the period costs against the supply
plan's cost breakdown.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.datapack import package_schema, write_package
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.demo import build_demo_company
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


def net_revenue(
    plan: pd.DataFrame, prices: pd.DataFrame, rebate: pd.Series, price_in_force: Any
) -> pd.Series:
    """Revenue per month: (demand + backlog before - backlog - lost sales) x list price x
    (1 - the rebate the item realised)."""
    plan = plan.sort_values(KEYS, ignore_index=True)
    before = plan.groupby(["item", "location"])["backlog"].shift(1).fillna(0.0)
    shipped = (plan["demand"] + before - plan["backlog"] - plan["lost_sales"]).clip(lower=0.0)
    price = price_in_force(plan, prices)
    value = shipped * price * (1 - plan["item"].map(rebate).fillna(0.0))
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
    demo_rebate: pd.Series,
    price_in_force: Any,
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

    # revenue = shipped units x list price net of the realised rebate, recomputed from the
    # stored supply plan and the sales history
    lines = frames["lines"]
    expected = net_revenue(
        supplied["supply_plan"], demo_frames["prices"], demo_rebate, price_in_force
    )
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

    # valued net like the budget, the plan's margin rate is within a few points of the
    # budget's (which aims a point above last year, before hoses get dearer in July); at gross
    # list prices the plan showed some five points of margin that no customer pays
    plan_rate = summary["plan_margin_in_budget_months"] / summary["plan_revenue_in_budget_months"]
    budget_rate = summary["budget_margin"] / summary["budget_revenue"]
    assert abs(plan_rate - budget_rate) < 0.03
    price = frames["revenue_bridge"].set_index("step")["value"]["price"]
    assert abs(price) < 0.04 * summary["budget_revenue"]

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
    """The stored detail covers every unit of lost sales in the plan, ranked by money."""
    prepare.store_consensus(demo_db)
    supply = prepare.run_supply(demo_db)
    result = run_finance(demo_db)
    detail = result.frames["issue_detail"]
    assert result.summary["issue_rows"] == len(detail) > 0
    assert detail["rank"].tolist() == list(range(1, len(detail) + 1))
    assert detail["money"].is_monotonic_decreasing
    lost = supply.frames["unmet_demand"]["lost_sales"].sum()
    listed = detail.loc[detail["kind"].isin(["unmet_demand", "launch_at_risk"]), "units"].sum()
    assert listed == pytest.approx(lost, rel=1e-6)


@pytest.fixture(scope="module")
def demo_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company `make demo` plans (150 items, seed 7) as a package."""
    path = tmp_path_factory.mktemp("demo150") / "package"
    write_package(build_demo_company(), path, format="csv", schema=package_schema())
    return path


def test_the_demo_meeting_decides_ten_to_twenty_things(
    engine: sa.Engine, prepare: Any, demo_company: Path, actor: Actor, settings: Settings
) -> None:
    """The meeting's list of the cycle `make demo` runs: a few decisions, each with the rows
    behind it, none impossible."""
    prepare.import_demo(engine, demo_company)
    run_cycle(engine, actor, CycleRequest(settings), only=["demand", "supply", "finance"])
    with unit_of_work(engine, write=False) as session:
        version, frames = finance_version(session, actor, names=["issues", "issue_detail"])
    result = FinanceResult(version.id, version.cycle, frames, dict(version.summary))
    decisions, detail = result.frames["issues"], result.frames["issue_detail"]
    assert 10 <= len(decisions) <= 20 == result.summary["issues"] + 20 - len(decisions)
    assert decisions["rank"].tolist() == list(range(1, len(decisions) + 1))
    assert decisions["money"].is_monotonic_decreasing
    # One decision per resource and per family and theme; each has its rows in the detail.
    assert not decisions["group"].duplicated().any()
    behind = detail[detail["decision_rank"] > 0].groupby("decision_rank").size()
    assert behind.to_dict() == dict(zip(decisions["rank"], decisions["rows"], strict=True))
    revenue = result.summary["revenue"]
    assert (decisions["money"] >= 0.0001 * revenue).all()  # the default materiality
    # Nothing is built before the plan's first month, and no supply code is shown as a cause.
    first = f"{detail['period'].min():%Y-%m}"
    for text in [*decisions["decision"], *detail["decision"]]:
        assert f"before {first}" not in text and f"ahead of {first}" not in text
    assert not detail["cause"].str.contains("cheaper to|^capacity", regex=True).any()
    # A dip under safety stock that only the horizon's end causes feeds no decision.
    last = detail["period"].max()
    end = detail[detail["note"] == "end of horizon"]
    assert len(end) and (end["decision_rank"] == 0).all()
    assert (end["period"] > last - pd.DateOffset(months=2)).all()
    # The small ones stay in the detail, with the reason they are off the list.
    off = detail[(detail["decision_rank"] == 0) & (detail["note"] == "")]
    assert off.empty


def test_the_materiality_and_the_count_are_settings(
    demo_db: sa.Engine, prepare: Any, demo_frames: dict[str, pd.DataFrame], tmp_path: Any
) -> None:
    package = tmp_path / "package"
    shutil.copytree(prepare.package, package)
    parameters = pd.concat(
        [
            demo_frames["parameters"],
            pd.DataFrame({"name": ["issue_materiality", "issue_decisions"], "value": ["0", "3"]}),
        ]
    )
    parameters.to_csv(package / "parameters.csv", index=False)
    prepare.import_demo(demo_db, package)
    prepare.store_consensus(demo_db)
    prepare.run_supply(demo_db)
    decisions = run_finance(demo_db).frames["issues"]
    assert len(decisions) == 3


def test_the_finance_step_values_the_scenario_adopted_as_the_plan(
    engine: sa.Engine, prepare: Any, actor: Actor, tmp_path: Any
) -> None:
    """Once a scenario is adopted, finance (and the pack after it) value that plan, on the
    scenario's own demand, prices and costs, and say so; before, the newest base plan."""
    from datetime import date

    from oneplan.services.report.service import load_report_inputs
    from oneplan.services.scenario.schemas import Assumption
    from oneplan.services.scenario.service import create_scenario, scenario_run
    from oneplan.services.versions.lifecycle import adopt
    from oneplan.services.versions.store import load_frames

    prepare.plan(engine)
    hoses = [
        Assumption(
            kind="demand_change", target_level="family", target="HOS", value=10.0, unit="percent"
        ),
        Assumption(
            kind="price_change",
            target_level="family",
            target="HOS",
            period_from=date(2027, 4, 1),
            value=-5.0,
            unit="percent",
        ),
        Assumption(
            kind="cost_change", target_level="family", target="SPR", value=4.0, unit="percent"
        ),
    ]
    with unit_of_work(engine) as session:
        create_scenario(session, actor, "hoses push", assumptions=hoses)
    scenario = run_phased(engine, scenario_run(actor, "hoses push"))

    base = run_finance(engine)
    with unit_of_work(engine, write=False) as session:
        base_supply = session.scalar(
            sa.select(sa.func.max(PlanVersion.id)).where(PlanVersion.kind == "supply")
        )
    assert base.summary["supply_version"] == base_supply
    assert base.summary["valued_plan"] == (
        f"base supply plan (version {base_supply}), the newest: no plan is released for 2027-01"
    )

    with unit_of_work(engine) as session:
        adopt(session, actor, scenario.version_id, reason="the meeting chose the hose push")
    valued = run_finance(engine)
    assert valued.summary["supply_version"] == scenario.version_id
    assert valued.summary["valued_plan"] == (
        f"scenario 'hoses push' (version {scenario.version_id}), adopted as the plan of 2027-01"
    )
    # the same money as the scenario's own valuation: its demand, prices and costs
    with unit_of_work(engine, write=False) as session:
        own = load_frames(session, scenario.version_id, ["lines"])["lines"]
    lines = valued.frames["lines"]
    assert lines["revenue"].sum() == pytest.approx(own["revenue"].sum(), rel=1e-9)
    assert lines["cogs"].sum() == pytest.approx(own["cogs"].sum(), rel=1e-9)
    assert lines["revenue"].sum() != pytest.approx(base.frames["lines"]["revenue"].sum())
    # the pack reads the plan that was valued
    with unit_of_work(engine, write=False) as session:
        pack = load_report_inputs(session, actor)
    assert pack.versions["supply"] == scenario.version_id
    assert pack.versions["finance"] == valued.version_id

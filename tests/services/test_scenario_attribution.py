"""Finance in scenario runs and the KPI change by assumption, on SQLite and PostgreSQL.

Revenue is recomputed from the stored supply plan and the scenario's prices; the attribution
is tied to separately stored runs (the base supply plan and the scenario run), not only to
its own arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.engines.kpi import plan_kpis
from oneplan.engines.pipeline.scenario import KPIS, sequential_changes
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.scenario import service as scenarios
from oneplan.services.scenario.compare import compare_scenarios
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import explain_run, scenario_run
from oneplan.services.versions.store import get_version, load_frames

KEYS = ["item", "location", "period"]
PRESS_DOWN = Assumption(
    kind="capacity_change",
    target_level="resource",
    target="INJ-N1",
    period_from=date(2027, 3, 1),
    period_to=date(2027, 3, 1),
    value=-100.0,
    unit="percent",
)
HOSES_UP = Assumption(
    kind="demand_change", target_level="family", target="HOS", value=10.0, unit="percent"
)
HOSES_DEARER = Assumption(
    kind="price_change",
    target_level="family",
    target="HOS",
    period_from=date(2027, 6, 1),
    value=5.0,
    unit="percent",
)
ANN, TESTER = Actor.administrator("ann"), Actor.administrator("tester")


def compare(engine: sa.Engine, names: list[str]) -> pd.DataFrame:
    with unit_of_work(engine, write=False) as session:
        return compare_scenarios(session, TESTER, names).kpis


def shipped(plan: pd.DataFrame) -> pd.Series:
    """Units shipped per row: demand plus last month's backlog, less backlog and lost sales."""
    plan = plan.sort_values([*KEYS]).reset_index(drop=True)
    before = plan.groupby(["item", "location"])["backlog"].shift(fill_value=0.0)
    return (plan["demand"] + before - plan["backlog"] - plan["lost_sales"]).clip(lower=0.0)


def test_scenario_run_values_its_plan(
    planned: tuple[sa.Engine, pd.DataFrame],
    demo_frames: dict[str, pd.DataFrame],
    demo_rebate: pd.Series,
    price_in_force: Callable[[pd.DataFrame, pd.DataFrame], np.ndarray],
) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        scenarios.create_scenario(
            session, ANN, "dearer hoses", assumptions=[HOSES_UP, HOSES_DEARER]
        )
    run = run_phased(engine, scenario_run(TESTER, "dearer hoses"))
    with unit_of_work(engine, write=False) as session:
        version = get_version(session, run.version_id)
        frames = load_frames(session, version.id)
        summary = dict(version.summary)
    assert {"lines", "budget_variance", "rollup_total"} <= frames.keys()

    # revenue recomputed: shipped units times the list price, raised 5 % for hoses from June,
    # net of the rebate each item realised in the history
    prices = demo_frames["prices"].copy()
    hoses = set(demo_frames["items"].loc[demo_frames["items"]["family"] == "HOS", "code"])
    june = pd.Timestamp("2027-06-01")
    raised = prices[prices["item"].isin(hoses) & (prices["channel"] == "all")]
    prices = pd.concat(
        [prices, raised.assign(valid_from=june, price=raised["price"] * 1.05)]
    ).reset_index(drop=True)
    plan = frames["supply_plan"].sort_values(KEYS).reset_index(drop=True)
    net = 1 - plan["item"].map(demo_rebate).fillna(0.0)
    expected = float((shipped(plan) * price_in_force(plan, prices) * net).sum())
    lines = frames["lines"]
    assert float(lines["revenue"].sum()) == pytest.approx(expected, rel=1e-9)
    assert float(lines["shipped_quantity"].sum()) == pytest.approx(float(shipped(plan).sum()))
    money = summary["finance"]
    assert money["revenue"] == pytest.approx(expected, rel=1e-9)
    assert money["gross_margin"] == pytest.approx(money["revenue"] - money["cogs"])
    assert money["margin_pct"] == pytest.approx(money["gross_margin"] / money["revenue"])
    variance = frames["budget_variance"]
    assert float(variance["plan_revenue"].sum()) <= float(lines["revenue"].sum()) + 1e-6

    # compare reads the stored finance; the base is valued the same way, at the old prices
    kpis = compare(engine, ["dearer hoses"])
    assert "revenue at price" not in kpis.index
    assert kpis.loc["revenue", "dearer hoses"] == pytest.approx(expected, rel=1e-9)
    assert kpis.loc["gross margin", "dearer hoses"] == pytest.approx(money["gross_margin"])
    assert kpis.loc["margin %", "dearer hoses"] == pytest.approx(money["margin_pct"])
    with unit_of_work(engine, write=False) as session:
        base_plan = load_frames(session, get_version(session, kind="supply").id)["supply_plan"]
    base_plan = base_plan.sort_values(KEYS).reset_index(drop=True)
    base_revenue = float(
        (
            shipped(base_plan)
            * price_in_force(base_plan, demo_frames["prices"])
            * (1 - base_plan["item"].map(demo_rebate).fillna(0.0))
        ).sum()
    )
    assert kpis.loc["revenue", "base"] == pytest.approx(base_revenue, rel=1e-9)
    assert kpis.loc["revenue", "dearer hoses"] > kpis.loc["revenue", "base"]


def test_attribution_adds_up_to_the_stored_runs(planned: tuple[sa.Engine, pd.DataFrame]) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ANN, "press down", assumptions=[PRESS_DOWN])
        scenarios.create_scenario(session, ANN, "press down, more hoses", parent="press down")
        scenarios.add_assumption(session, ANN, "press down, more hoses", HOSES_UP)
    for name in ("press down", "press down, more hoses"):
        run_phased(engine, scenario_run(TESTER, name))
    kpis = compare(engine, ["press down", "press down, more hoses"])

    # one assumption: it takes the whole change from the base to the scenario
    alone = run_phased(engine, explain_run(TESTER, "press down"))
    assert alone["position"].tolist() == [1] * len(KPIS)
    assert set(alone["kind"]) == {"capacity_change"} and set(alone["target"]) == {"INJ-N1"}
    assert alone["kpi"].tolist() == list(KPIS)
    for row in alone.itertuples():
        total = kpis.loc[row.kpi, "press down"] - kpis.loc[row.kpi, "base"]
        assert row.change == pytest.approx(total, rel=1e-6, abs=1e-4)
        assert row.before == pytest.approx(kpis.loc[row.kpi, "base"], rel=1e-6, abs=1e-4)

    # two assumptions, the parent's first: each step starts where the last one ended and the
    # steps add up to the child's stored run less the base
    both = run_phased(engine, explain_run(TESTER, "press down, more hoses"))
    assert both["position"].tolist() == [1] * len(KPIS) + [2] * len(KPIS)
    assert both["kind"].tolist() == ["capacity_change"] * len(KPIS) + ["demand_change"] * len(KPIS)
    first, second = both.iloc[: len(KPIS)], both.iloc[len(KPIS) :]
    assert first["change"].to_numpy() == pytest.approx(alone["change"].to_numpy(), abs=1e-4)
    assert second["before"].to_numpy() == pytest.approx(first["after"].to_numpy())
    for kpi, change in both.groupby("kpi")["change"].sum().items():
        total = kpis.loc[kpi, "press down, more hoses"] - kpis.loc[kpi, "base"]
        assert change == pytest.approx(total, rel=1e-6, abs=1e-4)
    hoses = second.set_index("kpi")
    assert hoses.loc["revenue", "change"] > 0  # more demand served at the same prices


def test_sequential_changes_checks_its_prefixes() -> None:
    steps = pd.DataFrame({"position": [1], "kind": ["demand_change"], "target": ["HOS"]})
    with pytest.raises(ValueError, match="kpis"):
        sequential_changes(steps, [{"revenue": 1.0}])
    out = sequential_changes(steps, [{"revenue": 1.0, "unmet units": 5.0}] * 2)
    assert out["change"].tolist() == [0.0, 0.0]


def test_older_runs_fall_back_to_revenue_at_price() -> None:
    period = pd.to_datetime(["2027-01-01", "2027-02-01"])
    plan = pd.DataFrame(
        {"item": "A", "location": "L", "period": period, "demand": 10.0, "lost_sales": [0.0, 4.0]}
    ).assign(backlog=0.0)
    frames = {
        "supply_plan": plan,
        "cost_breakdown": pd.DataFrame({"term": ["holding", "revenue"], "value": [5.0, -99.0]}),
        "capacity_plan": pd.DataFrame(columns=["resource", "used", "capacity"]),
    }
    prices = pd.DataFrame(
        {"item": ["A"], "channel": ["all"], "valid_from": period[:1], "price": [2.0]}
    )
    old = plan_kpis(frames, {}, prices)
    assert old["revenue at price"] == pytest.approx(32.0) and "revenue" not in old
    assert old["total cost"] == pytest.approx(5.0)
    lines = pd.DataFrame({"revenue": [20.0, 12.0], "cogs": [8.0, 4.0], "gross_margin": [12.0, 8.0]})
    new = plan_kpis({**frames, "lines": lines}, {}, prices)
    assert "revenue at price" not in new
    assert (new["revenue"], new["gross margin"]) == (32.0, 20.0)
    assert new["margin %"] == pytest.approx(20.0 / 32.0)

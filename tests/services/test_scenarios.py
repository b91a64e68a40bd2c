"""Scenarios on SQLite and PostgreSQL: a parent and a child run on a hand-made demand plan.

Every figure is recomputed from the stored frames and the imported tables, never read back from
the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.engines.kpi import on_time_share
from oneplan.errors import Conflict, NotFound, ValidationFailed
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.scenario import service as scenarios
from oneplan.services.scenario.compare import Comparison, compare_scenarios
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import ScenarioRun, scenario_run
from oneplan.services.versions.store import get_version, load_frames, save_version

KEYS = ["item", "location", "period"]
MARCH = pd.Timestamp("2027-03-01")
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
ANN, TESTER = Actor.administrator("ann"), Actor.administrator("tester")


def run_scenario(engine: sa.Engine, name: str) -> ScenarioRun:
    return run_phased(engine, scenario_run(TESTER, name))


def compare(engine: sa.Engine, names: list[str]) -> Comparison:
    with unit_of_work(engine, write=False) as session:
        return compare_scenarios(session, TESTER, names)


def test_parent_and_child_scenarios(
    planned: tuple[sa.Engine, pd.DataFrame],
    demo_frames: dict[str, pd.DataFrame],
    demo_rebate: pd.Series,
    price_in_force: Callable[[pd.DataFrame, pd.DataFrame], np.ndarray],
) -> None:
    engine, consensus = planned
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ANN, "press down in 2027-03", assumptions=[PRESS_DOWN])
        scenarios.create_scenario(session, ANN, "plus 10% hoses", parent="press down in 2027-03")
        assert scenarios.add_assumption(session, ANN, "plus 10% hoses", HOSES_UP) == 1
    parent = run_scenario(engine, "press down in 2027-03")
    child = run_scenario(engine, "plus 10% hoses")

    with unit_of_work(engine, write=False) as session:
        base = get_version(session, kind="supply")
        base_frames = load_frames(session, base.id)
        stored = {}
        for run in (parent, child):
            version = get_version(session, run.version_id)
            stored[version.name] = (version, load_frames(session, version.id))
        shown = scenarios.show_scenario(session, TESTER, "plus 10% hoses")
        listed = [info.name for info in scenarios.list_scenarios(session, TESTER)]
    assert listed == ["plus 10% hoses", "press down in 2027-03"]
    assert shown.parent == "press down in 2027-03" and shown.runs[0].version_id == child.version_id
    assert shown.assumptions["kind"].tolist() == ["capacity_change", "demand_change"]

    # the child carries its parent's assumption first, then its own
    version, frames = stored["plus 10% hoses"]
    assert version.kind == "scenario" and version.created_by == "tester"
    applied = version.settings["assumptions"]
    assert [a["scenario"] for a in applied] == ["press down in 2027-03", "plus 10% hoses"]
    assert [a["position"] for a in applied] == [1, 2]
    effects = frames["assumption_effects"]
    assert effects["kind"].tolist() == ["capacity_change", "demand_change"]

    # demand: hoses up 10 %, the rest as the consensus; the parent's demand is the consensus
    hoses = set(demo_frames["items"].loc[demo_frames["items"]["family"] == "HOS", "code"])
    expected = consensus.assign(
        quantity=np.where(consensus["item"].isin(hoses), 1.1, 1.0) * consensus["quantity"]
    )
    got = frames["demand"].merge(expected, on=KEYS, suffixes=("", "_expected"))
    assert len(got) == len(consensus)
    assert np.allclose(got["quantity"], got["quantity_expected"])
    assert effects["change"].iloc[1] == pytest.approx(0.1 * expected_hose_units(consensus, hoses))
    plan = frames["supply_plan"]
    assert plan["demand"].sum() == pytest.approx(expected["quantity"].sum())
    parent_frames = stored["press down in 2027-03"][1]
    assert parent_frames["demand"]["quantity"].sum() == pytest.approx(consensus["quantity"].sum())

    # the press has no regular hours in March in both runs; the base used more than overtime
    for _, run_frames in stored.values():
        press = run_frames["capacity_plan"].set_index(["resource", "period"]).loc[("INJ-N1", MARCH)]
        assert press["capacity"] == 0.0
        assert press["used"] <= press["overtime_available"] + press["relaxed"] + 1e-6
    base_press = (
        base_frames["capacity_plan"].set_index(["resource", "period"]).loc[("INJ-N1", MARCH)]
    )
    assert base_press["used"] > base_press["overtime_available"] + 1.0

    # compare: every KPI recomputed from the stored frames
    comparison = compare(engine, ["press down in 2027-03", "plus 10% hoses"])
    kpis = comparison.kpis
    assert list(kpis.columns) == ["base", "press down in 2027-03", "plus 10% hoses"]
    prices = demo_frames["prices"]
    for column, run_frames in [
        ("base", base_frames),
        ("press down in 2027-03", parent_frames),
        ("plus 10% hoses", frames),
    ]:
        costs = run_frames["cost_breakdown"]
        run_plan = run_frames["supply_plan"]
        assert kpis.loc["total cost", column] == pytest.approx(
            costs.loc[costs["term"] != "revenue", "value"].sum()
        )
        # revenue: units shipped (demand and last month's backlog, less backlog and lost sales)
        # at the list price in force, net of the rebate the item realised in the history
        ordered = run_plan.sort_values(["item", "location", "period"], ignore_index=True)
        owed = ordered.groupby(["item", "location"])["backlog"].shift(fill_value=0.0)
        shipped = (ordered["demand"] + owed - ordered["backlog"] - ordered["lost_sales"]).clip(0)
        net = 1 - ordered["item"].map(demo_rebate).fillna(0.0).to_numpy()
        assert kpis.loc["revenue", column] == pytest.approx(
            float((shipped * price_in_force(ordered, prices) * net).sum()), rel=1e-9
        )
        assert kpis.loc["service level on time", column] == pytest.approx(on_time_share(run_plan))
        unmet = run_plan["backlog"].sum() + run_plan["lost_sales"].sum()
        assert kpis.loc["unmet units", column] == pytest.approx(unmet)
        press_months = run_frames["capacity_plan"].query("resource == 'INJ-N1'")
        used = press_months["used"].sum() / press_months["capacity"].sum()
        assert kpis.loc["utilisation INJ-N1", column] == pytest.approx(used)
        assert np.isfinite(kpis.loc["utilisation INJ-N1", column])
    assert kpis.loc["total cost", "press down in 2027-03"] >= kpis.loc["total cost", "base"] - 1e-6
    diff = comparison.diffs["plus 10% hoses"]
    demand_total = diff.totals.set_index("column").loc["demand"]
    assert demand_total["change"] == pytest.approx(0.1 * expected_hose_units(consensus, hoses))
    assert len(diff.changed) > 0 and comparison.versions["plus 10% hoses"] == child.version_id

    # a scenario with no assumptions reproduces the base plan
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ANN, "as is")
    run_scenario(engine, "as is")
    same = compare(engine, ["as is"])
    assert same.kpis.loc["total cost", "as is"] == pytest.approx(
        same.kpis.loc["total cost", "base"]
    )
    assert len(same.diffs["as is"].changed) == 0 and same.diffs["as is"].unchanged == len(plan)

    # deleting the parent is refused while the child branches from it
    with unit_of_work(engine) as session, pytest.raises(Conflict, match="plus 10% hoses"):
        scenarios.delete_scenario(session, ANN, "press down in 2027-03")
    with unit_of_work(engine) as session:
        scenarios.delete_scenario(session, ANN, "plus 10% hoses")
        scenarios.delete_scenario(session, ANN, "press down in 2027-03")
        scenarios.delete_scenario(session, ANN, "as is")
    with unit_of_work(engine, write=False) as session:
        assert scenarios.list_scenarios(session, TESTER) == []
        actions = [e.action for e in events(session, TESTER, subject_type="scenario")]
        assert get_version(session, child.version_id).kind == "scenario"  # runs are kept
    assert actions.count("scenario.run") == 3 and actions.count("scenario.delete") == 3
    assert actions[:3] == ["scenario.create", "scenario.create", "scenario.assume"]


def expected_hose_units(consensus: pd.DataFrame, hoses: set[str]) -> float:
    return float(consensus.loc[consensus["item"].isin(hoses), "quantity"].sum())


def test_bad_requests_change_nothing(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ANN, "press down", assumptions=[PRESS_DOWN])
    # no demand plan version yet: a clear NotFound
    with pytest.raises(NotFound, match="demand"):
        run_scenario(engine, "press down")
    bad = Assumption(
        kind="demand_change", target_level="family", target="HOS", value=5.0, unit="hours"
    )
    with (
        unit_of_work(engine) as session,
        pytest.raises(ValidationFailed, match="assumption 1, column unit: 'hours'") as caught,
    ):
        scenarios.create_scenario(session, ANN, "bad", assumptions=[bad])
    problem = caught.value.problems[0]
    assert (problem.file, problem.column) == ("assumption 1", "unit")
    with unit_of_work(engine) as session, pytest.raises(Conflict, match="exists"):
        scenarios.create_scenario(session, ANN, "press down")
    with unit_of_work(engine) as session, pytest.raises(NotFound, match="'nowhere'"):
        scenarios.create_scenario(session, ANN, "child", parent="nowhere")
    with (
        unit_of_work(engine) as session,
        pytest.raises(ValidationFailed, match="assumption 2, column unit") as caught,
    ):
        scenarios.add_assumption(session, ANN, "press down", bad)
    assert caught.value.problems[0].file == "assumption 2"
    unknown = Assumption(
        kind="capacity_change",
        target_level="resource",
        target="OVEN",
        period_from=date(2027, 2, 1),
        value=5.0,
        unit="hours",
    )
    with unit_of_work(engine) as session:
        scenarios.add_assumption(session, ANN, "press down", unknown)
    with unit_of_work(engine) as session:
        save_version(
            session,
            Actor.administrator("planner"),
            cycle="2027-01",
            kind="demand",
            name="tiny",
            frames={
                "consensus": pd.DataFrame(
                    {
                        "item": ["HOS-0001"],
                        "location": ["PL-NORTH"],
                        "period": [pd.Timestamp("2027-01-01")],
                        "quantity": [5.0],
                    }
                )
            },
            settings={},
            summary={},
            input_hash="-",
        )
    with pytest.raises(ValidationFailed, match="assumption 2, column target: resource 'OVEN'") as e:
        run_scenario(engine, "press down")
    assert (e.value.problems[0].file, e.value.problems[0].column) == ("assumption 2", "target")
    with unit_of_work(engine, write=False) as session:
        names = [info.name for info in scenarios.list_scenarios(session, TESTER)]
        assert names == ["press down"]
        assert len(scenarios.show_scenario(session, TESTER, "press down").assumptions) == 2
        assert scenarios.show_scenario(session, TESTER, "press down").runs == []


def test_an_identical_scenario_rerun_reuses_its_version(
    planned: tuple[sa.Engine, pd.DataFrame],
) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ANN, "press down", assumptions=[PRESS_DOWN])
        scenarios.create_scenario(session, ANN, "as is")
    first = run_scenario(engine, "press down")
    other = run_scenario(engine, "as is")  # another scenario's run between: kept apart
    again = run_scenario(engine, "press down")
    assert not first.reused and not other.reused
    assert again.reused and again.version_id == first.version_id
    assert again.summary == first.summary
    pd.testing.assert_frame_equal(again.effects, first.effects)
    with unit_of_work(engine) as session:
        scenarios.add_assumption(session, ANN, "press down", HOSES_UP)
    changed = run_scenario(engine, "press down")
    assert not changed.reused and changed.version_id > other.version_id
    with unit_of_work(engine, write=False) as session:
        shown = scenarios.show_scenario(session, TESTER, "press down")
        runs = [e.detail for e in events(session, TESTER, "scenario") if "version" in e.detail]
    assert [r.version_id for r in shown.runs] == [changed.version_id, first.version_id]
    assert [(r["version"], r["reused"]) for r in runs] == [
        (first.version_id, False),
        (other.version_id, False),
        (first.version_id, True),
        (changed.version_id, False),
    ]

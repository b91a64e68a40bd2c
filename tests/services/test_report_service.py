"""The report step on SQLite and PostgreSQL: the pack of the stored plans, written and readable."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound, ValidationFailed
from oneplan.reports.pack import NO_SCENARIOS
from oneplan.runner import run_cycle, run_phased
from oneplan.services.actor import Actor
from oneplan.services.cycle.steps import CycleRequest
from oneplan.services.finance.service import finance_run, finance_version
from oneplan.services.report.service import ReportResult, report_run
from oneplan.services.scenario import service as scenarios
from oneplan.services.scenario.compare import compare_scenarios
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import scenario_run
from oneplan.services.versions.store import save_version

TESTER = Actor.administrator("tester")


def save_demand(prepare: Any, engine: sa.Engine, history: pd.DataFrame) -> int:
    """A consensus repeating last year's sales one year on (no forecast: fast)."""
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    consensus = last.assign(period=last["period"] + pd.DateOffset(years=1))
    frame = consensus[["item", "location", "period", "quantity"]]
    version_id: int = prepare.store_consensus(engine, frame)
    return version_id


def run_report(engine: sa.Engine, out: Path) -> ReportResult:
    return run_phased(engine, report_run(TESTER, out))


def test_report_names_the_missing_step_then_writes_the_pack(
    engine: sa.Engine,
    prepare: Any,
    demo_frames: dict[str, pd.DataFrame],
    settings: Settings,
    tmp_path: Path,
) -> None:
    prepare.import_demo(engine)
    out = tmp_path / "pack"
    with pytest.raises(NotFound, match=r"no demand plan .*run the demand step first"):
        run_report(engine, out)
    demand_id = save_demand(prepare, engine, demo_frames["sales_history"])
    with pytest.raises(NotFound, match="run the supply step first"):
        run_report(engine, out)
    supply_id = prepare.run_supply(engine).version_id
    with pytest.raises(NotFound, match="run the finance step first"):
        run_report(engine, out)
    assert not out.exists()  # nothing is written before every plan is there
    finance_id = run_phased(engine, finance_run(TESTER)).version_id

    request = CycleRequest(settings, report_dir=out)
    (outcome,) = run_cycle(engine, TESTER, request, only=["report"])
    shown = {f.label: f.value for f in outcome.figures}
    result = run_report(engine, out)
    assert result.versions == {"demand": demand_id, "supply": supply_id, "finance": finance_id}
    assert set(result.files) == {"xlsx", "html", "pdf"}
    assert result.files["pdf"].read_bytes()[:5] == b"%PDF-"
    assert result.files["xlsx"] == out / "sop-pack-2027-01.xlsx"
    assert shown["xlsx"] == str(out / "sop-pack-2027-01.xlsx")

    with unit_of_work(engine, write=False) as session:
        _, frames = finance_version(
            session, TESTER, finance_id, ["lines", "budget_variance", "issues", "margin_bridge"]
        )
    book = openpyxl.load_workbook(result.files["xlsx"])
    assert book.sheetnames == [
        "Summary",
        "Families",
        "Demand vs supply",
        "Inventory and service",
        "Capacity",
        "Bridge",
        "Issues",
        "Forecast accuracy",
        "Changes",
        "Trend",
        "Scenarios",
    ]
    summary = book["Summary"]
    assert summary["A1"].value.startswith("Greenfield Garden")  # the company, then the cycle
    assert summary["A1"].value.endswith("S&OP pack 2027-01")
    kpis = {
        summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value
        for r in range(11, 20)
    }
    assert kpis["revenue"] == pytest.approx(frames["budget_variance"]["plan_revenue"].sum())
    assert kpis["revenue, whole plan"] == pytest.approx(frames["lines"]["revenue"].sum())
    images = {name: len(book[name]._images) for name in book.sheetnames}
    no_chart = {"Bridge": 2, "Scenarios": 0, "Forecast accuracy": 0, "Changes": 0, "Trend": 0}
    assert images == {**dict.fromkeys(book.sheetnames, 1), **no_chart}
    assert book["Scenarios"]["A1"].value == NO_SCENARIOS
    pd.testing.assert_frame_equal(
        result.pack.margin_bridge,
        frames["margin_bridge"][["step", "value", "cumulative"]].reset_index(drop=True),
    )
    issues = book["Issues"]
    assert issues.max_row - 1 >= len(frames["issues"])  # every issue, then the chart below
    page = result.files["html"].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 8
    assert np.isclose(
        result.pack.kpis.set_index("measure").loc["gross margin, whole plan", "plan"],
        frames["lines"]["gross_margin"].sum(),
    )


def test_a_version_without_a_frame_the_pack_shows_is_named(
    engine: sa.Engine, tmp_path: Path
) -> None:
    empty = pd.DataFrame({"period": pd.to_datetime(["2027-01-01"]), "quantity": [1.0]})
    with unit_of_work(engine) as session:
        for kind in ("demand", "supply", "finance"):
            save_version(
                session,
                Actor.administrator("planner"),
                cycle="2027-01",
                kind=kind,
                name=kind,
                frames={"consensus": empty} if kind == "demand" else {},
                settings={},
                summary={},
                input_hash="-",
            )
    with pytest.raises(ValidationFailed, match="finance plan: has no frame 'lines'") as error:
        run_report(engine, tmp_path / "out")
    assert error.value.problems[0].file == "finance plan"
    assert not (tmp_path / "out").exists()


def test_the_pack_compares_every_scenario_that_has_a_run(
    engine: sa.Engine,
    prepare: Any,
    demo_frames: dict[str, pd.DataFrame],
    tmp_path: Path,
) -> None:
    prepare.import_demo(engine)
    save_demand(prepare, engine, demo_frames["sales_history"])
    prepare.run_supply(engine)
    run_phased(engine, finance_run(TESTER))
    press_down = Assumption(
        kind="capacity_change",
        target_level="resource",
        target="INJ-N1",
        period_from=date(2027, 3, 1),
        period_to=date(2027, 3, 1),
        value=-100.0,
        unit="percent",
    )
    ann = Actor.administrator("ann")
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, ann, "press down", assumptions=[press_down])
        scenarios.create_scenario(session, ann, "never run")
    run = run_phased(engine, scenario_run(TESTER, "press down"))

    result = run_report(engine, tmp_path)
    with unit_of_work(engine, write=False) as session:
        expected = compare_scenarios(session, TESTER, ["press down"])
    assert expected.versions["press down"] == run.version_id
    shown = result.pack.scenarios.set_index("kpi")
    assert shown.columns.tolist() == ["base", "press down"]  # "never run" is left out
    assert shown.index.tolist() == expected.kpis.index.tolist()
    for kpi in ("total cost", "service level on time", "unmet units"):
        for plan in ("base", "press down"):
            assert shown.loc[kpi, plan] == pytest.approx(expected.kpis.loc[kpi, plan]), kpi
    sheet = openpyxl.load_workbook(result.files["xlsx"])["Scenarios"]
    assert [c.value for c in sheet[1]][:3] == ["kpi", "base", "press down"]
    assert sheet["C2"].value == pytest.approx(expected.kpis.loc["total cost", "press down"])
    assert len(sheet._images) == 1
    page = result.files["html"].read_text(encoding="utf-8")
    assert "<th>press down</th>" in page and "never run" not in page
    assert page.count("data:image/png;base64,") == 9


def test_the_pack_compares_with_the_previous_approved_plan(
    engine: sa.Engine,
    prepare: Any,
    demo_frames: dict[str, pd.DataFrame],
    tmp_path: Path,
) -> None:
    from oneplan.services.versions.lifecycle import transition

    prepare.import_demo(engine)
    history = demo_frames["sales_history"]
    save_demand(prepare, engine, history)
    approved = prepare.run_supply(engine).version_id
    run_phased(engine, finance_run(TESTER))
    first = run_report(engine, tmp_path / "first")
    assert not len(first.pack.changes)  # nothing approved yet
    assert first.pack.summary[2] == "No earlier released or approved plan to compare with."
    assert first.pack.company and first.pack.as_of  # from the parameters and the clock
    assert first.pack.families["last_year"].notna().all()  # last year from the sales history
    with unit_of_work(engine) as session:
        transition(session, TESTER, approved, "propose")
        transition(session, TESTER, approved, "approve")
    grown = history.assign(quantity=history["quantity"] * 1.2)
    save_demand(prepare, engine, grown)  # a fifth more demand: a new plan
    assert prepare.run_supply(engine).version_id != approved
    run_phased(engine, finance_run(TESTER))

    result = run_report(engine, tmp_path / "second")
    changes = result.pack.changes.set_index("measure")
    assert result.pack.previous_name == f"the approved plan of 2027-01 (version #{approved})"
    assert changes.loc["revenue, whole plan", "change"] > 0
    assert changes.loc["revenue, whole plan", "now"] == pytest.approx(
        result.pack.kpis.set_index("measure").loc["revenue, whole plan", "plan"]
    )
    assert result.pack.summary[2].startswith(f"Since {result.pack.previous_name}: revenue +")
    sheet = openpyxl.load_workbook(result.files["xlsx"])["Changes"]
    assert sheet["A1"].value == f"This plan against {result.pack.previous_name}"

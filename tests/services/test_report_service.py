"""The report step on SQLite and PostgreSQL: the pack of the stored plans, written and readable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound, ValidationFailed
from oneplan.pipeline import CycleContext
from oneplan.reports.pack import NO_SCENARIOS
from oneplan.services import scenarios
from oneplan.services.imports import import_package
from oneplan.services.plans import save_version
from oneplan.services.reconcile import finance_version, run_reconcile
from oneplan.services.report import report_step, run_report
from oneplan.services.scenario_compare import compare_scenarios
from oneplan.services.supply import run_supply


def save_demand(engine: sa.Engine, history: pd.DataFrame) -> int:
    """A consensus repeating last year's sales one year on (no forecast: fast)."""
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    consensus = last.assign(period=last["period"] + pd.DateOffset(years=1))
    with unit_of_work(engine) as session:
        version = save_version(
            session,
            cycle="2027-01",
            kind="demand",
            name="consensus by hand",
            frames={"consensus": consensus[["item", "location", "period", "quantity"]]},
            settings={},
            summary={},
            input_hash="-",
            user="planner",
        )
        return version.id


def test_report_names_the_missing_step_then_writes_the_pack(
    engine: sa.Engine,
    demo_csv: Path,
    demo_frames: dict[str, pd.DataFrame],
    settings: Settings,
    tmp_path: Path,
) -> None:
    import_package(engine, demo_csv, settings=settings)
    out = tmp_path / "pack"
    with pytest.raises(NotFound, match=r"no demand plan .*run the demand step first"):
        run_report(engine, out, settings)
    demand_id = save_demand(engine, demo_frames["sales_history"])
    with pytest.raises(NotFound, match="run the supply step first"):
        run_report(engine, out, settings)
    supply_id = run_supply(engine, settings=settings).version_id
    with pytest.raises(NotFound, match="run the reconcile step first"):
        run_report(engine, out, settings)
    assert not out.exists()  # nothing is written before every plan is there
    finance_id = run_reconcile(engine, settings).version_id

    context = CycleContext(engine=engine, settings=settings, results={"report_dir": out})
    shown = dict(report_step(context))
    result = context.results["report"]
    assert result.versions == {"demand": demand_id, "supply": supply_id, "finance": finance_id}
    assert set(result.files) == {"xlsx", "html", "pdf"}
    assert result.files["pdf"].read_bytes()[:5] == b"%PDF-"
    assert result.files["xlsx"] == out / "sop-pack-2027-01.xlsx"
    assert shown["xlsx"] == str(out / "sop-pack-2027-01.xlsx")

    with unit_of_work(engine, write=False) as session:
        _, frames = finance_version(
            session, finance_id, ["lines", "budget_variance", "issues", "margin_bridge"]
        )
    book = openpyxl.load_workbook(result.files["xlsx"])
    assert book.sheetnames == [
        "Summary",
        "Demand vs supply",
        "Capacity",
        "Bridge",
        "Issues",
        "Scenarios",
    ]
    kpis = {
        book["Summary"].cell(row=r, column=1).value: book["Summary"].cell(row=r, column=2).value
        for r in range(4, 13)
    }
    assert kpis["revenue"] == pytest.approx(frames["budget_variance"]["plan_revenue"].sum())
    assert kpis["revenue, whole plan"] == pytest.approx(frames["lines"]["revenue"].sum())
    images = {name: len(book[name]._images) for name in book.sheetnames}
    assert images == {**dict.fromkeys(book.sheetnames, 1), "Bridge": 2, "Scenarios": 0}
    assert book["Scenarios"]["A1"].value == NO_SCENARIOS
    pd.testing.assert_frame_equal(
        result.pack.margin_bridge,
        frames["margin_bridge"][["step", "value", "cumulative"]].reset_index(drop=True),
    )
    issues = book["Issues"]
    assert issues.max_row - 1 >= len(frames["issues"])  # every issue, then the chart below
    page = result.files["html"].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 6
    assert np.isclose(
        result.pack.kpis.set_index("measure").loc["gross margin, whole plan", "plan"],
        frames["lines"]["gross_margin"].sum(),
    )


def test_a_version_without_a_frame_the_pack_shows_is_named(
    engine: sa.Engine, settings: Settings, tmp_path: Path
) -> None:
    empty = pd.DataFrame({"period": pd.to_datetime(["2027-01-01"]), "quantity": [1.0]})
    with unit_of_work(engine) as session:
        for kind in ("demand", "supply", "finance"):
            save_version(
                session,
                cycle="2027-01",
                kind=kind,
                name=kind,
                frames={"consensus": empty} if kind == "demand" else {},
                settings={},
                summary={},
                input_hash="-",
                user="planner",
            )
    with pytest.raises(ValidationFailed, match="finance plan: has no frame 'lines'") as error:
        run_report(engine, tmp_path / "out", settings)
    assert error.value.problems[0].file == "finance plan"
    assert not (tmp_path / "out").exists()


def test_the_pack_compares_every_scenario_that_has_a_run(
    engine: sa.Engine,
    demo_csv: Path,
    demo_frames: dict[str, pd.DataFrame],
    settings: Settings,
    tmp_path: Path,
) -> None:
    import_package(engine, demo_csv, settings=settings)
    save_demand(engine, demo_frames["sales_history"])
    run_supply(engine, settings=settings)
    run_reconcile(engine, settings)
    press_down = scenarios.Assumption(
        "capacity_change",
        "resource",
        "INJ-N1",
        date(2027, 3, 1),
        date(2027, 3, 1),
        -100.0,
        "percent",
    )
    with unit_of_work(engine) as session:
        scenarios.create_scenario(session, "press down", user="ann", assumptions=[press_down])
        scenarios.create_scenario(session, "never run", user="ann")
    run = scenarios.run_scenario(engine, "press down", settings)

    result = run_report(engine, tmp_path, settings)
    expected = compare_scenarios(engine, ["press down"])
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
    assert page.count("data:image/png;base64,") == 7

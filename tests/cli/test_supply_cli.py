"""The supply commands end to end: a textbook package standalone, then the stored plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from oneplan.cli.common import database
from oneplan.cli.supply import register

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)

# Chopra & Meindl, "Supply Chain Management", aggregate planning: Red Tomato Tools. The book
# has no lost sales; the package requires a lost-sales cost, so it is set far above any way of
# serving a tool (1,000 per tool) and the plan never uses it.
RED_TOMATO = {
    "parameters.csv": "name,value\nplan_start,2027-01-01\nhorizon_periods,6\ncurrency,USD\n"
    "zero_ending_backlog,true\n",
    "locations.csv": "code,name,kind,region\nplant,Red Tomato plant,plant,Mexico\n",
    "families.csv": "code,name,category\ngarden,Garden tools,tools\n",
    "items.csv": "code,description,uom,family,lifecycle_status\n"
    "tool,Garden tool,each,garden,active\n",
    "inventory.csv": "item,location,on_hand,as_of\ntool,plant,1000,2026-12-31\n",
    "resources.csv": "code,name,kind,location,capacity_uom,capacity_per_period,"
    "overtime_per_period\n"
    "assembly,Assembly crew,labour,plant,hours,12800,0\n",
    "routings.csv": "item,location,resource,usage_per_unit\ntool,plant,assembly,4\n",
    "workforce.csv": "resource,headcount,hours_per_worker,regular_wage,overtime_wage,"
    "overtime_limit_per_worker,hiring_cost,layoff_cost\nassembly,80,160,4,6,10,300,500\n",
    "item_costs.csv": "item,location,valid_from,material_cost,labour_cost,overhead_cost,"
    "holding_cost,backlog_cost,lost_sales_cost,subcontract_cost,subcontract_limit\n"
    "tool,plant,2027-01-01,10,16,0,2,5,1000,30,\n",
    "inventory_policies.csv": "item,location,method,safety_stock,ending_inventory\n"
    "tool,plant,fixed,0,500\n",
    "demand.csv": "item,location,period,quantity\n"
    + "".join(
        f"tool,plant,2027-{month:02d}-01,{units}\n"
        for month, units in enumerate([1600, 3000, 3200, 3800, 2200, 2200], start=1)
    ),
}


@pytest.fixture
def red_tomato(tmp_path: Path) -> Path:
    folder = tmp_path / "red_tomato"
    folder.mkdir()
    for name, text in RED_TOMATO.items():
        (folder / name).write_text(text)
    return folder


def test_textbook_plan_standalone_prints_the_published_optimum(
    red_tomato: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["supply", "solve", str(red_tomato), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "422,275.00 USD" in result.output
    assert "optimal" in result.output
    # the published plan lays off 15 of 80 workers and runs 267 tools late in April
    assert "layoffs" in result.output and "backlog" in result.output
    plan = pd.read_csv(out / "supply_plan.csv")
    assert plan["production"].round().tolist() == [2583.0] * 6
    assert plan["backlog"].round().tolist() == [0, 0, 0, 267, 0, 0]
    crew = pd.read_csv(out / "workforce_plan.csv")
    assert crew["workforce"].round().tolist() == [65.0] * 6
    written = {p.stem for p in out.iterdir()}
    assert {"supply_plan", "capacity_plan", "cost_breakdown", "capacity_gap"} <= written


def test_textbook_whole_workers_and_xlsx_output(red_tomato: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(
        app,
        [
            "supply",
            "solve",
            str(red_tomato),
            "--integer-workforce",
            "--output",
            str(out),
            "--format",
            "xlsx",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "422,660.00 USD" in result.output
    sheets = pd.read_excel(out / "supply_plan.xlsx", sheet_name=None)
    # whole workers tie (see tests/engines/supply/test_textbook.py): either optimum, in full
    crew = sheets["workforce_plan"]["workforce"].tolist()
    assert crew in (pytest.approx([64.0] * 6), pytest.approx([65.0] * 3 + [64.0] * 3))


def test_standalone_without_demand_names_the_table(red_tomato: Path) -> None:
    (red_tomato / "demand.csv").write_text("item,location,period,quantity\n")
    result = runner.invoke(app, ["supply", "solve", str(red_tomato)])
    assert result.exit_code == 2
    assert "table demand" in result.output and "is empty" in result.output
    (red_tomato / "demand.csv").unlink()
    result = runner.invoke(app, ["supply", "solve", str(red_tomato)])
    assert result.exit_code == 2 and "is missing" in result.output


def test_show_and_export_mps_from_the_stored_plan(
    red_tomato: Path, tmp_path: Path, prepare: Any
) -> None:
    db = database()
    prepare.import_demo(db, red_tomato)
    stored = prepare.run_supply(db)

    result = runner.invoke(app, ["supply", "show"])
    assert result.exit_code == 0, result.output
    assert f"#{stored.version_id}" in result.output and "422,275.00 USD" in result.output
    assert "Cost breakdown" in result.output

    target = tmp_path / "mps"
    result = runner.invoke(app, ["export-mps", str(target), "--grain", "both"])
    assert result.exit_code == 0, result.output
    monthly = pd.read_csv(target / "mps_month.csv")
    weekly = pd.read_csv(target / "mps_week.csv")
    assert monthly["quantity"].sum() == pytest.approx(2583.33 * 6, abs=1)
    by_month = weekly.groupby("period")["quantity"].sum()
    assert by_month.to_numpy() == pytest.approx(monthly.set_index("period")["quantity"].to_numpy())

    for frame in (monthly, weekly):
        assert (frame["quantity"] % 1 == 0).all()  # whole units
    lots = tmp_path / "lots"
    result = runner.invoke(app, ["export-mps", str(lots), "--lot-size", "100", "--minimum", "250"])
    assert result.exit_code == 0, result.output
    assert "in lots of 100" in result.output
    monthly = pd.read_csv(lots / "mps_month.csv")
    assert (monthly["quantity"] % 100 == 0).all() and (monthly["production"] >= 300).all()
    weekly = pd.read_csv(lots / "mps_week.csv")
    by_month = weekly.groupby("period")["quantity"].sum()
    assert by_month.tolist() == monthly.set_index("period")["quantity"].tolist()
    result = runner.invoke(app, ["export-mps", str(lots), "--lot-size", "0"])
    assert result.exit_code == 2

    book = tmp_path / "mps.xlsx"
    result = runner.invoke(app, ["export-mps", str(book), "--grain", "week"])
    assert result.exit_code == 0, result.output
    assert list(pd.read_excel(book, sheet_name=None)) == ["mps_week"]


def test_unknown_version_is_a_clear_error() -> None:
    result = runner.invoke(app, ["supply", "show", "--version", "999"])
    assert result.exit_code == 3
    assert "no plan version 999" in result.output
    result = runner.invoke(app, ["export-mps", "out", "--version", "999"])
    assert result.exit_code == 3

"""The scenario commands end to end on a SQLite file: create, list, show, run, compare, explain,
delete."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from oneplan.cli.common import database
from oneplan.cli.scenario import register
from oneplan.db.session import unit_of_work
from oneplan.services.versions.store import get_version, load_frames

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)


@pytest.fixture
def base_plan(prepare: Any, demo_frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The demo imported, a flat demand plan stored by hand and the base supply plan run."""
    db = database()
    prepare.import_demo(db)
    pairs = demo_frames["sales_history"][["item", "location"]].drop_duplicates()
    months = pd.DataFrame({"period": pd.date_range("2027-01-01", periods=18, freq="MS")})
    consensus = pairs.merge(months, how="cross").assign(quantity=20.0)
    prepare.store_consensus(db, consensus)
    prepare.run_supply(db)
    return consensus


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["scenario", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_scenario_commands(base_plan: pd.DataFrame) -> None:
    out = invoke(
        "create",
        "april push",
        "--assume",
        "demand_change:total::2027-04:2027-04:500:units",
        "--description",
        "a trade promotion",
    )
    assert "with 1 assumption(s)" in out and "base plan" in out
    invoke("create", "dearer", "--from", "april push")
    assert "assumption 1 added" in invoke(
        "assume", "dearer", "price_change:family:HOS:2027-06::5:percent"
    )
    listed = invoke("list")
    assert "april push" in listed and "dearer" in listed
    shown = invoke("show", "dearer")
    assert "demand_change" in shown and "price_change" in shown and "2027-06" in shown

    ran = invoke("run", "dearer")
    assert "stored as plan version" in ran and "status: optimal" in ran
    with unit_of_work(database(), write=False) as session:
        version = get_version(session, kind="scenario")
        demand = load_frames(session, version.id, ["demand"])["demand"]
    april = demand["period"] == pd.Timestamp("2027-04-01")
    assert demand.loc[april, "quantity"].sum() == pytest.approx(
        base_plan.loc[base_plan["period"] == pd.Timestamp("2027-04-01"), "quantity"].sum() + 500
    )
    assert demand.loc[~april, "quantity"].eq(20.0).all()

    compared = invoke("compare", "dearer")
    assert "gross margin" in compared and "margin %" in compared and "rows changed" in compared
    assert "revenue at price" not in compared
    assert f"dearer #{version.id}" in compared
    # shares read as percentages: margin %, service level and utilisation
    for label in ("margin %", "service level on time", "utilisation INJ-N1"):
        row = next(line for line in compared.splitlines() if f"│ {label} " in line)
        cells = [c.strip() for c in row.split("│")[2:-1]]
        assert all(c.endswith("%") for c in cells), row

    explained = invoke("explain", "dearer")
    assert "KPI change by assumption" in explained and "total change" in explained
    cells = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in explained.splitlines()
        if line.count("│") == 8
    ]
    table = pd.DataFrame(cells, columns=["position", "kind", "target", "kpi", "b", "a", "change"])
    assert table["kind"].tolist() == ["demand_change"] * 5 + ["price_change"] * 5
    price = table[table["kind"] == "price_change"].set_index("kpi")["change"]
    # a dearer price ships the same units: it moves revenue and margin alike, nothing else
    assert price["total cost"] == "0.00" and price["unmet units"] == "0.00"
    assert price["revenue"] == price["gross margin"] != "0.00"

    refused = runner.invoke(app, ["scenario", "delete", "april push"])
    assert refused.exit_code == 4 and "dearer" in refused.output
    assert "deleted" in invoke("delete", "dearer")
    assert "deleted" in invoke("delete", "april push")
    assert "Scenarios (0)" in invoke("list")


def test_bad_assumption_text_is_a_clear_error(base_plan: pd.DataFrame) -> None:
    result = runner.invoke(app, ["scenario", "create", "x", "--assume", "demand_change:total"])
    assert result.exit_code == 2 and "KIND:TARGET_LEVEL" in result.output
    result = runner.invoke(
        app, ["scenario", "create", "x", "--assume", "demand_change:total:::soon:5:percent"]
    )
    assert result.exit_code == 2 and "period_to" in result.output
    result = runner.invoke(app, ["scenario", "run", "nowhere"])
    assert result.exit_code == 3 and "nowhere" in result.output
    result = runner.invoke(app, ["scenario", "compare", "nowhere"])
    assert result.exit_code == 3
    result = runner.invoke(app, ["scenario", "explain", "nowhere"])
    assert result.exit_code == 3 and "nowhere" in result.output


def test_a_name_with_brackets_is_shown_as_typed() -> None:
    """Names are never read as markup, not even in the spinner shown while a scenario plans."""
    name = "Q3 [/] [bold]push"
    for command in ("run", "explain"):
        result = runner.invoke(app, ["scenario", command, name])
        assert result.exit_code == 3, result.output
        assert name in result.output

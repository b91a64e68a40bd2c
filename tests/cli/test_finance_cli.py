"""The finance commands end to end on a SQLite file: run, show at every grain, the bridges."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from oneplan.cli.common import database, local_actor
from oneplan.cli.finance import register
from oneplan.db.session import unit_of_work
from oneplan.services.finance.service import finance_version

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)


def _figures(output: str, label: str) -> list[str]:
    """The figures of the table row that starts with `label`."""
    row = next(line for line in output.splitlines() if re.search(rf"│\s*{label}\s", line))
    return [cell.strip() for cell in row.split("│")[2:-1]]


def test_without_plans_the_commands_say_what_to_run_first(demo_csv: Path) -> None:
    result = runner.invoke(app, ["finance", "run"])
    assert result.exit_code == 3
    assert "no demand plan" in result.output and "run the demand step" in result.output
    result = runner.invoke(app, ["finance", "show"])
    assert result.exit_code == 3 and "no finance plan" in result.output


def test_run_show_and_bridge(plan_by_hand: Callable[[], None]) -> None:
    plan_by_hand()
    result = runner.invoke(app, ["finance", "run"])
    assert result.exit_code == 0, result.output
    assert "stored financial plan version #3 (2027-01)" in result.output
    with unit_of_work(database(), write=False) as session:
        stored, frames = finance_version(session, local_actor())
    summary = stored.summary
    assert f"revenue: {summary['revenue']:,.0f} EUR" in result.output
    again = runner.invoke(app, ["finance", "run"])  # the same inputs: the same version
    assert again.exit_code == 0, again.output
    assert "unchanged: version #3 reused (2027-01)" in again.output
    assert f"revenue: {summary['revenue']:,.0f} EUR" in again.output

    result = runner.invoke(app, ["finance", "show", "--grain", "year"])
    assert result.exit_code == 0, result.output
    total = frames["rollup_total"]
    year = total[(total["grain"] == "year") & (total["period"] == pd.Timestamp("2027-01-01"))]
    revenue, cogs, margin, pct, capital, cash = _figures(result.output, "2027")
    assert revenue == f"{year['revenue'].iloc[0]:,.0f}"
    assert cogs == f"{year['cogs'].iloc[0]:,.0f}"
    assert margin == f"{year['gross_margin'].iloc[0]:,.0f}"
    assert pct == f"{year['margin_pct'].iloc[0]:.1%}"
    assert capital == f"{year['working_capital'].iloc[0]:,.0f}"
    assert cash == f"{year['operating_cash_flow'].iloc[0]:,.0f}"

    result = runner.invoke(
        app, ["finance", "show", "--level", "family", "--grain", "quarter", "--version", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "2027-Q1" in result.output and "2028-Q2" in result.output
    families = set(frames["rollup_family"]["family"])
    assert all(re.search(rf"│ {f}\s", result.output) for f in families)

    for measure in ("revenue", "margin"):
        result = runner.invoke(app, ["finance", "bridge", "--measure", measure])
        assert result.exit_code == 0, result.output
        steps = frames[f"{measure}_bridge"]
        for step, value in zip(steps["step"], steps["value"], strict=True):
            assert _figures(result.output, step)[0] == f"{value:,.0f}"
    assert "cost" in result.output  # the margin bridge has the cost step


def test_issues_lists_the_decisions_and_the_rows_behind_them(
    plan_by_hand: Callable[[], None],
) -> None:
    plan_by_hand()
    assert runner.invoke(app, ["finance", "run"]).exit_code == 0
    with unit_of_work(database(), write=False) as session:
        _, frames = finance_version(session, local_actor(), names=["issues", "issue_detail"])
    decisions, rows = frames["issues"], frames["issue_detail"]
    assert len(decisions) >= 3

    result = runner.invoke(app, ["finance", "issues", "--top", "3"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert (
        f"Decisions asked for ({len(decisions)} from {len(rows)} issue rows; the largest 3)" in flat
    )
    first = decisions.iloc[0]
    assert str(first["subject"]) in flat and f"{first['money']:,.0f}" in flat
    assert f"{decisions.iloc[3]['money']:,.0f}" not in flat or len(decisions) == 3
    assert "issues --all" in flat

    result = runner.invoke(app, ["finance", "issues", "--top", "1", "--detail"])
    assert result.exit_code == 0, result.output
    behind = rows[rows["decision_rank"] == 1]
    flat = " ".join(result.output.split())
    assert all(str(subject) in flat for subject in behind["subject"])

    result = runner.invoke(app, ["finance", "issues", "--all"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert f"Every issue ({len(rows)} rows" in flat
    assert "end of horizon" in flat  # the rows no decision takes up say why

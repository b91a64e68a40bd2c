"""Finance commands: value the cycle's plans, show the financial plan, the budget bridge."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from oneplan.cli.common import console, engine, handle_errors
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.services.reconcile import finance_version, run_reconcile, step_summary

VersionOption = Annotated[
    int | None, typer.Option(help="Plan version id; default: the newest financial plan.")
]


class GrainChoice(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class LevelChoice(StrEnum):
    family = "family"
    total = "total"


class MeasureChoice(StrEnum):
    revenue = "revenue"
    margin = "margin"


def _amount(value: Any) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):,.0f}"


def _label(period: Any, grain: str) -> str:
    stamp = pd.Timestamp(period)
    if grain == "quarter":
        return f"{stamp.year}-Q{stamp.quarter}"
    return str(stamp.year) if grain == "year" else f"{stamp:%Y-%m}"


@handle_errors
def run() -> None:
    """Value the newest demand and supply plans and store the financial plan."""
    with console.status("Building the financial plan"):
        result = run_reconcile(engine(), get_settings())
    console.print(f"[green]stored[/] financial plan version #{result.version_id} ({result.cycle})")
    for name, value in step_summary(result):
        console.print(f"{name}: {value}")


@handle_errors
def show(
    version: VersionOption = None,
    grain: Annotated[GrainChoice, typer.Option(help="Months, quarters or years.")] = (
        GrainChoice.quarter
    ),
    level: Annotated[LevelChoice, typer.Option(help="Per family or the company total.")] = (
        LevelChoice.total
    ),
) -> None:
    """Show revenue, COGS, margin, margin %, working capital and cash of a financial plan."""
    name = "rollup_total" if level is LevelChoice.total else "rollup_family"
    with unit_of_work(engine(), write=False) as session:
        stored, frames = finance_version(session, version, [name])
    rows = frames[name]
    rows = rows[rows["grain"] == grain.value].sort_values(
        ["period"] if level is LevelChoice.total else ["family", "period"]
    )
    currency = stored.summary.get("currency") or ""
    unit = f" ({currency})" if currency else ""
    table = Table(title=f"Financial plan #{stored.id}: {stored.name}, by {grain.value}{unit}")
    if level is LevelChoice.family:
        table.add_column("family")
    table.add_column(grain.value)
    for column in ("revenue", "COGS", "margin", "margin %", "working capital", "cash"):
        table.add_column(column, justify="right")
    for row in rows.to_dict("records"):
        pct = row.get("margin_pct")
        cells = [
            _label(row["period"], grain.value),
            _amount(row["revenue"]),
            _amount(row["cogs"]),
            _amount(row["gross_margin"]),
            "-" if pct is None or pd.isna(pct) else f"{pct:.1%}",
            _amount(row["working_capital"]),
            _amount(row.get("operating_cash_flow")),
        ]
        if level is LevelChoice.family:
            cells.insert(0, str(row["family"]))
        table.add_row(*cells)
    console.print(table)
    if level is LevelChoice.family:
        console.print("cash is planned for the company as a whole: see --level total")


@handle_errors
def bridge_command(
    version: VersionOption = None,
    measure: Annotated[MeasureChoice, typer.Option(help="Revenue or gross margin.")] = (
        MeasureChoice.revenue
    ),
) -> None:
    """Show the waterfall from budget to plan: volume, mix, price (and cost for margin)."""
    name = f"{measure.value}_bridge"
    with unit_of_work(engine(), write=False) as session:
        stored, frames = finance_version(session, version, [name])
    steps = frames[name]
    currency = stored.summary.get("currency") or ""
    months = stored.summary.get("budget_months", 0)
    title = f"{measure.value.capitalize()} bridge, budget to plan ({months} budget months)"
    table = Table(title=f"{title}, {currency}" if currency else title)
    table.add_column("step")
    table.add_column("value", justify="right")
    table.add_column("running total", justify="right")
    for row in steps.itertuples(index=False):
        table.add_row(str(row.step), _amount(row.value), _amount(row.cumulative))
    console.print(table)


@handle_errors
def issues_command(
    version: VersionOption = None,
    top: Annotated[int, typer.Option(min=1, help="How many issues to list.")] = 15,
) -> None:
    """The ranked list of issues for the pre-S&OP meeting, each sized in units and money."""
    with unit_of_work(engine(), write=False) as session:
        stored, frames = finance_version(session, version, ["issues"])
    issues = frames["issues"]
    currency = stored.summary.get("currency") or ""
    table = Table(title=f"Issues to decide ({len(issues)}; the largest {min(top, len(issues))})")
    for column in ("#", "issue", "subject", "from", "months", "units", f"money {currency}"):
        table.add_column(column, justify="right" if column in ("#", "months") else "left")
    table.add_column("decision asked for")
    for row in issues.head(top).itertuples(index=False):
        table.add_row(
            str(row.rank),
            str(row.kind).replace("_", " "),
            str(row.subject),
            _label(row.period, "month"),
            str(row.periods),
            f"{_amount(row.units)} {row.unit}",
            _amount(row.money),
            str(row.decision),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``finance`` commands to the ``oneplan`` command."""
    finance_app = typer.Typer(
        help="The financial plan: the plan in money, against the budget.", no_args_is_help=True
    )
    finance_app.command("run")(run)
    finance_app.command("show")(show)
    finance_app.command("bridge")(bridge_command)
    finance_app.command("issues")(issues_command)
    app.add_typer(finance_app, name="finance")

"""Finance commands: value the cycle's plans, show the financial plan, the budget bridge and
the issues to decide."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oneplan.choices import BridgeMeasure, FinanceLevel, Grain
from oneplan.cli.common import console, database, handle_errors, local_actor, say
from oneplan.cli.render import amount, figure, percent, table

VersionOption = Annotated[
    int | None, typer.Option(help="Plan version id; default: the newest financial plan.")
]


def _label(period: Any, grain: str) -> str:
    import pandas as pd

    stamp = pd.Timestamp(period)
    if grain == "quarter":
        return f"{stamp.year}-Q{stamp.quarter}"
    return str(stamp.year) if grain == "year" else f"{stamp:%Y-%m}"


@handle_errors
def run() -> None:
    """Value the newest demand plan and the cycle's supply plan (the released or adopted one,
    else the newest base plan) and store the financial plan."""
    from oneplan.runner import run_phased
    from oneplan.services.cycle.steps import finance_figures
    from oneplan.services.finance.service import finance_run

    with console.status("Building the financial plan"):
        result = run_phased(database(), finance_run(local_actor()))
    if result.reused:
        say(f"version #{result.version_id} reused ({result.cycle}): the inputs are", "unchanged:")
    else:
        say(f"financial plan version #{result.version_id} ({result.cycle})", "stored")
    for item in finance_figures(result)[1:]:  # the first, the version, is said above
        say(f"{item.label}: {figure(item)}")


@handle_errors
def show(
    version: VersionOption = None,
    grain: Annotated[Grain, typer.Option(help="Months, quarters or years.")] = Grain.quarter,
    level: Annotated[FinanceLevel, typer.Option(help="Per family or the company total.")] = (
        FinanceLevel.total
    ),
) -> None:
    """Show revenue, COGS, margin, margin %, working capital and cash of a financial plan."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.finance.service import finance_version

    name = "rollup_total" if level is FinanceLevel.total else "rollup_family"
    with unit_of_work(database(), write=False) as session:
        stored, frames = finance_version(session, local_actor(), version, [name])
    rows = frames[name]
    rows = rows[rows["grain"] == grain.value].sort_values(
        ["period"] if level is FinanceLevel.total else ["family", "period"]
    )
    currency = stored.summary.get("currency") or ""
    unit = f" ({currency})" if currency else ""
    columns = [grain.value, "revenue", "COGS", "margin", "margin %", "working capital", "cash"]
    if level is FinanceLevel.family:
        columns.insert(0, "family")
    shown = []
    for row in rows.to_dict("records"):
        cells = [
            _label(row["period"], grain.value),
            amount(row["revenue"]),
            amount(row["cogs"]),
            amount(row["gross_margin"]),
            percent(row.get("margin_pct")),
            amount(row["working_capital"]),
            amount(row.get("operating_cash_flow")),
        ]
        if level is FinanceLevel.family:
            cells.insert(0, str(row["family"]))
        shown.append(cells)
    title = f"Financial plan #{stored.id}: {stored.name}, by {grain.value}{unit}"
    right = ["revenue", "COGS", "margin", "margin %", "working capital", "cash"]
    console.print(table(title, columns, shown, right=right))
    if level is FinanceLevel.family:
        say("cash is planned for the company as a whole: see --level total")


@handle_errors
def bridge_command(
    version: VersionOption = None,
    measure: Annotated[BridgeMeasure, typer.Option(help="Revenue or gross margin.")] = (
        BridgeMeasure.revenue
    ),
) -> None:
    """Show the waterfall from budget to plan: volume, mix, price (and cost for margin)."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.finance.service import finance_version

    name = f"{measure.value}_bridge"
    with unit_of_work(database(), write=False) as session:
        stored, frames = finance_version(session, local_actor(), version, [name])
    steps = frames[name]
    currency = stored.summary.get("currency") or ""
    months = stored.summary.get("budget_months", 0)
    title = f"{measure.value.capitalize()} bridge, budget to plan ({months} budget months)"
    rows = [
        (row.step, amount(row.value), amount(row.cumulative))
        for row in steps.itertuples(index=False)
    ]
    columns = ["step", "value", "running total"]
    title = f"{title}, {currency}" if currency else title
    console.print(table(title, columns, rows, right=["value", "running total"]))


def _months(first: Any, periods: Any) -> str:
    import pandas as pd

    start = pd.Timestamp(first)
    if int(periods) <= 1:
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m} to {start + pd.DateOffset(months=int(periods) - 1):%Y-%m}"


def _issue_rows(rows: Any, currency: str, title: str) -> Any:
    """The issue rows (as `issue_list` stores them) as one table."""
    money = f"money {currency}".strip()
    columns = ["#", "issue", "subject", "months", "units", money, "decision asked for", "cause"]
    columns.append("note")
    lines = [
        (
            row.rank,
            str(row.kind).replace("_", " "),
            row.subject,
            _months(row.period, row.periods),
            f"{amount(row.units)} {row.unit}",
            amount(row.money),
            row.decision,
            row.cause,
            row.note,
        )
        for row in rows.itertuples(index=False)
    ]
    return table(title, columns, lines, right=["#", money])


@handle_errors
def issues_command(
    version: VersionOption = None,
    top: Annotated[int, typer.Option(min=1, help="How many decisions to list.")] = 20,
    detail: Annotated[
        bool, typer.Option("--detail", help="Also list the rows behind each decision.")
    ] = False,
    every: Annotated[
        bool,
        typer.Option(
            "--all", help="List every issue row instead, with the decision it feeds or why none."
        ),
    ] = False,
) -> None:
    """The decisions asked of the pre-S&OP meeting, each sized in money, largest first."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.finance.service import finance_version

    with unit_of_work(database(), write=False) as session:
        stored, frames = finance_version(
            session, local_actor(), version, ["issues", "issue_detail"]
        )
    decisions, rows = frames["issues"], frames["issue_detail"]
    currency = stored.summary.get("currency") or ""
    if every:
        title = f"Every issue ({len(rows)} rows; column decision_rank in issue_detail)"
        console.print(_issue_rows(rows, currency, title))
        return
    money = f"money {currency}".strip()
    columns = ["#", "decision asked for", "months", "rows", money, "cause"]
    lines = [
        (
            row.rank,
            row.decision,
            _months(row.period, row.periods),
            row.rows,
            amount(row.money),
            row.cause,
        )
        for row in decisions.head(top).itertuples(index=False)
    ]
    shown = min(top, len(decisions))
    title = (
        f"Decisions asked for ({len(decisions)} from {len(rows)} issue rows; the largest {shown})"
    )
    console.print(table(title, columns, lines, right=["#", "rows", money]))
    if detail:
        for row in decisions.head(top).itertuples(index=False):
            behind = rows[rows["decision_rank"] == row.rank]
            console.print(_issue_rows(behind, currency, f"#{row.rank}: {row.decision}"))
    say("every issue row, with the decision it feeds or why none", "oneplan finance issues --all:")


def register(app: typer.Typer) -> None:
    """Add the ``finance`` commands to the ``oneplan`` command."""
    finance_app = typer.Typer(
        help="The financial plan: the plan in money, against the budget.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    finance_app.command("run")(run)
    finance_app.command("show")(show)
    finance_app.command("bridge")(bridge_command)
    finance_app.command("issues")(issues_command)
    app.add_typer(finance_app, name="finance")

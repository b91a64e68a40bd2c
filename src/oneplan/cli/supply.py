"""Supply commands: solve a package standalone, show a stored plan, export the MPS input."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from oneplan.cli.common import console, engine, handle_errors
from oneplan.db.session import unit_of_work
from oneplan.services.mps import export_mps, write_plan_tables
from oneplan.services.supply import SupplyOptions, solve_package, supply_version

SHOWN_ROWS = 10


class ObjectiveChoice(StrEnum):
    cost = "cost"
    margin = "margin"


class LevelChoice(StrEnum):
    item = "item"
    family = "family"


class TableFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class MpsFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Grain(StrEnum):
    month = "month"
    week = "week"
    both = "both"


def _money(value: Any, currency: str = "") -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):,.2f} {currency}".strip()


def _headline(summary: dict[str, Any], title: str) -> None:
    currency = summary.get("currency") or ""
    goal = "least cost" if summary.get("objective") == "cost" else "most margin"
    console.print(f"[bold]{title}[/]")
    console.print(f"solver status: {summary.get('status')}")
    console.print(f"objective ({goal}): {_money(summary.get('objective_value'), currency)}")
    console.print(f"total cost: {_money(summary.get('total_cost'), currency)}")
    if summary.get("penalty_cost"):
        penalties = _money(summary["penalty_cost"], currency)
        console.print(
            f"  of which penalties, not cash (safety stock shortfall, relaxed limits): {penalties}"
        )
    free = summary.get("unconstrained_total_cost")
    console.print(f"total cost with unlimited capacity: {_money(free, currency)}")
    if summary.get("service_level") is not None:
        console.print(f"demand met on time: {summary['service_level']:.1%}")
    console.print(f"demand source: {summary.get('demand_source')}")
    neck = summary.get("top_bottleneck")
    if neck:
        price = neck.get("shadow_price") or 0.0
        unit = "unit" if neck.get("kind") == "supplier" else "hour"
        worth = f", one more {unit} is worth {_money(price, currency)}" if price > 0 else ""
        console.print(
            f"top bottleneck: {neck['resource']} in {neck['period']} "
            f"({(neck.get('utilisation') or 0.0):.0%} used{worth})"
        )


def _costs(frame: pd.DataFrame, currency: str) -> None:
    table = Table(title=f"Cost breakdown ({currency})" if currency else "Cost breakdown")
    table.add_column("term")
    table.add_column("value", justify="right")
    shown = frame[frame["value"].abs() > 1e-9]
    for term, value in zip(shown["term"], shown["value"], strict=True):
        table.add_row(str(term).replace("_", " "), f"{value:,.2f}")
    cost = frame.loc[frame["term"] != "revenue", "value"].sum()
    table.add_row("[bold]total cost", f"[bold]{cost:,.2f}")
    console.print(table)


def _bottlenecks(frame: pd.DataFrame) -> None:
    if not len(frame):
        console.print("no binding constraints: no limit costs the plan money")
        return
    table = Table(title=f"Binding constraints (top {min(len(frame), SHOWN_ROWS)} of {len(frame)})")
    table.add_column("constraint")
    table.add_column("shadow price", justify="right")
    table.add_column("meaning")
    for row in frame.head(SHOWN_ROWS).itertuples(index=False):
        table.add_row(str(row.name), f"{row.shadow_price:,.2f}", str(row.meaning))
    console.print(table)


def _unmet(frame: pd.DataFrame, relaxations: pd.DataFrame) -> None:
    if not len(frame):
        console.print("all demand is met on time")
    else:
        late = frame.assign(units=frame["backlog"] + frame["lost_sales"])
        late = late.sort_values("units", ascending=False)
        late["month"] = pd.to_datetime(late["period"]).dt.strftime("%Y-%m")
        table = Table(
            title=f"Unmet demand (largest {min(len(late), SHOWN_ROWS)} of {len(late)}; "
            f"backlog {frame['backlog'].sum():,.0f}, lost {frame['lost_sales'].sum():,.0f})"
        )
        for column in ("item", "location", "month", "backlog", "lost sales", "cause", "resource"):
            table.add_column(
                column, justify="right" if column in ("backlog", "lost sales") else "left"
            )
        for row in late.head(SHOWN_ROWS).itertuples(index=False):
            table.add_row(
                str(row.item),
                str(row.location),
                str(row.month),
                f"{row.backlog:,.1f}",
                f"{row.lost_sales:,.1f}",
                str(row.cause),
                "" if pd.isna(row.resource) else str(row.resource),
            )
        console.print(table)
    if len(relaxations):
        table = Table(title="Limits that had to give (relaxations)")
        for column in ("constraint", "resource", "item", "location", "period", "relaxed by"):
            table.add_column(column)
        for row in relaxations.head(SHOWN_ROWS).itertuples(index=False):
            cells = (row.constraint, row.resource, row.item, row.location, row.period)
            values = ["" if pd.isna(v) else str(v) for v in cells]
            table.add_row(*values, f"{row.relaxed_by:,.2f}")
        console.print(table)
    else:
        console.print("no limit had to give: the plan keeps every hard limit")


def _render(summary: dict[str, Any], frames: dict[str, pd.DataFrame], title: str) -> None:
    _headline(summary, title)
    _costs(frames["cost_breakdown"], summary.get("currency") or "")
    _bottlenecks(frames["binding_constraints"])
    _unmet(frames["unmet_demand"], frames["relaxations"])


@handle_errors
def solve(
    package: Annotated[Path, typer.Argument(help="Data package (folder or .xlsx) with demand.")],
    objective: Annotated[ObjectiveChoice, typer.Option(help="Least cost or most margin.")] = (
        ObjectiveChoice.cost
    ),
    level: Annotated[LevelChoice, typer.Option(help="Plan items or families.")] = (
        LevelChoice.item
    ),
    integer_workforce: Annotated[
        bool, typer.Option("--integer-workforce", help="Hire and lay off whole workers.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="Folder to write every plan table into.")
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Format of the tables.")] = (
        TableFormat.csv
    ),
) -> None:
    """Plan supply for a data package alone, without the database, and explain the plan."""
    options = SupplyOptions(
        objective=objective.value, level=level.value, integer_workforce=integer_workforce
    )
    with console.status(f"Planning supply for {package}"):
        result = solve_package(package, options=options)
    _render(result.summary, result.frames, f"Supply plan for {package.name}")
    if output is not None:
        target = output / "supply_plan.xlsx" if fmt is TableFormat.xlsx else output
        files = write_plan_tables(result.frames, target, fmt.value)
        console.print(
            f"[green]wrote[/] {len(result.frames)} plan tables in {len(files)} file(s) to {target}"
        )


@handle_errors
def show(
    version: Annotated[
        int | None, typer.Option(help="Plan version id; default: the newest supply plan.")
    ] = None,
) -> None:
    """Show a stored supply plan: headline, costs, bottlenecks and unmet demand."""
    names = ["cost_breakdown", "binding_constraints", "unmet_demand", "relaxations"]
    with unit_of_work(engine(), write=False) as session:
        stored, frames = supply_version(session, version, names)
    title = f"Supply plan version #{stored.id}: {stored.name} ({stored.state}, {stored.created_by})"
    _render(stored.summary, frames, title)


@handle_errors
def export_mps_command(
    path: Annotated[Path, typer.Argument(help="Folder (csv) or .xlsx workbook to write.")],
    version: Annotated[
        int | None,
        typer.Option(help="Supply plan version id; default: the released one, else the newest."),
    ] = None,
    fmt: Annotated[
        MpsFormat | None, typer.Option("--format", help="Default: xlsx for .xlsx, else csv.")
    ] = None,
    grain: Annotated[Grain, typer.Option(help="Months, ISO weeks or both.")] = Grain.both,
) -> None:
    """Write the master production schedule input from a supply plan version."""
    report = export_mps(
        engine(), path, version_id=version, fmt=fmt.value if fmt else None, grain=grain.value
    )
    rows = ", ".join(f"{name} {count:,} rows" for name, count in report.rows.items())
    console.print(
        f"[green]wrote[/] the MPS of supply plan version #{report.version_id} to {path}: "
        f"{rows}; {report.quantity:,.1f} units in total"
    )
    if report.note:
        console.print(f"[yellow]note:[/] {report.note}")


def register(app: typer.Typer) -> None:
    """Add the ``supply`` commands and ``export-mps`` to the ``oneplan`` command."""
    supply_app = typer.Typer(
        help="The supply plan: what to make, where and when.", no_args_is_help=True
    )
    supply_app.command("solve")(solve)
    supply_app.command("show")(show)
    app.add_typer(supply_app, name="supply")
    app.command("export-mps")(export_mps_command)

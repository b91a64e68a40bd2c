"""Supply commands: solve a package standalone, show a stored plan, export the MPS input."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oneplan.choices import MpsFormat, MpsGrain, Objective, PackageFormat, SupplyLevel
from oneplan.cli.common import busy, console, database, handle_errors, local_actor, say, settings
from oneplan.cli.render import amount, missing, money, month, percent, table

if TYPE_CHECKING:
    import pandas as pd

SHOWN_ROWS = 10
OBJECTIVE_MEANING = {
    "least cost": "a lost sale costs its lost-sales cost, a late order its backlog cost",
    "most margin": "revenue less cost: a lost sale also loses its price",
}


def _headline(summary: dict[str, Any], title: str) -> None:
    currency = summary.get("currency") or ""
    goal = "least cost" if summary.get("objective") == "cost" else "most margin"
    say(title, style="title")
    say(f"solver status: {summary.get('status')}")
    say(f"objective: {summary.get('objective_label') or goal} ({OBJECTIVE_MEANING[goal]})")
    say(f"objective value: {money(summary.get('objective_value'), currency, 2)}")
    say(f"total cost: {money(summary.get('total_cost'), currency, 2)}")
    if summary.get("penalty_cost"):
        penalties = money(summary["penalty_cost"], currency, 2)
        say(f"  of which penalties, not cash (safety stock shortfall, relaxed limits): {penalties}")
    free = summary.get("unconstrained_total_cost")
    say(f"total cost with unlimited capacity: {money(free, currency, 2)}")
    if summary.get("service_level") is not None:
        say(f"demand met on time: {percent(summary['service_level'])}")
    say(f"demand source: {summary.get('demand_source')}")
    neck = summary.get("top_bottleneck")
    if neck:
        price = neck.get("shadow_price") or 0.0
        unit = "unit" if neck.get("kind") == "supplier" else "hour"
        worth = f", one more {unit} is worth {money(price, currency, 2)}" if price > 0 else ""
        say(
            f"top bottleneck: {neck['resource']} in {neck['period']} "
            f"({percent(neck.get('utilisation') or 0.0, 0)} used{worth})"
        )


def _costs(frame: pd.DataFrame, currency: str) -> None:
    from oneplan.engines.kpi import total_cost

    shown = frame[frame["value"].abs() > 1e-9]
    rows: list[tuple[str, str]] = [
        (str(term).replace("_", " "), amount(value, 2))
        for term, value in zip(shown["term"], shown["value"], strict=True)
    ]
    rows.append(("total cost", amount(total_cost(frame), 2)))
    title = f"Cost breakdown ({currency})" if currency else "Cost breakdown"
    console.print(table(title, ["term", "value"], rows, right=["value"]))


def _bottlenecks(frame: pd.DataFrame) -> None:
    if not len(frame):
        say("no binding constraints: no limit costs the plan money")
        return
    title = f"Binding constraints (top {min(len(frame), SHOWN_ROWS)} of {len(frame)})"
    rows = [
        (row.name, amount(row.shadow_price, 2), row.meaning)
        for row in frame.head(SHOWN_ROWS).itertuples(index=False)
    ]
    columns = ["constraint", "shadow price", "meaning"]
    console.print(table(title, columns, rows, right=["shadow price"]))


def _unmet(frame: pd.DataFrame, relaxations: pd.DataFrame) -> None:
    if not len(frame):
        say("all demand is met on time")
    else:
        late = frame.assign(units=frame["backlog"] + frame["lost_sales"])
        late = late.sort_values("units", ascending=False)
        title = (
            f"Unmet demand (largest {min(len(late), SHOWN_ROWS)} of {len(late)}; "
            f"backlog {amount(frame['backlog'].sum())}, lost {amount(frame['lost_sales'].sum())})"
        )
        columns = ["item", "location", "month", "backlog", "lost sales", "cause", "resource"]
        rows: list[tuple[Any, ...]] = [
            (
                row.item,
                row.location,
                month(row.period),
                amount(row.backlog, 1),
                amount(row.lost_sales, 1),
                row.cause,
                "" if missing(row.resource) else row.resource,
            )
            for row in late.head(SHOWN_ROWS).itertuples(index=False)
        ]
        console.print(table(title, columns, rows, right=["backlog", "lost sales"]))
    if len(relaxations):
        columns = ["constraint", "resource", "item", "location", "period", "relaxed by"]
        rows = [
            (
                *("" if missing(v) else str(v) for v in (r.constraint, r.resource, r.item)),
                *("" if missing(v) else str(v) for v in (r.location, r.period)),
                amount(r.relaxed_by, 2),
            )
            for r in relaxations.head(SHOWN_ROWS).itertuples(index=False)
        ]
        console.print(table("Limits that had to give (relaxations)", columns, rows))
    else:
        say("no limit had to give: the plan keeps every hard limit")


def _render(summary: dict[str, Any], frames: dict[str, pd.DataFrame], title: str) -> None:
    _headline(summary, title)
    _costs(frames["cost_breakdown"], summary.get("currency") or "")
    _bottlenecks(frames["binding_constraints"])
    _unmet(frames["unmet_demand"], frames["relaxations"])


@handle_errors
def solve(
    package: Annotated[Path, typer.Argument(help="Data package (folder or .xlsx) with demand.")],
    objective: Annotated[Objective, typer.Option(help="Least cost or most margin.")] = (
        Objective.cost
    ),
    level: Annotated[SupplyLevel, typer.Option(help="Plan items or families.")] = (
        SupplyLevel.item
    ),
    integer_workforce: Annotated[
        bool, typer.Option("--integer-workforce", help="Hire and lay off whole workers.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option(help="Folder to write every plan table into.")
    ] = None,
    fmt: Annotated[PackageFormat, typer.Option("--format", help="Format of the tables.")] = (
        PackageFormat.csv
    ),
) -> None:
    """Plan supply for a data package alone, without the database, and explain the plan."""
    from oneplan.services.supply.mps import write_plan_tables
    from oneplan.services.supply.schemas import SupplyOptions
    from oneplan.services.supply.service import solve_package

    options = SupplyOptions(objective=objective, level=level, integer_workforce=integer_workforce)
    with busy(f"Planning supply for {package}"):
        result = solve_package(package, settings(), options)
    _render(result.summary, result.frames, f"Supply plan for {package.name}")
    if output is not None:
        target = output / "supply_plan.xlsx" if fmt is PackageFormat.xlsx else output
        files = write_plan_tables(result.frames, target, fmt.value)
        say(f"{len(result.frames)} plan tables in {len(files)} file(s) to {target}", "wrote")


@handle_errors
def show(
    version: Annotated[
        int | None, typer.Option(help="Plan version id; default: the newest supply plan.")
    ] = None,
) -> None:
    """Show a stored supply plan: headline, costs, bottlenecks and unmet demand."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.supply.service import supply_version

    names = ["cost_breakdown", "binding_constraints", "unmet_demand", "relaxations"]
    with unit_of_work(database(), write=False) as session:
        stored, frames = supply_version(session, local_actor(), version, names)
    title = f"Supply plan version #{stored.id}: {stored.name} ({stored.state}, {stored.created_by})"
    _render(stored.summary, frames, title)


@handle_errors
def export_mps_command(
    path: Annotated[Path, typer.Argument(help="Folder (csv) or .xlsx workbook to write.")],
    version: Annotated[
        int | None,
        typer.Option(
            help="Supply plan or scenario version id; default: the released supply plan (base or"
            " adopted scenario), else the newest supply plan."
        ),
    ] = None,
    fmt: Annotated[
        MpsFormat | None, typer.Option("--format", help="Default: xlsx for .xlsx, else csv.")
    ] = None,
    grain: Annotated[MpsGrain, typer.Option(help="Months, ISO weeks or both.")] = MpsGrain.both,
    lot_size: Annotated[
        int,
        typer.Option(min=1, help="Units per lot: every quantity is whole lots (1: whole units)."),
    ] = 1,
    minimum: Annotated[
        int, typer.Option(min=0, help="Fewest units an item is made or bought in a month.")
    ] = 0,
) -> None:
    """Write the master production schedule input from a supply plan version, in whole lots
    (one lot size and minimum for every item: the data package has no lot size per item)."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.supply.mps import export_mps

    with unit_of_work(database(), write=False) as session:
        report = export_mps(
            session,
            local_actor(),
            path,
            version_id=version,
            fmt=fmt.value if fmt else None,
            grain=grain.value,
            lot_size=lot_size,
            minimum=minimum,
        )
    rows = ", ".join(f"{name} {count:,} rows" for name, count in report.rows.items())
    plan = "supply plan" if report.kind == "supply" else f"scenario {report.name!r},"
    say(
        f"the MPS of {plan} version #{report.version_id} to {path}: "
        f"{rows}; {report.quantity:,.0f} units in total, in lots of {lot_size:,}",
        "wrote",
    )
    if report.note:
        say(report.note, "note:", "note")


def register(app: typer.Typer) -> None:
    """Add the ``supply`` commands and ``export-mps`` to the ``oneplan`` command."""
    supply_app = typer.Typer(
        help="The supply plan: what to make, where and when.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    supply_app.command("solve")(solve)
    supply_app.command("show")(show)
    app.add_typer(supply_app, name="supply")
    app.command("export-mps")(export_mps_command)

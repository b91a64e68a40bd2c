"""Scenario commands: create, assume, list, show, run, compare, explain, delete."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from oneplan.cli.common import console, engine, handle_errors
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.services import scenarios
from oneplan.services.scenario_attribution import attribute_kpis
from oneplan.services.scenario_compare import compare_scenarios
from oneplan.services.scenarios import USAGE, parse_assumption

ASSUME_HELP = (
    "An assumption as KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT (repeatable, applied in "
    "order); leave FROM/TO empty for the whole horizon. Kinds: demand_change "
    "(item|family|location|region|total; percent|units), capacity_change (resource; "
    "percent|hours), cost_change and price_change (item|family; percent), subcontract "
    "(item|family; currency|units), policy_change (item|family; service_level|"
    "max_backlog_periods). E.g. capacity_change:resource:INJ-N1:2027-03:2027-03:-100:percent"
)


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, dict | list) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    return str(value)


def _percent(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


def _table(title: str, frame: pd.DataFrame, index: bool = False) -> Table:
    if index:
        frame = frame.reset_index()
    table = Table(title=title)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _assumption_frame(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.copy()
    for column in ("period_from", "period_to"):
        months = pd.to_datetime(shown[column])
        shown[column] = months.dt.strftime("%Y-%m").where(months.notna(), "")
    return shown


@handle_errors
def create_command(
    name: Annotated[str, typer.Argument(help="Scenario name.")],
    parent: Annotated[
        str | None, typer.Option("--from", help="Branch from this scenario (default: base plan).")
    ] = None,
    assume: Annotated[list[str] | None, typer.Option("--assume", "-a", help=ASSUME_HELP)] = None,
    description: Annotated[str, typer.Option(help="What the scenario is about.")] = "",
) -> None:
    """Create a scenario with its assumptions."""
    assumptions = [parse_assumption(text) for text in assume or []]
    with unit_of_work(engine()) as session:
        scenario = scenarios.create_scenario(
            session,
            name,
            user=get_settings().user,
            parent=parent,
            description=description,
            assumptions=assumptions,
        )
        scenario_id = scenario.id
    origin = f"branching from '{parent}'" if parent else "branching from the base plan"
    console.print(
        f"scenario #{scenario_id} '{name}' created, {origin}, with {len(assumptions)} assumption(s)"
    )


@handle_errors
def assume_command(
    name: Annotated[str, typer.Argument(help="Scenario name.")],
    assumption: Annotated[str, typer.Argument(help=USAGE)],
) -> None:
    """Add one assumption at the end of a scenario's list."""
    parsed = parse_assumption(assumption)
    with unit_of_work(engine()) as session:
        position = scenarios.add_assumption(session, name, parsed, user=get_settings().user)
    console.print(f"assumption {position} added to scenario '{name}'")


@handle_errors
def list_command() -> None:
    """List scenarios with their parent, assumptions and newest run."""
    with unit_of_work(engine(), write=False) as session:
        found = scenarios.list_scenarios(session)
    table = Table(title=f"Scenarios ({len(found)})")
    for column in ("name", "from", "assumptions", "runs", "newest version", "created", "by"):
        table.add_column(column)
    for info in found:
        s = info.scenario
        newest = f"#{info.versions[0].id}" if info.versions else ""
        table.add_row(
            s.name,
            info.parent or "base plan",
            str(len(info.assumptions)),
            str(len(info.versions)),
            newest,
            f"{s.created_at:%Y-%m-%d %H:%M}",
            s.created_by,
        )
    console.print(table)


@handle_errors
def show_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Show a scenario: every assumption that applies (inherited first) and its runs."""
    with unit_of_work(engine(), write=False) as session:
        info = scenarios.show_scenario(session, name)
    s = info.scenario
    console.print(f"[bold]Scenario #{s.id}: {s.name}[/] (from {info.parent or 'the base plan'})")
    if s.description:
        console.print(s.description, highlight=False)
    console.print(_table("Assumptions, in the order applied", _assumption_frame(info.assumptions)))
    runs = pd.DataFrame(
        [
            {
                "version": v.id,
                "created": f"{v.created_at:%Y-%m-%d %H:%M}",
                "status": v.summary.get("status"),
                "total cost": v.summary.get("total_cost"),
                "on time": _percent(v.summary.get("service_level")),
            }
            for v in info.versions
        ],
        columns=["version", "created", "status", "total cost", "on time"],
    )
    console.print(_table("Runs, newest first", runs))


@handle_errors
def run_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Apply the scenario's assumptions, plan supply and store a plan version."""
    run = scenarios.run_scenario(engine(), name, get_settings())
    summary = run.result.summary
    console.print(f"scenario '{name}' stored as plan version #{run.version_id}")
    console.print(_table("What each assumption changed", run.effects))
    cost = summary["total_cost"]
    console.print(f"status: {summary['status']}", highlight=False)
    if cost is not None:
        console.print(f"total cost: {cost:,.2f} {summary['currency']}".strip(), highlight=False)
    if summary["service_level"] is not None:
        console.print(f"on time: {summary['service_level']:.1%}", highlight=False)


@handle_errors
def compare_command(
    names: Annotated[list[str], typer.Argument(help="Scenarios to set beside the base plan.")],
    limit: Annotated[int, typer.Option(help="Changed rows shown per scenario.", min=0)] = 10,
) -> None:
    """KPIs of the base supply plan and each scenario side by side, and what changed."""
    found = compare_scenarios(engine(), names)
    versions = ", ".join(f"{k} #{v}" for k, v in found.versions.items())
    console.print(f"versions: {versions}", highlight=False)
    console.print(_table("KPIs", found.kpis, index=True))
    for name, diff in found.diffs.items():
        console.print(
            f"[bold]{name}[/] against the base: {len(diff.changed)} rows changed, "
            f"{len(diff.added)} added, {len(diff.removed)} removed"
        )
        if limit and len(diff.changed):
            moved = [
                c
                for c in diff.changed.columns
                if c.endswith("_change") and diff.changed[c].abs().gt(1e-9).any()
            ]
            top = diff.changed.assign(size=diff.changed[moved].abs().sum(axis=1)).nlargest(
                limit, "size"
            )
            console.print(_table(f"{name}: largest changes", top[[*diff.keys, *moved]]))


@handle_errors
def explain_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """The KPI change broken down by assumption, applied one at a time in order.

    Each step re-solves supply; the split depends on the order of the assumptions."""
    with console.status(f"planning every prefix of scenario '{name}'"):
        found = attribute_kpis(engine(), name, get_settings())
    console.print(_table(f"{name}: KPI change by assumption (in order)", found))
    totals = found.groupby("kpi", sort=False)["change"].sum()
    console.print(
        "total change: " + ", ".join(f"{k} {v:+,.2f}" for k, v in totals.items()), highlight=False
    )


@handle_errors
def delete_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Delete a scenario (its runs are kept); refused while scenarios branch from it."""
    with unit_of_work(engine()) as session:
        scenarios.delete_scenario(session, name, user=get_settings().user)
    console.print(f"scenario '{name}' deleted")


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` commands to the ``oneplan`` command."""
    scenario_app = typer.Typer(
        help="Scenarios: branches of the plan held as ordered assumptions.", no_args_is_help=True
    )
    scenario_app.command("create")(create_command)
    scenario_app.command("assume")(assume_command)
    scenario_app.command("list")(list_command)
    scenario_app.command("show")(show_command)
    scenario_app.command("run")(run_command)
    scenario_app.command("compare")(compare_command)
    scenario_app.command("explain")(explain_command)
    scenario_app.command("delete")(delete_command)
    app.add_typer(scenario_app, name="scenario")

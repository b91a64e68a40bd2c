"""Scenario commands: create, assume, list, show, run, compare, explain, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from oneplan.choices import ASSUMPTION_SYNTAX
from oneplan.cli.common import busy, console, database, handle_errors, local_actor, say
from oneplan.cli.render import amount, cell, frame_table, percent, table, when

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from oneplan.services.scenario.schemas import Assumption

ASSUME_HELP = (
    "An assumption as KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT (repeatable, applied in "
    "order); leave FROM/TO empty for the whole horizon. Kinds: demand_change "
    "(item|family|location|region|total; percent|units), capacity_change (resource; "
    "percent|hours), cost_change and price_change (item|family; percent), subcontract "
    "(item|family; currency|units), policy_change (item|family; service_level|"
    "max_backlog_periods), launch_moved (item; months). "
    "E.g. capacity_change:resource:INJ-N1:2027-03:2027-03:-100:percent"
)


def _assumptions(texts: list[str]) -> list[Assumption]:
    from oneplan.services.scenario.schemas import Assumption

    return [Assumption.from_text(text) for text in texts]


def _assumption_frame(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

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
    from oneplan.db.session import unit_of_work
    from oneplan.services.scenario.service import create_scenario

    assumptions = _assumptions(assume or [])
    with unit_of_work(database()) as session:
        created = create_scenario(
            session,
            local_actor(),
            name,
            parent=parent,
            description=description,
            assumptions=assumptions,
        )
    origin = f"branching from {parent!r}" if parent else "branching from the base plan"
    say(f"scenario #{created.id} {name!r} created, {origin}, with {len(assumptions)} assumption(s)")


@handle_errors
def assume_command(
    name: Annotated[str, typer.Argument(help="Scenario name.")],
    assumption: Annotated[str, typer.Argument(help=ASSUMPTION_SYNTAX)],
) -> None:
    """Add one assumption at the end of a scenario's list."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.scenario.service import add_assumption

    parsed = _assumptions([assumption])[0]
    with unit_of_work(database()) as session:
        position = add_assumption(session, local_actor(), name, parsed)
    say(f"assumption {position} added to scenario {name!r}")


@handle_errors
def list_command() -> None:
    """List scenarios with their parent, assumptions and newest run."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.scenario.service import list_scenarios

    with unit_of_work(database(), write=False) as session:
        found = list_scenarios(session, local_actor())
    columns = ["name", "from", "assumptions", "runs", "newest version", "created", "by"]
    rows = [
        (
            info.name,
            info.parent or "base plan",
            len(info.assumptions),
            len(info.runs),
            f"#{info.runs[0].version_id}" if info.runs else "",
            when(info.created_at),
            info.created_by,
        )
        for info in found
    ]
    console.print(table(f"Scenarios ({len(found)})", columns, rows))


@handle_errors
def show_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Show a scenario: every assumption that applies (inherited first) and its runs."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.scenario.service import show_scenario

    with unit_of_work(database(), write=False) as session:
        info = show_scenario(session, local_actor(), name)
    say(f"{info.name} (from {info.parent or 'the base plan'})", f"Scenario #{info.id}:", "title")
    if info.description:
        say(info.description)
    shown = _assumption_frame(info.assumptions)
    console.print(frame_table("Assumptions, in the order applied", shown))
    columns = ["version", "created", "status", "total cost", "on time"]
    rows = [
        (
            run.version_id,
            when(run.created_at),
            run.summary.get("status"),
            run.summary.get("total_cost"),
            percent(run.summary.get("service_level")),
        )
        for run in info.runs
    ]
    console.print(table("Runs, newest first", columns, rows, right=["version", "total cost"]))


@handle_errors
def run_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Apply the scenario's assumptions, plan supply and store a plan version."""
    from oneplan.runner import run_phased
    from oneplan.services.scenario.service import scenario_run

    with busy(f"Planning scenario {name!r}"):
        done = run_phased(database(), scenario_run(local_actor(), name))
    summary: dict[str, Any] = done.summary
    if done.reused:
        say(
            f"version #{done.version_id} reused: scenario {name!r} ran on the same inputs before",
            "unchanged:",
        )
    else:
        say(f"scenario {name!r} stored as plan version #{done.version_id}")
    console.print(frame_table("What each assumption changed", done.effects))
    cost = summary["total_cost"]
    say(f"status: {summary['status']}")
    if cost is not None:
        say(f"total cost: {cost:,.2f} {summary['currency']}".strip())
    if summary["service_level"] is not None:
        say(f"on time: {percent(summary['service_level'])}")


def _kpi_table(kpis: pd.DataFrame) -> Table:
    """The KPIs side by side: shares (margin %, service level, utilisation) as percentages."""
    from oneplan.engines.kpi.figures import is_share

    rows = []
    for kpi, values in kpis.iterrows():
        share = is_share(str(kpi))
        shown = [
            percent(v) if share else amount(v, 2) if isinstance(v, int | float) else cell(v)
            for v in values
        ]
        rows.append([str(kpi), *shown])
    columns = [str(kpis.index.name or "kpi"), *map(str, kpis.columns)]
    return table("KPIs", columns, rows, right=columns[1:])


@handle_errors
def compare_command(
    names: Annotated[list[str], typer.Argument(help="Scenarios to set beside the base plan.")],
    limit: Annotated[int, typer.Option(help="Changed rows shown per scenario.", min=0)] = 10,
) -> None:
    """KPIs of the base supply plan and each scenario side by side, and what changed."""
    from oneplan.db.session import unit_of_work
    from oneplan.engines.diff import largest_changes
    from oneplan.services.scenario.compare import compare_scenarios

    with unit_of_work(database(), write=False) as session:
        found = compare_scenarios(session, local_actor(), names)
    versions = ", ".join(f"{k} #{v}" for k, v in found.versions.items())
    say(f"versions: {versions}")
    console.print(_kpi_table(found.kpis))
    for name, diff in found.diffs.items():
        say(
            f"against the base: {len(diff.changed)} rows changed, "
            f"{len(diff.added)} added, {len(diff.removed)} removed",
            name,
            "title",
        )
        if limit and len(diff.changed):
            top = largest_changes(diff, limit)
            console.print(frame_table(f"{name}: largest changes", top))


@handle_errors
def explain_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """The KPI change broken down by assumption, applied one at a time in order.

    Each step re-solves supply; the split depends on the order of the assumptions."""
    from oneplan.runner import run_phased
    from oneplan.services.scenario.service import explain_run

    with busy(f"planning every prefix of scenario {name!r}"):
        found = run_phased(database(), explain_run(local_actor(), name))
    console.print(frame_table(f"{name}: KPI change by assumption (in order)", found))
    totals = found.groupby("kpi", sort=False)["change"].sum()
    say("total change: " + ", ".join(f"{k} {v:+,.2f}" for k, v in totals.items()))


@handle_errors
def delete_command(name: Annotated[str, typer.Argument(help="Scenario name.")]) -> None:
    """Delete a scenario (its runs are kept); refused while scenarios branch from it."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.scenario.service import delete_scenario

    with unit_of_work(database()) as session:
        delete_scenario(session, local_actor(), name)
    say(f"scenario {name!r} deleted")


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` commands to the ``oneplan`` command."""
    scenario_app = typer.Typer(
        help="Scenarios: branches of the plan held as ordered assumptions.",
        no_args_is_help=True,
        rich_markup_mode=None,
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

"""The `oneplan` command: `oneplan --help` lists everything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oneplan import __version__
from oneplan.cli import data, demand, finance, plan, report, scenario, supply
from oneplan.cli.common import console, engine, handle_errors
from oneplan.config import get_settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine
from oneplan.pipeline import CycleContext, Step, run_cycle, step_names

app = typer.Typer(
    help="oneplan: open-source Sales & Operations Planning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
cycle_app = typer.Typer(help="The S&OP cycle and its steps.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cycle_app, name="cycle")

app.command("validate")(data.validate)
app.command("import")(data.import_)
app.command("export")(data.export)
app.command("demo-data")(data.demo_data)
demand.register(app)
supply.register(app)
finance.register(app)
plan.register(app)
scenario.register(app)
report.register(app)


@app.command()
def version() -> None:
    """Print oneplan's version."""
    console.print(__version__)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create the schema or bring it up to date."""
    db = create_db_engine(get_settings().database_url)
    migrate.upgrade(db, revision)
    console.print(f"schema at revision {migrate.current_revision(db)}")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Show the schema revision of the database and the one this oneplan needs."""
    db = create_db_engine(get_settings().database_url)
    console.print(f"database: {migrate.current_revision(db)}; needed: {migrate.head_revision()}")


@cycle_app.command("steps")
def cycle_steps() -> None:
    """List the cycle's steps in order."""
    for name in step_names():
        console.print(name)


@cycle_app.command("run")
@handle_errors
def cycle_run(
    path: Annotated[
        Path | None, typer.Argument(help="Data package to import (folder or .xlsx).")
    ] = None,
    step: Annotated[
        list[str] | None,
        typer.Option("--step", "-s", help="Run only this step (repeatable); default: all."),
    ] = None,
) -> None:
    """Run the S&OP cycle's steps in order and print what each did."""
    context = CycleContext(engine=engine(), settings=get_settings(), data_path=path)
    with console.status("Starting the cycle") as status:

        def show(current: Step) -> None:
            status.update(f"{current.title}")

        outcomes = run_cycle(context, only=step, on_step=show)
    table = Table(title="S&OP cycle")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("result")
    for outcome in outcomes:
        result = ", ".join(f"{label} {value}" for label, value in outcome.summary)
        table.add_row(outcome.name, f"{outcome.seconds:.1f}", result)
    console.print(table)

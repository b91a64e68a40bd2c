"""The `oneplan` command: `oneplan --help` lists everything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan import __version__
from oneplan.cli import (
    audit,
    comment,
    cycle,
    data,
    demand,
    finance,
    inbox,
    jobs,
    plan,
    report,
    scenario,
    serve,
    supply,
    users,
)
from oneplan.cli.common import console, database, handle_errors, local_actor, say, settings
from oneplan.cli.render import figure, table

app = typer.Typer(
    help="oneplan: open-source Sales & Operations Planning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True, rich_markup_mode=None)
cycle_app = typer.Typer(
    help="The S&OP cycle: open a month, sign its steps off, run the planning steps.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(cycle_app, name="cycle")
cycle.register(app, cycle_app)
data.register(app)
demand.register(app)
supply.register(app)
finance.register(app)
plan.register(app)
scenario.register(app)
report.register(app)
audit.register(app)
users.register(app)
jobs.register(app)
comment.register(app)
inbox.register(app)
serve.register(app)


@app.command()
def version() -> None:
    """Print oneplan's version."""
    say(__version__)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create the schema or bring it up to date."""
    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine

    db = create_db_engine(settings().database_url)
    migrate.upgrade(db, revision)
    say(f"schema at revision {migrate.current_revision(db)}")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Show the schema revision of the database and the one this oneplan needs."""
    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine

    db = create_db_engine(settings().database_url)
    say(f"database: {migrate.current_revision(db)}; needed: {migrate.head_revision()}")


@cycle_app.command("steps")
def cycle_steps() -> None:
    """List the planning steps `cycle run` runs, in order."""
    from oneplan.services.cycle.steps import STEPS

    for step in STEPS:
        say(f"{step.name}: {step.title}")


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
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="Folder the executive pack is written into.")
    ] = Path("reports"),
) -> None:
    """Run the S&OP cycle's steps in order and print what each did."""
    from oneplan.runner import run_cycle
    from oneplan.services.cycle.steps import CycleRequest, Step

    request = CycleRequest(settings=settings(), data_path=path, report_dir=report_dir)
    with console.status("Starting the cycle") as status:

        def show(current: Step) -> None:
            status.update(current.title)

        outcomes = run_cycle(database(), local_actor(), request, only=step, on_step=show)
    rows = [
        (
            outcome.name,
            f"{outcome.seconds:.1f}",
            ", ".join(f"{f.label} {figure(f)}" for f in outcome.figures),
        )
        for outcome in outcomes
    ]
    console.print(table("S&OP cycle", ["step", "seconds", "result"], rows, right=["seconds"]))

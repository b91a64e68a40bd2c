"""Data package commands: validate, import, export and the demo company."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oneplan.choices import PackageFormat
from oneplan.cli.common import (
    busy,
    console,
    database,
    existing_database,
    handle_errors,
    local_actor,
    say,
    settings,
)
from oneplan.cli.render import amount, table
from oneplan.errors import NotFound

FormatOption = Annotated[PackageFormat, typer.Option("--format", help="File format.")]
PackagePath = Annotated[
    Path, typer.Argument(help="A folder of CSV or Parquet files, or one .xlsx workbook.")
]


@handle_errors
def validate(
    path: PackagePath,
    against_db: Annotated[
        bool | None,
        typer.Option(
            "--against-db/--standalone",
            help="Check references against the rows the database holds, or the package alone."
            " Default: against the database when there is one holding data.",
        ),
    ] = None,
) -> None:
    """Check a data package and list every problem; changes nothing."""
    from contextlib import nullcontext

    from oneplan.db.session import unit_of_work
    from oneplan.services.data.service import (
        checks_against_database,
        read_package_files,
        validate_files,
    )

    actor = local_actor()
    with busy(f"Validating {path}"):
        files = read_package_files(path, settings())
        db = None if against_db is False else existing_database()
        if db is None and against_db:
            raise NotFound(
                "there is no database to check against (none with oneplan's schema, or its "
                "server cannot be reached; `oneplan import` makes one); use --standalone to "
                "check the package alone"
            )
        reading = nullcontext(None) if db is None else unit_of_work(db, write=False)
        with reading as session:
            against = checks_against_database(session, actor)
            basis = "against the database" if against else "alone"
            say(f"references checked {basis}", "note:", "note")
            _, report = validate_files(session if against else None, actor, files)
    say(f"{report.tables} tables, {report.total_rows:,} rows (checked {basis})", "valid:")
    left_out(report.left_out)


def left_out(notices: list[Any]) -> None:
    """What the package held that was left out (a notes sheet): said, never an error."""
    for notice in notices:
        say(str(notice), "left out:", "note")


@handle_errors
def import_(
    path: PackagePath,
    replace: Annotated[
        list[str] | None,
        typer.Option(
            "--replace",
            help="Replace this table (repeatable): delete its rows the package does not hold. For"
            " snapshots such as inventory and customer_orders; refused for tables other rows"
            " refer to (items, locations...).",
        ),
    ] = None,
) -> None:
    """Import a data package all or nothing; re-importing the same package changes nothing.
    Rows are never deleted, except in the tables named with --replace."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from oneplan.db.session import unit_of_work
    from oneplan.services.data.service import import_package, read_package_files

    actor = local_actor()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,  # gone when done: the table (or the problems) say what happened
    ) as progress:
        task = progress.add_task("Reading and validating", total=None)

        def advance(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"Writing {name}", completed=done, total=total)

        files = read_package_files(
            path, settings()
        )  # before the database: a bad path changes nothing
        db, wait = database(), settings().sqlite_busy_timeout_s
        with unit_of_work(db) as session:
            report = import_package(
                session, actor, files, lock_timeout_s=wait, on_table=advance, replace=replace or ()
            )
        progress.update(task, description="Imported", completed=len(report.counts))
    columns = ["table", "inserted", "updated", *(["deleted"] if report.replaced else [])]
    rows: list[list[str]] = [
        [name, amount(count.inserted), amount(count.updated)]
        + ([amount(count.deleted) if name in report.replaced else ""] if report.replaced else [])
        for name, count in report.counts.items()
    ]
    rows.append(
        ["total", amount(report.inserted), amount(report.updated)]
        + ([amount(report.deleted)] if report.replaced else [])
    )
    title = f"Import #{report.import_id} ({report.format})"
    console.print(table(title, columns, rows, right=columns[1:]))
    if report.replaced:
        say(
            f"{', '.join(report.replaced)}: rows the package does not hold were deleted", "replaced"
        )
    left_out(report.left_out)


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx file to write.")],
    fmt: FormatOption = PackageFormat.csv,
) -> None:
    """Export the database as a data package, in the shape `oneplan import` reads."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.data.service import export_package

    with busy(f"Exporting to {path}"), unit_of_work(database(), write=False) as s:
        counts = export_package(s, local_actor(), path, fmt.value)
    say(f"{sum(counts.values()):,} rows in {len(counts)} tables", "exported")


@handle_errors
def demo_data(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx file to write.")],
    items: Annotated[int, typer.Option(min=10, help="Number of items.")] = 150,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    fmt: FormatOption = PackageFormat.csv,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Also run the company's three past S&OP months into the database (imported,"
            " planned, signed off, released) and open the present one, so its KPIs have a"
            " trend; skipped when the database already holds a cycle.",
        ),
    ] = True,
) -> None:
    """Write the demo company (a mid-size manufacturer) as a data package, and give the
    database its past S&OP months."""
    import time

    from oneplan.datapack import package_schema, write_package
    from oneplan.demo.company import build_demo_parts

    with busy(f"Building the demo company ({items:,} items)"):
        parts = build_demo_parts(items=items, seed=seed)
        frames = parts.tables
        write_package(frames, path, format=fmt.value, schema=package_schema())
    rows = sum(len(f) for f in frames.values())
    say(f"{path}: {len(frames)} tables, {rows:,} rows", "wrote")
    if not history:
        return
    from oneplan.demo_history import build_history, has_cycles

    db = database()
    if has_cycles(db):
        say("the database already holds cycles: its history is left as it is", "note:", "note")
        return
    started = time.perf_counter()
    with console.status("Running the past S&OP months") as status:

        def show(month: str) -> None:
            status.update(f"Running the S&OP month {month} from the data known then")

        past = build_history(db, settings(), parts, path, on_cycle=show)
    months = ", ".join(p.month for p in past)
    seconds = time.perf_counter() - started
    say(f"{months} run and released ({seconds:.0f} s); the present month is open", "history:")


def register(app: typer.Typer) -> None:
    """Add the data package commands to the ``oneplan`` command."""
    app.command("validate")(validate)
    app.command("import")(import_)
    app.command("export")(export)
    app.command("demo-data")(demo_data)

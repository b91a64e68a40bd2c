"""Data package commands: validate, import, export and the demo company."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from oneplan.cli.common import console, engine, handle_errors
from oneplan.datapack.write import Format
from oneplan.services.exports import export_package
from oneplan.services.imports import import_package, validate_path


class PackageFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


def _format(choice: PackageFormat) -> Format:
    formats: dict[str, Format] = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet"}
    return formats[choice.value]


FormatOption = Annotated[PackageFormat, typer.Option("--format", help="File format.")]
PackagePath = Annotated[
    Path, typer.Argument(help="A folder of CSV or Parquet files, or one .xlsx workbook.")
]


@handle_errors
def validate(
    path: PackagePath,
    against_db: Annotated[
        bool, typer.Option(help="Also accept references to rows already in the database.")
    ] = False,
) -> None:
    """Check a data package and list every problem; changes nothing."""
    with console.status(f"Validating {path}"):
        frames = validate_path(path, engine() if against_db else None)
    rows = sum(len(f) for f in frames.values())
    console.print(f"[green]valid:[/] {len(frames)} tables, {rows:,} rows")


@handle_errors
def import_(path: PackagePath) -> None:
    """Import a data package all or nothing; re-importing the same package changes nothing."""
    db = engine()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task(f"Reading and validating {path}", total=None)

        def advance(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"Writing {name}", completed=done, total=total)

        report = import_package(db, path, on_table=advance)
        progress.update(task, description="Imported", completed=len(report.counts))
    table = Table(title=f"Import #{report.import_id} ({report.format})")
    table.add_column("table")
    table.add_column("inserted", justify="right")
    table.add_column("updated", justify="right")
    for name, count in report.counts.items():
        table.add_row(name, f"{count.inserted:,}", f"{count.updated:,}")
    table.add_row("[bold]total", f"[bold]{report.inserted:,}", f"[bold]{report.updated:,}")
    console.print(table)


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx file to write.")],
    fmt: Annotated[
        PackageFormat, typer.Option("--format", help="File format.")
    ] = PackageFormat.csv,
) -> None:
    """Export the database as a data package, in the shape `oneplan import` reads."""
    with console.status(f"Exporting to {path}"):
        counts = export_package(engine(), path, _format(fmt))
    console.print(f"[green]exported[/] {sum(counts.values()):,} rows in {len(counts)} tables")


@handle_errors
def demo_data(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx file to write.")],
    items: Annotated[int, typer.Option(min=10, help="Number of items.")] = 150,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    fmt: Annotated[
        PackageFormat, typer.Option("--format", help="File format.")
    ] = PackageFormat.csv,
) -> None:
    """Write the demo company (a mid-size manufacturer) as a data package."""
    from oneplan.datapack import package_schema, write_package
    from oneplan.demo import build_demo_company

    with console.status(f"Building the demo company ({items:,} items)"):
        frames = build_demo_company(items=items, seed=seed)
        write_package(frames, path, format=_format(fmt), schema=package_schema())
    rows = sum(len(f) for f in frames.values())
    console.print(f"[green]wrote[/] {path}: {len(frames)} tables, {rows:,} rows")

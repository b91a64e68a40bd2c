"""The report command: write the executive S&OP pack (xlsx and HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan.cli.common import console, engine, handle_errors
from oneplan.config import get_settings
from oneplan.services.report import DEFAULT_FOLDER, run_report


@handle_errors
def report_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the pack into.")
    ] = DEFAULT_FOLDER,
) -> None:
    """Write the executive pack of the newest financial plan: a workbook, an HTML page, a PDF."""
    with console.status("Writing the executive pack"):
        result = run_report(engine(), output, get_settings())
    versions = ", ".join(f"{kind} #{number}" for kind, number in result.versions.items())
    console.print(f"[green]wrote[/] the executive pack for {result.cycle} ({versions})")
    for path in result.files.values():
        console.print(str(path), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``oneplan report`` to the ``oneplan`` command."""
    app.command("report")(report_command)

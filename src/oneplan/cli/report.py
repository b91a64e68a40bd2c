"""The report command: write the executive S&OP pack (xlsx, HTML and PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oneplan.cli.common import console, database, handle_errors, local_actor, say


@handle_errors
def report_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the pack into.")
    ] = Path("reports"),
) -> None:
    """Write the executive pack of the newest financial plan: a workbook, an HTML page, a PDF."""
    from oneplan.runner import run_phased
    from oneplan.services.report.service import report_run

    with console.status("Writing the executive pack"):
        result = run_phased(database(), report_run(local_actor(), output))
    versions = ", ".join(f"{kind} #{number}" for kind, number in result.versions.items())
    say(f"the executive pack for {result.cycle} ({versions})", "wrote")
    for path in result.files.values():
        say(str(path))


def register(app: typer.Typer) -> None:
    """Add ``oneplan report`` to the ``oneplan`` command."""
    app.command("report")(report_command)

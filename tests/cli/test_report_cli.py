"""``oneplan report`` end to end on a SQLite file: a clear message first, then the files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import typer
from typer.testing import CliRunner

from oneplan.cli.common import database, local_actor
from oneplan.cli.report import register
from oneplan.runner import run_phased
from oneplan.services.finance.service import finance_run

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)


@app.callback()
def _root() -> None:
    """Keeps ``report`` a named command, as under ``oneplan``."""


def test_report_without_plans_then_with_them(
    plan_by_hand: Callable[[], None], tmp_path: Path
) -> None:
    out = tmp_path / "exec"
    result = runner.invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 3
    assert "run the demand step first" in result.output

    plan_by_hand()
    run_phased(database(), finance_run(local_actor()))

    result = runner.invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote the executive pack for 2027-01 (demand #1, supply #2, finance #3)" in (
        result.output
    )
    workbook, page = out / "sop-pack-2027-01.xlsx", out / "sop-pack-2027-01.html"
    assert (out / "sop-pack-2027-01.pdf").stat().st_size > 10_000
    assert str(workbook) in result.output.replace("\n", "")
    assert openpyxl.load_workbook(workbook)["Summary"]["A11"].value == "revenue"
    assert "Gaps and the decisions asked for" in page.read_text(encoding="utf-8")

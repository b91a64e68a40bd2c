"""``oneplan report`` end to end on a SQLite file: a clear message first, then the files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import typer
from typer.testing import CliRunner

from oneplan.cli.common import engine
from oneplan.cli.report import register
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.services.imports import import_package
from oneplan.services.plans import save_version
from oneplan.services.reconcile import run_reconcile
from oneplan.services.supply import run_supply

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)


@app.callback()
def _root() -> None:
    """Keeps ``report`` a named command, as under ``oneplan``."""


def test_report_without_plans_then_with_them(
    demo_csv: Path, demo_frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    out = tmp_path / "exec"
    result = runner.invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 3
    assert "run the demand step first" in result.output

    db = engine()
    import_package(db, demo_csv, settings=get_settings())
    history = demo_frames["sales_history"]
    last = history[history["period"] >= pd.Timestamp("2026-01-01")]
    consensus = last.assign(period=last["period"] + pd.DateOffset(years=1))
    with unit_of_work(db) as session:
        save_version(
            session,
            cycle="2027-01",
            kind="demand",
            name="consensus by hand",
            frames={"consensus": consensus[["item", "location", "period", "quantity"]]},
            settings={},
            summary={},
            input_hash="-",
            user="planner",
        )
    run_supply(db, settings=get_settings())
    run_reconcile(db, get_settings())

    result = runner.invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote the executive pack for 2027-01 (demand #1, supply #2, finance #3)" in (
        result.output
    )
    workbook, page = out / "sop-pack-2027-01.xlsx", out / "sop-pack-2027-01.html"
    assert (out / "sop-pack-2027-01.pdf").stat().st_size > 10_000
    assert str(workbook) in result.output.replace("\n", "")
    assert openpyxl.load_workbook(workbook)["Summary"]["A4"].value == "revenue"
    assert "Gaps and the decisions asked for" in page.read_text(encoding="utf-8")

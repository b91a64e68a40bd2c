"""The command line end to end on a real SQLite file: demo data, validate, import, export, cycle."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from oneplan.cli.main import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "import", "export", "demo-data", "cycle", "db"):
        assert command in result.output


def test_the_whole_cycle_runs_on_the_demo_company(tmp_path: Path) -> None:
    package = tmp_path / "demo"
    result = runner.invoke(app, ["demo-data", str(package), "--items", "20"])
    assert result.exit_code == 0, result.output
    assert "2026-07, 2026-08, 2026-09 run and released" in result.output
    assert (package / "items.csv").exists()
    result = runner.invoke(app, ["cycle", "run", str(package)])
    assert result.exit_code == 0, result.output
    for step in ("validate", "import", "demand", "supply", "finance", "report"):
        assert step in result.output
    packs = sorted(p.suffix for p in (tmp_path / "reports").iterdir())
    assert packs == [".html", ".pdf", ".xlsx"]
    again = runner.invoke(app, ["cycle", "run", str(package), "--step", "import"])
    assert again.exit_code == 0, again.output
    assert "inserted 0" in again.output and "updated 0" in again.output
    assert "unchanged 0" not in again.output  # every row was seen and found unchanged
    # the demo's three past months were run and released: their KPIs have a trend
    kpis = runner.invoke(app, ["cycle", "kpis"], env={"COLUMNS": "200"})
    assert kpis.exit_code == 0, kpis.output
    for month in ("2026-07", "2026-08", "2026-09"):
        assert month in kpis.output
    assert "WAPE, consensus, lag 3" in kpis.output and "value added by dora" in kpis.output


def test_the_demo_data_alone_leaves_the_database_untouched(tmp_path: Path, database: Path) -> None:
    result = runner.invoke(
        app, ["demo-data", str(tmp_path / "demo"), "--items", "20", "--no-history"]
    )
    assert result.exit_code == 0, result.output
    assert not database.exists()


def test_validate_names_file_row_and_column(demo_csv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(demo_csv, bad)
    items = pd.read_csv(bad / "items.csv", dtype=str, keep_default_na=False)
    items.loc[1, "lifecycle_status"] = "zombie"
    items.to_csv(bad / "items.csv", index=False)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "items.csv, row 3, column lifecycle_status" in result.output
    assert "zombie" in result.output


def test_import_and_export_round_trip(demo_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(demo_csv)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["export", str(out), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_unknown_step_is_a_clear_error() -> None:
    result = runner.invoke(app, ["cycle", "run", "--step", "dance"])
    assert result.exit_code == 3
    assert "unknown step(s) dance" in result.output


def test_outdated_database_is_refused(database: Path, demo_csv: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    result = runner.invoke(app, ["import", str(demo_csv)])
    assert result.exit_code == 4
    assert "run `oneplan db upgrade` first" in result.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_a_notes_sheet_is_left_out_and_said(tmp_path: Path, demo_frames: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    from oneplan.datapack import package_schema, write_package

    book = tmp_path / "package.xlsx"
    write_package(demo_frames, book, format="xlsx", schema=package_schema())
    workbook = load_workbook(book)
    workbook.create_sheet("Notes").append(["prices agreed with [sales] on 3 March"])
    workbook.save(book)
    for command in ("validate", "import"):
        result = runner.invoke(app, [command, str(book)])
        assert result.exit_code == 0, result.output
        assert "left out:" in result.output and "sheet Notes" in result.output


def test_a_package_that_does_not_exist_is_a_clear_problem(database: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    for command in (["validate"], ["import"], ["cycle", "run"]):
        result = runner.invoke(app, [*command, str(missing)])
        assert result.exit_code == 2, (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        text = " ".join(result.output.split())
        assert f"{missing}: no such folder or file" in text, (command, text)
        assert "Traceback" not in text and "FileNotFoundError" not in text
    assert not database.exists()  # nothing was read, nothing was created


def test_validate_checks_against_a_database_that_holds_data(
    database: Path, demo_csv: Path, tmp_path: Path
) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(demo_csv / "sales_history.csv", partial / "sales_history.csv")
    # no database yet: the package is checked alone, and no database is made for it
    alone = runner.invoke(app, ["validate", str(partial)])
    assert alone.exit_code == 2
    assert "checked alone" in alone.output
    assert "rows refer to items that are not in this package" in alone.output
    assert not database.exists()

    assert runner.invoke(app, ["import", str(demo_csv)]).exit_code == 0
    result = runner.invoke(app, ["validate", str(partial)])
    assert result.exit_code == 0, result.output
    assert "checked against the database" in result.output and "1 tables" in result.output
    standalone = runner.invoke(app, ["validate", "--standalone", str(partial)])
    assert standalone.exit_code == 2
    assert "checked alone" in standalone.output
    assert runner.invoke(app, ["validate", "--against-db", str(partial)]).exit_code == 0


def test_validate_against_the_database_needs_one(database: Path, demo_csv: Path) -> None:
    result = runner.invoke(app, ["validate", "--against-db", str(demo_csv)])
    assert result.exit_code == 3
    assert "no database" in result.output and "--standalone" in result.output
    assert not database.exists()


def test_import_replaces_a_snapshot_table(demo_csv: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(demo_csv)]).exit_code == 0
    month_end = tmp_path / "month-end"
    month_end.mkdir()
    stock = pd.read_csv(demo_csv / "inventory.csv", dtype=str, keep_default_na=False)
    stock.head(5).to_csv(month_end / "inventory.csv", index=False)
    result = runner.invoke(app, ["import", str(month_end), "--replace", "inventory"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"inventory │ 0 │ 0 │ {len(stock) - 5:,}" in text
    assert "inventory: rows the package does not hold were deleted" in text
    refused = runner.invoke(app, ["import", str(month_end), "--replace", "items"])
    assert refused.exit_code == 2 and "items cannot be replaced" in refused.output


def test_validate_without_a_reachable_server_checks_the_package_alone(
    demo_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oneplan.config import get_settings

    monkeypatch.setenv("ONEPLAN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    get_settings.cache_clear()
    result = runner.invoke(app, ["validate", str(demo_csv)])
    assert result.exit_code == 0, result.output
    assert "checked alone" in result.output
    refused = runner.invoke(app, ["validate", "--against-db", str(demo_csv)])
    assert refused.exit_code == 3 and "cannot be reached" in refused.output

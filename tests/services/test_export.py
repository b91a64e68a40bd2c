"""Export, import into an empty database and export again gives identical files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from oneplan.datapack.write import Format
from oneplan.db import migrate
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.data.service import export_package


def export(engine: sa.Engine, path: Path, fmt: str) -> None:
    with unit_of_work(engine, write=False) as session:
        export_package(session, Actor.administrator("tester"), path, fmt)


def sheet_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    finally:
        workbook.close()


def files_of(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_import_export_is_identical(
    engine: sa.Engine,
    db_kind: str,
    make_engine: Callable[[str], sa.Engine],
    prepare: Any,
    tmp_path: Path,
    fmt: Format,
) -> None:
    prepare.import_demo(engine)
    first = tmp_path / ("first.xlsx" if fmt == "xlsx" else "first")
    export(engine, first, fmt)

    fresh = make_engine(db_kind)  # an empty database of the same kind
    migrate.upgrade(fresh)
    prepare.import_demo(fresh, first)
    second = tmp_path / ("second.xlsx" if fmt == "xlsx" else "second")
    export(fresh, second, fmt)

    if fmt == "xlsx":
        assert sheet_values(first) == sheet_values(second)
    else:
        assert files_of(first) == files_of(second)


def test_csv_export_equals_the_imported_package(
    engine: sa.Engine, demo_csv: Path, prepare: Any, tmp_path: Path
) -> None:
    """What oneplan writes as a package, it reads back and writes again byte for byte."""
    prepare.import_demo(engine)
    export(engine, tmp_path / "out", "csv")
    exported = files_of(tmp_path / "out")
    original = files_of(demo_csv)
    assert set(original) <= set(exported)
    assert {k: exported[k] for k in original} == original

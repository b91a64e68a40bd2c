"""Export, import into an empty database and export again gives identical files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.datapack.write import Format
from oneplan.db import migrate
from oneplan.services.exports import export_package
from oneplan.services.imports import import_package


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
    demo_csv: Path,
    settings: Settings,
    tmp_path: Path,
    fmt: Format,
) -> None:
    import_package(engine, demo_csv, settings=settings)
    first = tmp_path / ("first.xlsx" if fmt == "xlsx" else "first")
    export_package(engine, first, fmt)

    fresh = make_engine(db_kind)  # an empty database of the same kind
    migrate.upgrade(fresh)
    import_package(fresh, first, settings=settings)
    second = tmp_path / ("second.xlsx" if fmt == "xlsx" else "second")
    export_package(fresh, second, fmt)

    if fmt == "xlsx":
        assert sheet_values(first) == sheet_values(second)
    else:
        assert files_of(first) == files_of(second)


def test_csv_export_equals_the_imported_package(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    """What oneplan writes as a package, it reads back and writes again byte for byte."""
    import_package(engine, demo_csv, settings=settings)
    export_package(engine, tmp_path / "out", "csv")
    exported = files_of(tmp_path / "out")
    original = files_of(demo_csv)
    assert set(original) <= set(exported)
    assert {k: exported[k] for k in original} == original

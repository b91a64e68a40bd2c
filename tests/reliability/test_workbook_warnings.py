"""A workbook's extra sheets (notes, pivots) are left out with a warning that travels with the
validation result, instead of refusing the whole workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from oneplan.datapack import package_schema, read_package
from oneplan.datapack.validate import validate_raw
from oneplan.errors import Notice

SCHEMA = package_schema()


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def test_an_extra_sheet_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    families = [["code", "name", "category"], ["F1", "One", "Garden"]]
    _workbook(path, {"families": families, "Notes": [["call Bob"]], "family": families})
    raw = read_package(path, SCHEMA)
    assert raw.problems == []
    assert set(raw.tables) == {"families"}
    result = validate_raw(raw, SCHEMA)
    assert result.problems == []
    assert list(result.frames) == ["families"]
    assert [(w.file, w.message.split(";")[0]) for w in result.warnings] == [
        ("plan.xlsx, sheet Notes", "ignored: not a table of the data package"),
        ("plan.xlsx, sheet family", "ignored: not a table of the data package"),
    ]
    assert "did you mean families?" in result.warnings[1].message
    assert all(isinstance(w, Notice) for w in result.warnings)


def test_warnings_travel_with_problems(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name"], ["F1", "One"]], "Notes": [["x"]]})
    result = validate_raw(read_package(path, SCHEMA), SCHEMA)
    assert [p.message for p in result.problems] == ["required column is missing"]
    assert [w.file for w in result.warnings] == ["plan.xlsx, sheet Notes"]
    assert not result.valid

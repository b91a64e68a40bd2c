"""Edge cases of real ERP exports: blank lines, empty Parquet strings, integers too large."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oneplan.datapack import package_schema, read_package, validate_package


def problems_of(path: Path) -> list[str]:
    _, problems = validate_package(read_package(path), package_schema())
    return [str(p) for p in problems]


def test_a_blank_line_keeps_the_row_numbers_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_text("code,name,category\nF1,One,C\n\nF2,,C\n")
    assert problems_of(tmp_path) == ["families.csv, row 4, column name: is empty but required"]


def test_an_empty_parquet_string_is_missing_like_an_empty_csv_cell(tmp_path: Path) -> None:
    frame = pd.DataFrame({"code": ["", "F3"], "name": ["", "Three"], "category": ["C", "C"]})
    frame.to_parquet(tmp_path / "families.parquet")
    assert problems_of(tmp_path) == [
        "families.parquet, row 2, column code: is empty but required",
        "families.parquet, row 2, column name: is empty but required",
    ]


def test_an_integer_the_database_cannot_hold_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "lanes.csv").write_text(
        "from_location,to_location,lead_time_periods,cost_per_unit\nA,B,3000000000,1\n"
    )
    (tmp_path / "locations.csv").write_text("code,name,kind,region\nA,A,plant,R\nB,B,warehouse,R\n")
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("lanes.csv, row 2, column lead_time_periods")
    assert "3000000000" in found[0]

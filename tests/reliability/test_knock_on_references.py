"""One refused table is one cause: references into it are one problem per referring column,
not one per row; a few references to keys that are simply absent stay listed row by row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oneplan.datapack import package_schema, read_package, validate_package
from oneplan.datapack.validate import FEW_MISSING_REFERENCES
from oneplan.errors import Problem

SCHEMA = package_schema()
LOCATIONS = {"locations": {"L1", "L2"}}


def problems_of(path: Path, known: dict[str, set[str]] | None = None) -> list[Problem]:
    return validate_package(read_package(path, SCHEMA), SCHEMA, known)[1]


def test_a_refused_items_file_is_one_problem_per_referring_column(
    tmp_path: Path, demo_csv: Path
) -> None:
    package = tmp_path / "package"
    shutil.copytree(demo_csv, package)
    items = (package / "items.csv").read_bytes()
    (package / "items.csv").write_bytes(items.replace(b"\n", b"\n\xff", 1))  # row 2 is refused
    problems = problems_of(package)
    assert problems[0].file == "items.csv" and "UTF-8" in problems[0].message
    referring = problems[1:]
    located = [(p.file, p.column) for p in referring]
    assert len(located) == len(set(located)), "one problem per referring table and column"
    assert all(p.row is None for p in referring)
    sales = next(p for p in referring if p.file == "sales_history.csv")
    assert sales.column == "item"
    assert sales.message.startswith(
        "1,368 rows refer to items that are not in items.csv (or were refused there): "
        '"HOS-0001", "HOS-0002", '
    )
    assert sales.message.endswith(", ... (28 different)")
    assert len(problems) < 25, [str(p) for p in problems]


def _sales(rows: int) -> str:
    lines = [f"Z{i},L1,2027-01-01,1" for i in range(rows)]
    return "item,location,period,quantity\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("rows", [1, FEW_MISSING_REFERENCES])
def test_a_few_missing_references_stay_one_problem_per_row(tmp_path: Path, rows: int) -> None:
    (tmp_path / "sales_history.csv").write_text(_sales(rows))
    problems = problems_of(tmp_path, LOCATIONS)
    assert [p.row for p in problems] == list(range(2, rows + 2))
    assert problems[0].message == (
        '"Z0" is not a code in items (neither in this package nor in the database)'
    )


def test_many_missing_references_collapse_into_one_problem(tmp_path: Path) -> None:
    (tmp_path / "sales_history.csv").write_text(_sales(6) + "Z0,L2,2027-01-01,1\n")
    assert problems_of(tmp_path, LOCATIONS) == [
        Problem(
            "sales_history.csv",
            None,
            "item",
            "7 rows refer to items that are neither in this package nor in the database: "
            '"Z0", "Z1", "Z2", "Z3", "Z4", ... (6 different)',
        )
    ]

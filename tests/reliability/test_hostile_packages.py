"""Packages that are empty, damaged or hostile are refused with a plain problem, never read as
an empty import, and nothing of what they point at is echoed back."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from oneplan.datapack import package_schema, read_package, validate_package
from oneplan.errors import Problem, ValidationFailed

SCHEMA = package_schema()
SECRET = "root:x:0:0:SECRET-LINE:/root:/bin/bash\nsecond,SECRET-LINE,x,y\n"


def problems_of(path: Path) -> list[Problem]:
    return validate_package(read_package(path, SCHEMA), SCHEMA)[1]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def _rewrite(path: Path, part: str, change: dict[bytes, bytes], drop: tuple[str, ...] = ()) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist() if name not in drop}
    for old, new in change.items():
        assert old in parts[part], (old, parts[part][:400])
        parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    frames, problems = validate_package(read_package(tmp_path, SCHEMA), SCHEMA)
    assert frames == {}
    assert len(problems) == 1, problems
    assert problems[0].file == tmp_path.name
    assert problems[0].message.startswith("holds no table; expected one of customers.csv, ")
    assert "items.csv" in problems[0].message and "sheet per table" in problems[0].message


def test_a_folder_of_only_notes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "_notes.csv").write_text("anything\n")
    (tmp_path / "datapackage.json").write_text("{}")
    [problem] = problems_of(tmp_path)
    assert problem.message.startswith("holds no table")


def test_a_workbook_of_only_notes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"_readme": [["notes for people"]]})
    [problem] = problems_of(path)
    assert problem.file == "plan.xlsx"
    assert problem.message.startswith("holds no table; expected a sheet named after a table")


def test_importing_an_empty_folder_changes_nothing(
    engine: sa.Engine, prepare: Any, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationFailed) as caught:
        prepare.import_demo(engine, empty)
    assert [p.message.split(";")[0] for p in caught.value.problems] == ["holds no table"]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM imports")).scalar_one() == 0


def test_sheets_whose_parts_are_missing_or_outside_the_workbook_are_named(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name", "category"], ["F1", "One", "C"]], "items": []})
    _rewrite(
        path,
        "xl/_rels/workbook.xml.rels",
        {
            b"/xl/worksheets/sheet1.xml": b"../../../../etc/passwd",
            b"/xl/worksheets/sheet2.xml": b"/xl/worksheets/gone.xml",
        },
    )
    raw = read_package(path, SCHEMA)
    assert raw.tables == {}
    found = {(p.file, p.message) for p in problems_of(path)}
    assert (
        "plan.xlsx, sheet families",
        "cannot be read: its part ../../../../etc/passwd lies outside the workbook",
    ) in found
    assert (
        "plan.xlsx, sheet items",
        "cannot be read: its part xl/worksheets/gone.xml is missing from the workbook",
    ) in found
    assert len(found) == 2, found


def test_a_sheet_without_a_relationship_is_named(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name", "category"], ["F1", "One", "C"]]})
    _rewrite(path, "xl/workbook.xml", {b'r:id="rId1"': b'r:id="rId99"'})
    assert [(p.file, p.message) for p in problems_of(path)] == [
        (
            "plan.xlsx, sheet families",
            "cannot be read: the workbook does not say which part holds it",
        )
    ]


def test_a_damaged_sheet_part_is_named(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name", "category"], ["F1", "One", "C"]]})
    _rewrite(path, "xl/worksheets/sheet1.xml", {b"</sheetData>": b"</sheetDat"})
    [problem] = problems_of(path)
    assert problem.file == "plan.xlsx, sheet families"
    assert problem.message.startswith(
        "cannot be read: its part xl/worksheets/sheet1.xml is damaged"
    )


def test_xml_entities_are_refused_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name", "category"], ["F1", "One", "C"]]})
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    _rewrite(path, "xl/styles.xml", {b"<styleSheet": bomb + b"<styleSheet"})
    [problem] = problems_of(path)
    assert problem.file == "plan.xlsx"
    assert "xl/styles.xml" in problem.message and "DTD" in problem.message


def test_a_symbolic_link_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    package = tmp_path / "package"
    package.mkdir()
    (package / "families.csv").write_text("code,name,category\nF1,One,C\n")
    (package / "customers.csv").symlink_to(secret)
    (package / "items.csv").symlink_to(package / "families.csv")  # even inside the folder
    raw = read_package(package, SCHEMA)
    assert set(raw.tables) == {"families"}
    assert raw.problems == [
        Problem("customers.csv", None, None, "is a symbolic link; copy the file into the package"),
        Problem("items.csv", None, None, "is a symbolic link; copy the file into the package"),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "items.csv")
    assert read_package(tmp_path, SCHEMA).problems == [
        Problem("items.csv", None, None, "is not a regular file")
    ]


def _assert_short_and_escaped(problem: Problem) -> None:
    text = str(problem)
    assert "SECRET" not in text
    assert len(problem.message) <= 120, problem.message
    assert not re.search(r"[\x00-\x1f\x7f]", text), text


def test_a_bad_row_is_echoed_only_as_a_short_escaped_excerpt(tmp_path: Path) -> None:
    junk = "\x1b[2J" + "\x7f" * 40 + "z" * 5000 + "SECRET"
    (tmp_path / "families.csv").write_text(f"code,name,category\nF1,One,C\nF2,{junk},x,y\n")
    problems = problems_of(tmp_path)
    assert problems, "a ragged row must be a problem"
    for problem in problems:
        _assert_short_and_escaped(problem)
    assert any("\\x1b[2J" in p.message for p in problems), problems


def test_a_long_header_name_is_echoed_only_as_a_short_escaped_excerpt(tmp_path: Path) -> None:
    name = "\x1b]0;title\x07" + "h" * 5000 + "SECRET"
    (tmp_path / "families.csv").write_text(f"code,name,category,{name}\nF1,One,C,x\n")
    problems = problems_of(tmp_path)
    assert [p.row for p in problems] == [1]
    for problem in problems:
        _assert_short_and_escaped(problem)
        assert problem.column is not None and len(problem.column) <= 64


def test_a_long_bad_cell_in_a_workbook_is_echoed_short(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    long_value = "9" * 3000 + "SECRET"
    rows: list[list[object]] = [["item", "location", "period", "quantity"]]
    rows.append(["A", "L1", "2027-01-01", long_value])
    _workbook(path, {"sales_history": rows})
    problems = validate_package(read_package(path, SCHEMA), SCHEMA, {"items": {"A"}})[1]
    [bad] = [p for p in problems if p.column == "quantity"]
    _assert_short_and_escaped(bad)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b'<c r="A2"', b'<c r="ZZZZ2"', "has a cell in column 475,254, past the last"),
        (b'<row r="2"', b'<row r="2000000"', "has a row 2,000,000, past the last"),
        (b'<row r="2"', b'<row r="1"', "its rows are out of order (row 1 after 1)"),
    ],
)
def test_a_sheet_past_the_bounds_of_a_sheet_is_named(
    tmp_path: Path, old: bytes, new: bytes, reason: str
) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"families": [["code", "name", "category"], ["F1", "One", "C"]]})
    _rewrite(path, "xl/worksheets/sheet1.xml", {old: new})
    [problem] = problems_of(path)
    assert problem.file == "plan.xlsx, sheet families"
    assert reason in problem.message

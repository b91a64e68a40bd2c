"""Reading: text cells with their row numbers; unsafe or mislabelled files are problems."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from oneplan.datapack.read import read_package
from oneplan.datapack.safety import ReadLimits
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema
from oneplan.errors import Problem

SCHEMA = PackageSchema(
    (
        TableSchema("families", "", (ColumnSchema("code", "string", True, True),), ("code",)),
        TableSchema("items", "", (ColumnSchema("code", "string", True, True),), ("code",)),
    )
)


def cells(frame: pd.DataFrame) -> dict[str, list[object]]:
    return {c: [None if pd.isna(v) else v for v in frame[c]] for c in frame.columns}


def test_csv_cells_stay_text_with_row_numbers(tmp_path: Path) -> None:
    text = '\ufeffcode, name ,qty\n007,"Bike, red",1.50\n,,\nX,\'=SUM(A1),\n'
    (tmp_path / "items.csv").write_text(text, encoding="utf-8")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == []
    table = raw.tables["items"]
    assert table.source == "items.csv"
    assert list(table.frame.index) == [2, 4]  # the all-empty row 3 is dropped, numbering kept
    assert cells(table.frame) == {
        "code": ["007", "X"],
        "name": ["Bike, red", "=SUM(A1)"],
        "qty": ["1.50", None],
    }


def test_the_quote_guard_is_removed_only_before_formula_characters(tmp_path: Path) -> None:
    values = ["'=x", "'+1", "'-2", "'@me", "''=x", "'plain", "''", "it's", "'\tx"]
    body = "".join(f'"{v}"\n' for v in values)
    (tmp_path / "families.csv").write_text("code\n" + body)
    frame = read_package(tmp_path, SCHEMA).tables["families"].frame
    assert frame["code"].tolist() == ["=x", "+1", "-2", "@me", "'=x", "'plain", "'", "it's", "\tx"]


def test_ignored_and_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_text("code\nF1\n")
    (tmp_path / "_notes.csv").write_text("anything")
    (tmp_path / ".hidden").write_text("anything")
    (tmp_path / "datapackage.json").write_text("{}")
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "plants.csv").write_text("code\nP1\n")
    (tmp_path / "sub").mkdir()
    raw = read_package(tmp_path, SCHEMA)
    assert set(raw.tables) == {"families"}
    assert [(p.file, p.message.split(";")[0]) for p in raw.problems] == [
        ("plants.csv", "unknown table 'plants'"),
        ("readme.txt", "unknown file: expected <table>.csv or .parquet"),
        ("sub", "unexpected folder"),
    ]


def test_a_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_bytes(b"code\n\x00\x01\x02binary")
    (tmp_path / "families.csv").write_bytes(b"PK\x03\x04rest of a zip")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.tables == {}
    assert [p.file for p in raw.problems] == ["families.csv", "items.csv"]
    assert "zip archive" in raw.problems[0].message
    assert "binary data" in raw.problems[1].message


def test_utf16_and_invalid_utf8_and_ragged_rows(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_bytes("code\nA\n".encode("utf-16"))
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == [
        Problem("items.csv", None, None, "is UTF-16 text; save it as UTF-8 CSV")
    ]
    (tmp_path / "items.csv").write_bytes(b"code\nA\xff\xfe\n")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.tables == {}
    assert raw.problems == [
        Problem(
            "items.csv",
            2,
            "code",
            "'A\\xff\\xfe' is not valid UTF-8 text; save the file as UTF-8 CSV",
        )
    ]
    (tmp_path / "items.csv").write_text("code,name\nA,x\nB,y,z\n")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.tables == {}
    assert raw.problems == [
        Problem("items.csv", 3, None, "has 3 cells but the header has 2: 'B,y,z'")
    ]


def test_repeated_and_unnamed_header_cells(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text("code,,code\nA,1,2\n")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == [
        Problem("items.csv", 1, None, "column 2 has no name"),
        Problem("items.csv", 1, "code", "column appears more than once"),
    ]


def test_oversized_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text("code\n" + "A\n" * 100)
    raw = read_package(tmp_path, SCHEMA, ReadLimits(max_file_bytes=50))
    assert raw.tables == {}
    assert raw.problems[0].file == "items.csv"
    assert "more than the 50 allowed" in raw.problems[0].message


def _workbook(path: Path, rows_by_sheet: dict[str, list[list[object]]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in rows_by_sheet.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def test_xlsx_cells_become_canonical_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(
        path,
        {
            "items": [
                ["code", "price", "count", "since", "kit"],
                [1001, 0.1, 3.0, dt.datetime(2027, 3, 1), True],
                [None, None, None, None, None],
                ["B", -2.5, 12, dt.date(2027, 4, 1), False],
            ],
            "_readme": [["notes for people"]],
            "plants": [["code"], ["P1"]],
        },
    )
    raw = read_package(path, SCHEMA)
    assert raw.problems == []
    assert [(w.file, w.message.split(";")[0]) for w in raw.warnings] == [
        ("plan.xlsx, sheet plants", "ignored: not a table of the data package")
    ]
    table = raw.tables["items"]
    assert table.source == "plan.xlsx, sheet items"
    assert list(table.frame.index) == [2, 4]
    assert cells(table.frame) == {
        "code": ["1001", "B"],
        "price": ["0.1", "-2.5"],
        "count": ["3", "12"],
        "since": ["2027-03-01", "2027-04-01"],
        "kit": ["true", "false"],
    }


def _patch_part(path: Path, part: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_xlsx_formulas_are_never_evaluated(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(path, {"items": [["code", "qty", "total"], ["A", 2, "=B2*3"], ["B", 4, "=B3*3"]]})
    # Give the first formula a saved result, as a spreadsheet program would.
    _patch_part(path, "xl/worksheets/sheet1.xml", b"<f>B2*3</f><v />", b"<f>B2*3</f><v>6</v>")
    raw = read_package(path, SCHEMA)
    assert raw.tables["items"].frame["total"].tolist()[0] == "6"
    assert pd.isna(raw.tables["items"].frame["total"].tolist()[1])
    assert raw.problems == [
        Problem(
            "plan.xlsx, sheet items",
            3,
            "total",
            "holds a formula without a saved result; save the workbook in a spreadsheet "
            "program or paste the values",
        )
    ]


def test_an_xlsx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_text("code\nA\n")
    raw = read_package(path, SCHEMA)
    assert raw.problems == [
        Problem("plan.xlsx", None, None, "is not an xlsx workbook (it is not a zip archive)")
    ]


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (16 * 1024 * 1024))
    raw = read_package(path, SCHEMA)
    assert len(raw.problems) == 1 and raw.problems[0].file == "plan.xlsx"
    assert "possible zip bomb" in raw.problems[0].message
    raw = read_package(path, SCHEMA, ReadLimits(max_uncompressed_bytes=1024 * 1024))
    assert "would inflate to" in raw.problems[0].message
    raw = read_package(path, SCHEMA, ReadLimits(max_members=2))
    assert "has 3 parts" in raw.problems[0].message


def test_a_plain_zip_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    raw = read_package(path, SCHEMA)
    assert raw.problems == [
        Problem("plan.xlsx", None, None, "is a zip archive but not an xlsx workbook")
    ]


def test_parquet_cells_become_canonical_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "code": pa.array(["A", None, "'=x"]),
            "qty": pa.array([1.5, 2.0, None]),
            "count": pa.array([1, 2, 3], pa.int64()),
            "since": pa.array([dt.date(2027, 1, 1), None, dt.date(2027, 2, 1)], pa.date32()),
            "stamp": pa.array(
                np.array(["2027-01-01", "2027-01-01", "2027-01-01T06:00"], "datetime64[s]")
            ),
        }
    )
    pq.write_table(table, tmp_path / "items.parquet")
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == []
    frame = raw.tables["items"].frame
    assert list(frame.index) == [2, 3, 4]
    assert cells(frame) == {
        "code": ["A", None, "'=x"],  # no CSV guard to undo in Parquet
        "qty": ["1.5", "2", None],
        "count": ["1", "2", "3"],
        "since": ["2027-01-01", None, "2027-02-01"],
        "stamp": ["2027-01-01", "2027-01-01", "2027-01-01 06:00:00.000"],
    }


def test_a_parquet_without_its_signature_is_refused(tmp_path: Path) -> None:
    (tmp_path / "items.parquet").write_bytes(b"code\nA\n" * 4)
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == [
        Problem("items.parquet", None, None, "is not a Parquet file (it lacks the PAR1 signature)")
    ]


def test_the_same_table_twice_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text("code\nA\n")
    buffer = io.BytesIO()
    pq.write_table(pa.table({"code": ["A"]}), buffer)
    (tmp_path / "items.parquet").write_bytes(buffer.getvalue())
    raw = read_package(tmp_path, SCHEMA)
    assert raw.problems == [
        Problem("items.parquet", None, None, "table items is given twice in this folder")
    ]
    assert read_package(tmp_path / "nope", SCHEMA).problems == [
        Problem("nope", None, None, "does not exist")
    ]
    single = read_package(tmp_path / "items.csv", SCHEMA)
    assert single.problems == [] and list(single.tables) == ["items"]


def test_xlsx_sheets_that_are_empty_or_spill_past_the_header(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    _workbook(
        path,
        {
            "families": [],
            "items": [["code", None], ["A", None, "stray"], ["B"]],
        },
    )
    raw = read_package(path, SCHEMA)
    assert raw.problems == [
        Problem("plan.xlsx, sheet families", None, None, "is empty: a header row is expected"),
        Problem("plan.xlsx, sheet items", 2, None, "has values right of the last named column"),
    ]
    assert cells(raw.tables["items"].frame) == {"code": ["A", "B"]}

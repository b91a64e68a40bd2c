"""Writing: canonical files, formula-like text made inert, numbers kept numeric."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from oneplan.datapack.read import read_package
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema
from oneplan.datapack.validate import validate_package
from oneplan.datapack.write import canonical_frame, write_package

SALES = TableSchema(
    "sales_history",
    "",
    (
        ColumnSchema("item", "string", True, True),
        ColumnSchema("period", "date", True, True, monthly=True),
        ColumnSchema("quantity", "number", True),
        ColumnSchema("orders", "integer"),
        ColumnSchema("note", "string"),
        ColumnSchema("promoted", "boolean", True, default=False),
    ),
    ("item", "period"),
)
SCHEMA = PackageSchema((SALES,))
HYPERLINK = '=HYPERLINK("http://evil.example","click")'


def sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "note": [HYPERLINK, None, "-5 units", "+fast", "@sum"],
            "quantity": [-5.0, 0.1, 1e20, 3.0, 2.5],
            "period": pd.to_datetime(
                ["2027-02-01", "2027-01-01", "2027-01-01", "2026-12-01", "2027-03-01"]
            ),
            "item": ["B", "B", "A", "C", "A"],
            "orders": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "promoted": [True, False, False, True, False],
        }
    )


def test_csv_is_canonical_and_formula_text_is_guarded(tmp_path: Path) -> None:
    [path] = write_package({"sales_history": sales()}, tmp_path, "csv", SCHEMA)
    assert path.read_text(encoding="utf-8").splitlines() == [
        '"item","period","quantity","orders","note","promoted"',
        '"A",2027-01-01,1e+20,3,"\'-5 units",false',
        '"A",2027-03-01,2.5,5,"\'@sum",false',
        '"B",2027-01-01,0.1,,,false',
        '"B",2027-02-01,-5,1,"\'=HYPERLINK(""http://evil.example"",""click"")",true',
        '"C",2026-12-01,3,4,"\'+fast",true',
    ]


def test_xlsx_stores_formula_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    [path] = write_package({"sales_history": sales()}, tmp_path / "plan.xlsx", "xlsx", SCHEMA)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    workbook = openpyxl.load_workbook(path)  # not read-only: formulas would show as type "f"
    sheet = workbook["sales_history"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == [
        "item",
        "period",
        "quantity",
        "orders",
        "note",
        "promoted",
    ]
    hyperlink_row = sheet[5]
    assert hyperlink_row[4].value == HYPERLINK and hyperlink_row[4].data_type == "s"
    assert hyperlink_row[2].value == -5 and hyperlink_row[2].data_type == "n"
    assert sheet[2][4].value == "-5 units" and sheet[2][4].data_type == "s"
    assert sheet[4][3].value is None  # missing stays empty
    assert sheet[2][1].is_date


def test_rows_are_sorted_by_key_and_columns_follow_the_schema(tmp_path: Path) -> None:
    write_package({"sales_history": sales()}, tmp_path, "parquet", SCHEMA)
    table = pq.read_table(tmp_path / "sales_history.parquet")
    assert table.column_names == list(SALES.column_names)
    assert table.column("item").to_pylist() == ["A", "A", "B", "B", "C"]
    assert str(table.schema.field("period").type) == "date32[day]"
    assert table.column("note").to_pylist()[3] == HYPERLINK  # Parquet needs no guard


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_import_export_gives_identical_files(tmp_path: Path, fmt: str) -> None:
    first = write_package({"sales_history": sales()}, tmp_path / "one", fmt, SCHEMA)
    raw = read_package(tmp_path / "one", SCHEMA)
    frames, problems = validate_package(raw, SCHEMA)
    assert problems == []
    second = write_package(frames, tmp_path / "two", fmt, SCHEMA)
    assert first[0].read_bytes() == second[0].read_bytes()


def test_provenance_columns_are_dropped_and_unknown_ones_refused(tmp_path: Path) -> None:
    frame = sales().assign(created_by="admin")
    write_package({"sales_history": frame}, tmp_path, "csv", SCHEMA)
    header = (tmp_path / "sales_history.csv").read_text().splitlines()[0]
    assert "created_by" not in header
    with pytest.raises(ValueError, match="unknown column"):
        write_package({"sales_history": frame.assign(colour="red")}, tmp_path, "csv", SCHEMA)
    with pytest.raises(ValueError, match="unknown table 'plants'"):
        write_package({"plants": frame}, tmp_path, "csv", SCHEMA)
    with pytest.raises(ValueError, match="required column quantity is missing"):
        write_package({"sales_history": frame.drop(columns="quantity")}, tmp_path, "csv", SCHEMA)
    with pytest.raises(ValueError, match="unknown format"):
        write_package({"sales_history": frame}, tmp_path, "json", SCHEMA)  # type: ignore[arg-type]


def test_canonical_frame_coerces_plain_python_values() -> None:
    frame = pd.DataFrame(
        {
            "item": [7, "A"],
            "period": ["2027-01-01", "2027-02-01"],
            "quantity": ["1.5", 2],
            "orders": [1.0, np.nan],
            "promoted": [True, False],
        }
    )
    typed = canonical_frame(frame, SALES)
    assert typed["item"].tolist() == ["7", "A"]
    assert typed["period"].dtype == "datetime64[ns]"
    assert typed["quantity"].tolist() == [1.5, 2.0]
    assert typed["orders"].dtype == "Int64"
    assert typed["note"].isna().all()
    assert typed["promoted"].dtype == bool

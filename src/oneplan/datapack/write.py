"""Write typed frames as a data package: a CSV folder, a Parquet folder or one xlsx workbook.

Files are canonical, so export -> import -> export gives the same content: columns in schema
order, rows sorted by the natural key, dates as ``YYYY-MM-DD``, numbers in the shortest form that
reads back exactly (whole numbers without ``.0``), missing values as empty cells.

Formula injection: a spreadsheet program would run text such as ``=HYPERLINK(...)`` as a formula.
In CSV, a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab, carriage return or ``'`` is
written with one extra ``'`` in front; the reader removes exactly one ``'`` when it is followed
by one of those characters, so the round trip is exact. In xlsx, text is always stored as a
text cell, never as a formula. Numbers are never quoted: ``-5`` in a number column stays a
number. Parquet keeps values as typed columns and needs no guard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from oneplan.datapack.schema import PROVENANCE_COLUMNS, PackageSchema, TableSchema, package_schema

Format = Literal["csv", "xlsx", "parquet"]
GUARD_PATTERN = r"^([=+\-@\t\r'])"
XLSX_MAX_ROWS = 1_048_576


def canonical_frame(frame: pd.DataFrame, table: TableSchema) -> pd.DataFrame:
    """`frame` with exactly the schema's columns in order, typed, sorted by the natural key.

    >>> from oneplan.datapack.schema import ColumnSchema
    >>> t = TableSchema("families", "", (ColumnSchema("code", "string", True, True),), ("code",))
    >>> canonical_frame(pd.DataFrame({"code": ["F2", "F1"]}), t)["code"].tolist()
    ['F1', 'F2']
    """
    unknown = [
        c for c in frame.columns if c not in table.column_names and c not in PROVENANCE_COLUMNS
    ]
    if unknown:
        raise ValueError(f"table {table.name}: unknown column(s) {', '.join(map(str, unknown))}")
    columns: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            if col.required:
                raise ValueError(f"table {table.name}: required column {col.name} is missing")
            values: Any = pd.Series(np.nan, index=frame.index, dtype="object")
        else:
            values = frame[col.name]
        if col.type == "string":
            values = values.astype(object)
            values = values.where(values.isna(), values.astype(str)).where(values.notna(), np.nan)
        elif col.type == "number":
            values = pd.to_numeric(values).astype("float64")
        elif col.type == "integer":
            values = pd.to_numeric(values).astype("Int64")
        elif col.type in ("date", "datetime"):
            values = pd.to_datetime(values).astype("datetime64[ns]")
            values = values.dt.normalize() if col.type == "date" else values
        else:
            values = values.astype("boolean")
            values = values.astype(bool) if values.notna().all() else values
        columns[col.name] = values
    typed = pd.DataFrame(columns, index=frame.index)
    if table.key:
        typed = typed.sort_values(list(table.key), kind="stable", na_position="last")
    return typed.reset_index(drop=True)


def _arrow_column(values: pd.Series, kind: str, guard: bool) -> Any:
    if kind == "string":
        array = pa.array(values.astype(object), type=pa.string(), from_pandas=True)
        return pc.replace_substring_regex(array, GUARD_PATTERN, r"'\1") if guard else array
    if kind == "date":
        return pc.cast(pa.array(values, from_pandas=True), pa.date32())
    if kind == "integer":
        return pa.array(values, type=pa.int64(), from_pandas=True)
    if kind == "boolean":
        return pa.array(values, type=pa.bool_(), from_pandas=True)
    return pa.array(values, from_pandas=True)


def _arrow_table(frame: pd.DataFrame, table: TableSchema, guard: bool) -> Any:
    arrays = [_arrow_column(frame[c.name], c.type, guard) for c in table.columns]
    return pa.table(arrays, names=list(table.column_names))


def _write_csv(frame: pd.DataFrame, table: TableSchema, path: Path) -> None:
    pacsv.write_csv(
        _arrow_table(frame, table, guard=True),
        path,
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    )


def _write_parquet(frame: pd.DataFrame, table: TableSchema, path: Path) -> None:
    pq.write_table(_arrow_table(frame, table, guard=False), path, compression="zstd")


def _python_values(values: pd.Series, kind: str) -> list[Any]:
    """Cell values for openpyxl: None for missing, plain Python scalars otherwise."""
    present = values.notna().to_numpy()
    if kind == "date":
        cells: list[Any] = list(values.dt.date)
    elif kind == "datetime":
        cells = [
            stamp.to_pydatetime() if ok else None for stamp, ok in zip(values, present, strict=True)
        ]
    elif kind == "integer":
        cells = values.fillna(0).astype("int64").tolist()
    elif kind == "boolean":
        cells = values.fillna(False).astype(bool).tolist()
    elif kind == "number":
        cells = values.to_numpy(dtype="float64").tolist()
    else:
        cells = values.astype(object).tolist()
    return [cell if ok else None for cell, ok in zip(cells, present, strict=True)]


def text_cell(sheet: Any, value: Any) -> Any:
    """A value for a write-only sheet that stays text: openpyxl would store text starting with
    "=" as a formula, so such text gets a plain text cell of its own; anything else is as given.

    >>> import openpyxl
    >>> sheet = openpyxl.Workbook(write_only=True).create_sheet()
    >>> text_cell(sheet, "=HYPERLINK()").data_type, text_cell(sheet, 5)
    ('s', 5)
    """
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_cells(sheet: Any, values: pd.Series, kind: str) -> list[Any]:
    """One column's cells for a write-only sheet, by the column's package type; a cell that
    needs more than openpyxl's default handling is a WriteOnlyCell of its own."""
    from openpyxl.cell import WriteOnlyCell

    cells = _python_values(values, kind)
    if kind == "string":
        # openpyxl would store text starting with "=" as a formula: force a plain text cell
        special = values.str.startswith("=", na=False).to_numpy(dtype=bool)
        data_type = "s"
    elif kind == "number":
        # openpyxl writes 16 significant digits (and -0 as 0); a double can need 17 digits
        numbers = values.to_numpy(dtype="float64")
        finite = np.isfinite(numbers)
        short = np.char.mod("%.16g", np.where(finite, numbers, 0.0)).astype("float64")
        special = finite & ((short != numbers) | ((numbers == 0) & np.signbit(numbers)))
        data_type = "n"
    else:
        return cells
    for position in np.flatnonzero(special):
        value = cells[position]
        cell = WriteOnlyCell(sheet, value=repr(value) if data_type == "n" else value)
        cell.data_type = data_type  # the value is kept as written, under the cell type given
        cells[position] = cell
    return cells


def _write_xlsx(frames: Mapping[str, pd.DataFrame], schema: PackageSchema, path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook(write_only=True)
    # Fixed document dates: the workbook's content, not the moment of export, defines it.
    workbook.properties.created = dt.datetime(2000, 1, 1)
    bold = Font(bold=True)
    for table in schema.tables:
        if table.name not in frames:
            continue
        frame = frames[table.name]
        if len(frame) >= XLSX_MAX_ROWS:
            raise ValueError(f"table {table.name} has {len(frame):,} rows, more than xlsx holds")
        sheet = workbook.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        columns = [xlsx_cells(sheet, frame[c.name], c.type) for c in table.columns]
        for number, (col, cells) in enumerate(zip(table.columns, columns, strict=True), start=1):
            sample = max((len(str(v)) for v in cells[:200] if isinstance(v, str)), default=10)
            width = min(max(len(col.name), sample, 8) + 2, 60)
            sheet.column_dimensions[get_column_letter(number)].width = width
        header = []
        for name in table.column_names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in zip(*columns, strict=True):
            sheet.append(row)
    workbook.save(path)


def write_package(
    frames: Mapping[str, pd.DataFrame],
    path: str | Path,
    format: Format = "csv",
    schema: PackageSchema | None = None,
) -> list[Path]:
    """Write `frames` (table name -> frame) as a data package; return the files written.

    csv and parquet: `path` is a folder (created if needed) that receives ``<table>.csv`` or
    ``<table>.parquet``; xlsx: `path` is the workbook file, a sheet per table. Tables are written
    in schema order; provenance columns are dropped, any other unknown column is a ValueError.

    >>> import tempfile, pathlib
    >>> from oneplan.datapack.schema import ColumnSchema
    >>> t = TableSchema("families", "", (ColumnSchema("code", "string", True, True),
    ...                                  ColumnSchema("margin", "number")), ("code",))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"code": ["F2", "=F1"], "margin": [-0.5, 2.0]})
    >>> [p.name for p in write_package({"families": frame}, folder, "csv", PackageSchema((t,)))]
    ['families.csv']
    >>> print((folder / "families.csv").read_text())
    "code","margin"
    "'=F1",2
    "F2",-0.5
    <BLANKLINE>
    """
    schema = schema if schema is not None else package_schema()
    for name in frames:
        if name not in schema:
            raise ValueError(f"unknown table {name!r}")
    canonical = {
        t.name: canonical_frame(frames[t.name], t) for t in schema.tables if t.name in frames
    }
    path = Path(path)
    if format == "xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_xlsx(canonical, schema, path)
        return [path]
    if format not in ("csv", "parquet"):
        raise ValueError(f"unknown format {format!r}; expected csv, xlsx or parquet")
    path.mkdir(parents=True, exist_ok=True)
    writer = _write_csv if format == "csv" else _write_parquet
    written = []
    for name, frame in canonical.items():
        target = path / f"{name}.{format}"
        writer(frame, schema.table(name), target)
        written.append(target)
    return written

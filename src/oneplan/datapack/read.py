"""Read a data package (CSV folder, Parquet folder or one xlsx workbook) into frames of raw text.

Reading never judges the values; it only turns every cell into text (or missing) and remembers
where each row came from, so that validation can name the file, row and column of a problem.

Rules:
- A folder holds one ``<table>.csv`` or ``<table>.parquet`` per table; a workbook one sheet per
  table. Names starting with ``_`` or ``.`` and a ``datapackage.json`` are ignored (room for notes
  and the published descriptor). Any other file or folder in a package folder is a problem; any
  other sheet of a workbook is left out with a warning (workbooks carry notes and pivots).
- A package folder's files are read only when they are regular files: a symbolic link is a
  problem and is never followed (it could point anywhere on the server), as is a named pipe.
- A package in which no table is found is a problem, not an empty import.
- CSV: UTF-8 with or without byte order mark, comma separated, header row, quotes per RFC 4180
  (see `read_csv`). An empty cell is missing. A cell that starts with ``'`` followed by one of
  ``= + - @``, tab, carriage return or ``'`` loses that first ``'`` (the writer's guard against
  formula injection).
- xlsx: see `read_xlsx`: cached results of formulas are read, formulas are never evaluated.
- A row whose cells are all empty is ignored. Frames are indexed by spreadsheet row number: the
  header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oneplan.datapack.cells import excerpt, name_shown
from oneplan.datapack.raw import (
    TEXT,
    RawPackage,
    RawTable,
    checked_header,
    frame_of,
    is_ignored,
    unknown_table,
)
from oneplan.datapack.read_csv import UNQUOTE_PATTERN, read_csv
from oneplan.datapack.read_xlsx import read_workbook
from oneplan.datapack.safety import ReadLimits, check_parquet
from oneplan.datapack.schema import PackageSchema, package_schema
from oneplan.errors import Problem

__all__ = ["TEXT", "UNQUOTE_PATTERN", "RawPackage", "RawTable", "read_package"]


def _without_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if len(frame.columns):
        present = frame.notna().any(axis=1)
        if not present.all():
            frame = frame[present]
    return frame


def _arrow_text(column: Any) -> Any:
    """A Parquet column as text in the same canonical form the xlsx reader uses."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    text = pc.cast(column, pa.string())
    # An empty text cell is missing, as it is in CSV and xlsx.
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if pa.types.is_timestamp(kind):  # a date stored as a midnight timestamp is a date
        text = pc.replace_substring_regex(text, r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(\.0*)?$", r"\1")
    return text


def _read_parquet(path: Path, source: str, limits: ReadLimits, problems: list[Problem]) -> Any:
    refused = check_parquet(path, limits)
    if refused:
        problems.append(Problem(source, None, None, refused))
        return None
    try:
        meta = pq.ParquetFile(path).metadata
        inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if inflated > limits.max_uncompressed_bytes:
            problems.append(
                Problem(source, None, None, f"would inflate to {inflated:,} bytes, too many")
            )
            return None
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        message = f"cannot be read as Parquet ({excerpt(str(exc))})"
        problems.append(Problem(source, None, None, message))
        return None
    names = checked_header([str(n) for n in table.column_names], source, problems)
    columns = []
    for name, column in zip(names, table.columns, strict=True):
        try:
            columns.append(_arrow_text(column))
        except pa.ArrowException:
            message = f"has type {column.type}, not a plain value"
            problems.append(Problem(source, 1, name_shown(name), message))
            columns.append(pa.nulls(len(column), pa.string()))
    return _without_empty_rows(frame_of(columns, names))


def _read_file(
    path: Path, name: str, schema: PackageSchema, limits: ReadLimits, package: RawPackage
) -> None:
    """One ``<table>.csv`` or ``<table>.parquet`` into `package`."""
    if path.suffix.lower() == ".csv":
        expected = schema.table(name).column_names
        frame = read_csv(path, path.name, limits, package.problems, expected)
    else:
        frame = _read_parquet(path, path.name, limits, package.problems)
    if frame is None:
        package.refused[name] = path.name
    else:
        package.tables[name] = RawTable(name, path.name, frame)


def _not_a_plain_file(entry: Path) -> str | None:
    """Why a folder entry is not read as a file; None for a regular file."""
    mode = entry.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "is a symbolic link; copy the file into the package"
    if stat.S_ISDIR(mode):
        return "unexpected folder"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def _read_folder(
    path: Path, schema: PackageSchema, limits: ReadLimits, package: RawPackage
) -> None:
    known = set(schema.table_names)
    for entry in sorted(path.iterdir()):
        if is_ignored(entry.name):
            continue
        shown = name_shown(entry.name)  # a file name can hold anything but "/"
        refused = _not_a_plain_file(entry)
        if refused:
            package.problems.append(Problem(shown, None, None, refused))
            continue
        if entry.suffix.lower() not in (".csv", ".parquet"):
            package.problems.append(
                Problem(shown, None, None, "unknown file: expected <table>.csv or .parquet")
            )
            continue
        name = entry.stem
        if name not in known:
            package.problems.append(unknown_table(shown, name, known))
            continue
        if name in package.tables or name in package.refused:
            package.problems.append(
                Problem(entry.name, None, None, f"table {name} is given twice in this folder")
            )
            continue
        _read_file(entry, name, schema, limits, package)


def _no_table(path: Path, schema: PackageSchema) -> Problem:
    if path.is_dir():
        files = ", ".join(f"{name}.csv" for name in schema.table_names)
        expected = (
            f"one of {files} (or the same names ending in .parquet), or an .xlsx workbook with "
            "a sheet per table"
        )
    else:
        expected = f"a sheet named after a table: {', '.join(schema.table_names)}"
    return Problem(path.name or str(path), None, None, f"holds no table; expected {expected}")


def read_package(
    path: str | Path, schema: PackageSchema | None = None, limits: ReadLimits | None = None
) -> RawPackage:
    """Read the data package at `path`: a folder of CSV or Parquet files, or one .xlsx workbook.

    A single ``<table>.csv`` or ``<table>.parquet`` file is read as a package of one table.
    Nothing is raised for bad input: every problem lands in ``RawPackage.problems``, and what was
    left out without refusing the package in ``RawPackage.warnings``.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "families.csv").write_text("code,name\\nF1,'=Bikes\\n")
    >>> from oneplan.datapack.schema import TableSchema, ColumnSchema
    >>> schema = PackageSchema((TableSchema("families", "", (), ("code",)),))
    >>> raw = read_package(folder, schema)
    >>> raw.tables["families"].frame.loc[2, "name"], raw.problems
    ('=Bikes', [])
    """
    path = Path(path)
    schema = schema if schema is not None else package_schema()
    limits = limits or ReadLimits()
    known = set(schema.table_names)
    package = RawPackage(source=str(path))
    suffix = path.suffix.lower()
    if path.is_dir():
        _read_folder(path, schema, limits, package)
    elif not path.exists():
        package.problems.append(Problem(path.name, None, None, "does not exist"))
    elif suffix == ".xlsx":
        read_workbook(path, known, limits, package)
    elif suffix in (".csv", ".parquet") and path.stem in known:
        _read_file(path, path.stem, schema, limits, package)
    elif suffix in (".csv", ".parquet"):
        package.problems.append(unknown_table(path.name, path.stem, known))
    else:
        package.problems.append(
            Problem(path.name, None, None, "expected a folder, an .xlsx, .csv or .parquet file")
        )
    if not package.tables and not package.problems:
        package.problems.append(_no_table(path, schema))
    return package

"""Read a data package (CSV folder, Parquet folder or one xlsx workbook) into frames of raw text.

Reading never judges the values; it only turns every cell into text (or missing) and remembers
where each row came from, so that validation can name the file, row and column of a problem.

Rules:
- A folder holds one ``<table>.csv`` or ``<table>.parquet`` per table; a workbook one sheet per
  table. Names starting with ``_`` or ``.`` and a ``datapackage.json`` are ignored (room for notes
  and the published descriptor); any other file, sheet or folder is reported, never skipped.
- CSV: UTF-8 with or without byte order mark, comma separated, header row, quotes per RFC 4180.
  An empty cell is missing. A cell that starts with ``'`` followed by one of ``= + - @``, tab,
  carriage return or ``'`` loses that first ``'`` (the writer's guard against formula injection).
- xlsx: cached results of formulas are read, formulas are never evaluated; a formula without a
  saved result is a problem. Numbers, dates and booleans become text in a canonical form
  (shortest exact number, ``YYYY-MM-DD``, ``true``/``false``).
- A row whose cells are all empty is ignored. Frames are indexed by spreadsheet row number: the
  header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from oneplan.datapack.safety import (
    ReadLimits,
    check_csv,
    check_parquet,
    check_xlsx,
    xlsx_has_formulas,
)
from oneplan.datapack.schema import PackageSchema, package_schema
from oneplan.errors import Problem

#: The dtype of every raw cell: text held by Arrow, missing as <NA>.
TEXT = pd.StringDtype("pyarrow")
_AS_TEXT = {pa.string(): TEXT, pa.large_string(): TEXT}.get
# Cells the CSV writer guards with a leading quote; the reader strips exactly that quote.
UNQUOTE_PATTERN = r"^'([=+\-@\t\r'])"
_MAX_SHAPE_PROBLEMS = 20


@dataclass
class RawTable:
    """One table as found in the package: text cells (``string[pyarrow]``, missing = <NA>),
    indexed by spreadsheet row number (header = 1, first data row = 2)."""

    name: str
    source: str  # what problems name: "items.csv" or "plan.xlsx, sheet items"
    frame: pd.DataFrame


@dataclass
class RawPackage:
    """Every table read from one package, plus the problems met while reading."""

    source: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _ignored(name: str) -> bool:
    return name.startswith(("_", ".")) or name == "datapackage.json"


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Row numbers as index, all-empty rows dropped, every column as text."""
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = frame.astype(TEXT)
    if len(frame.columns):
        frame = frame[frame.notna().any(axis=1)]
    return frame


def _header_names(path: Path) -> list[str] | None:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    return next(csv.reader(io.StringIO(text)), None)


def _checked_header(names: list[str], source: str, problems: list[Problem]) -> list[str]:
    """Header names, stripped; unnamed and repeated columns are problems."""
    seen: set[str] = set()
    for number, raw_name in enumerate(names, start=1):
        name = raw_name.strip()
        if not name:
            problems.append(Problem(source, 1, None, f"column {number} has no name"))
        elif name in seen:
            problems.append(Problem(source, 1, name, "column appears more than once"))
        seen.add(name)
    return [n.strip() for n in names]


def _unguard(column: Any) -> Any:
    """Drop the writer's quote guard (see the module docstring); most columns have none."""
    if not pc.any(pc.starts_with(column, "'")).as_py():
        return column
    return pc.replace_substring_regex(column, UNQUOTE_PATTERN, r"\1")


def _read_csv(path: Path, source: str, limits: ReadLimits, problems: list[Problem]) -> Any:
    refused = check_csv(path, limits)
    if refused:
        problems.append(Problem(source, None, None, refused))
        return None
    names = _header_names(path)
    if not names:
        problems.append(Problem(source, None, None, "is empty: a header row is expected"))
        return None
    names = _checked_header(names, source, problems)
    placeholders = [f"c{i}" for i in range(len(names))]
    bad_rows: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=placeholders, skip_rows=1),
            # Blank lines are kept (and dropped later) so row numbers match the file's lines.
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_bad_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        text = str(exc)
        hint = "is not valid UTF-8 text" if "UTF8" in text.upper() else "cannot be read as CSV"
        problems.append(Problem(source, None, None, f"{hint} ({text[:200]})"))
        return None
    if bad_rows:
        # Later row numbers would shift, so the file's values are not checked any further.
        for row in bad_rows[:_MAX_SHAPE_PROBLEMS]:
            problems.append(
                Problem(
                    source,
                    None,
                    None,
                    f"a row has {row.actual_columns} cells but the header has "
                    f"{row.expected_columns}: {row.text[:80]!r}",
                )
            )
        if len(bad_rows) > _MAX_SHAPE_PROBLEMS:
            more = len(bad_rows) - _MAX_SHAPE_PROBLEMS
            problems.append(Problem(source, None, None, f"and {more} more rows of the wrong width"))
        return None
    columns = [_unguard(column) for column in table.columns]
    frame = pa.table(columns, names=placeholders).to_pandas(types_mapper=_AS_TEXT)
    frame.columns = pd.Index(names)
    return _finish(frame)


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
        problems.append(Problem(source, None, None, f"cannot be read as Parquet ({exc})"))
        return None
    names = _checked_header([str(n) for n in table.column_names], source, problems)
    columns = []
    for name, column in zip(names, table.columns, strict=True):
        try:
            columns.append(_arrow_text(column))
        except pa.ArrowException:
            problems.append(Problem(source, 1, name, f"has type {column.type}, not a plain value"))
            columns.append(pa.nulls(len(column), pa.string()))
    placeholders = [f"c{i}" for i in range(len(names))]
    frame = pa.table(columns, names=placeholders).to_pandas(types_mapper=_AS_TEXT)
    frame.columns = pd.Index(names)
    return _finish(frame)


def _cell_text(value: Any) -> str | None:
    """One xlsx cell value as text: the canonical form validation parses back."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        whole = value.is_integer() and not (value == 0 and math.copysign(1.0, value) < 0)
        return str(int(value)) if whole else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _formula_cells(workbook: Any, sheet: str) -> set[tuple[int, int]]:
    return {
        (cell.row, cell.column)
        for row in workbook[sheet].iter_rows()
        for cell in row
        if getattr(cell, "data_type", None) == "f"
    }


def _read_sheet(
    sheet: Any, source: str, formulas: set[tuple[int, int]], problems: list[Problem]
) -> pd.DataFrame | None:
    sheet.reset_dimensions()  # the stored dimension is often wrong; read what is there
    rows = sheet.iter_rows(min_row=1, values_only=True)
    header = list(next(rows, ()))
    while header and header[-1] in (None, ""):
        header.pop()
    if not header:
        problems.append(Problem(source, None, None, "is empty: a header row is expected"))
        return None
    names = _checked_header([_cell_text(v) or "" for v in header], source, problems)
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in names]
    overflow_reported = False
    for number, row in enumerate(rows, start=2):
        cells = list(row)
        if (
            len(cells) > width
            and not overflow_reported
            and any(v not in (None, "") for v in cells[width:])
        ):
            problems.append(
                Problem(source, number, None, "has values right of the last named column")
            )
            overflow_reported = True
        cells += [None] * (width - len(cells))
        for position, values in enumerate(columns):
            value = cells[position]
            if value is None and (number, position + 1) in formulas:
                problems.append(
                    Problem(
                        source,
                        number,
                        names[position],
                        "holds a formula without a saved result; save the workbook in a "
                        "spreadsheet program or paste the values",
                    )
                )
            values.append(_cell_text(value))
    placeholders = [f"c{i}" for i in range(width)]
    frame = pd.DataFrame(dict(zip(placeholders, columns, strict=True)), dtype=object)
    frame.columns = pd.Index(names)
    return _finish(frame)


def _read_xlsx(path: Path, known: set[str], limits: ReadLimits, package: RawPackage) -> None:
    import openpyxl  # heavy; only workbooks need it

    refused = check_xlsx(path, limits)
    if refused:
        package.problems.append(Problem(path.name, None, None, refused))
        return
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        with_formulas = (
            openpyxl.load_workbook(path, read_only=True, data_only=False)
            if xlsx_has_formulas(path)
            else None
        )
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        package.problems.append(
            Problem(path.name, None, None, f"cannot be read as an xlsx workbook ({exc})")
        )
        return
    try:
        for sheet_name in workbook.sheetnames:
            source = f"{path.name}, sheet {sheet_name}"
            if _ignored(sheet_name):
                continue
            if sheet_name not in known:
                package.problems.append(_unknown_table(source, sheet_name, known))
                continue
            formulas = _formula_cells(with_formulas, sheet_name) if with_formulas else set()
            frame = _read_sheet(workbook[sheet_name], source, formulas, package.problems)
            if frame is not None:
                package.tables[sheet_name] = RawTable(sheet_name, source, frame)
    finally:
        workbook.close()
        if with_formulas is not None:
            with_formulas.close()


def _unknown_table(source: str, name: str, known: set[str]) -> Problem:
    return Problem(
        source, None, None, f"unknown table {name!r}; known tables: {', '.join(sorted(known))}"
    )


def _read_folder(path: Path, known: set[str], limits: ReadLimits, package: RawPackage) -> None:
    readers = {".csv": _read_csv, ".parquet": _read_parquet}
    for entry in sorted(path.iterdir()):
        if _ignored(entry.name):
            continue
        if entry.is_dir():
            package.problems.append(Problem(entry.name, None, None, "unexpected folder"))
            continue
        reader = readers.get(entry.suffix.lower())
        if reader is None:
            package.problems.append(
                Problem(entry.name, None, None, "unknown file: expected <table>.csv or .parquet")
            )
            continue
        name = entry.stem
        if name not in known:
            package.problems.append(_unknown_table(entry.name, name, known))
            continue
        if name in package.tables:
            package.problems.append(
                Problem(entry.name, None, None, f"table {name} is given twice in this folder")
            )
            continue
        frame = reader(entry, entry.name, limits, package.problems)
        if frame is not None:
            package.tables[name] = RawTable(name, entry.name, frame)


def read_package(
    path: str | Path, schema: PackageSchema | None = None, limits: ReadLimits | None = None
) -> RawPackage:
    """Read the data package at `path`: a folder of CSV or Parquet files, or one .xlsx workbook.

    A single ``<table>.csv`` or ``<table>.parquet`` file is read as a package of one table.
    Nothing is raised for bad input: every problem lands in ``RawPackage.problems``.

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
    if path.is_dir():
        _read_folder(path, known, limits, package)
    elif not path.exists():
        package.problems.append(Problem(path.name, None, None, "does not exist"))
    elif path.suffix.lower() == ".xlsx":
        _read_xlsx(path, known, limits, package)
    elif path.suffix.lower() in (".csv", ".parquet") and path.stem in known:
        reader = _read_csv if path.suffix.lower() == ".csv" else _read_parquet
        frame = reader(path, path.name, limits, package.problems)
        if frame is not None:
            package.tables[path.stem] = RawTable(path.stem, path.name, frame)
    elif path.suffix.lower() in (".csv", ".parquet"):
        package.problems.append(_unknown_table(path.name, path.stem, known))
    else:
        package.problems.append(
            Problem(path.name, None, None, "expected a folder, an .xlsx, .csv or .parquet file")
        )
    return package

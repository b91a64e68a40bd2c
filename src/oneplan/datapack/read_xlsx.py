"""Read an xlsx workbook: every sheet streamed from its XML part into columns of text.

A sheet goes through expat (a streaming XML parser) into column buffers that become Arrow text
every `CHUNK_CELLS` values, so a sheet's text is held once and compactly, never as a Python
object per cell for the whole sheet. openpyxl's read-only mode, measured on the same workbooks,
was several times slower and keeps the shared strings as Python objects (bench/xlsx_memory.py,
docs/performance.md). The parts around the sheets are read by `xlsx_parts`.

A workbook whose cells would hold more text or more cells than `ReadLimits` allows is refused
before its text is expanded: one shared string can be repeated a million times, so the zip
limits alone do not bound memory.

Cells become text in one canonical form: numbers in their shortest exact form (``3``, not
``3.0``), a number with a date format as the date a spreadsheet shows (``YYYY-MM-DD``, or
``YYYY-MM-DD HH:MM:SS`` with a time), booleans ``true``/``false``. Formulas are never evaluated:
the result saved with a formula is read, and a formula without one is a problem.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oneplan.datapack.cells import name_shown
from oneplan.datapack.raw import (
    RawPackage,
    RawTable,
    checked_header,
    frame_of,
    is_ignored,
    unknown_sheet,
)
from oneplan.datapack.safety import ReadLimits, check_xlsx
from oneplan.datapack.xlsx_parts import (
    MAIN,
    MAX_CELL_CHARACTERS,
    Budget,
    Refused,
    Workbook,
    feed,
    xml_parser,
)
from oneplan.errors import Problem

# Values are buffered as Python objects until there are CHUNK_CELLS of them in CHUNK_ROWS rows
# (a wide sheet of empty cells flushes less often), or CHUNK_CHARACTERS of text: small chunks
# leave less memory behind, rare ones cost less time per value.
CHUNK_CELLS, CHUNK_ROWS, CHUNK_CHARACTERS = 1 << 16, 1 << 10, 1 << 23
LAST_ROW = 1_048_576  # a sheet's rows and columns, as Excel and the format define them
LAST_COLUMN = 16_384
_NAMES_REMEMBERED = 256
_CELL_PROBLEMS = 20  # per sheet and kind, like validation's cap per column and check
_DATES_REMEMBERED = 1 << 16  # a sheet's dates repeat (months): convert each serial once
_DIGITS = "0123456789"


def cell_text(value: Any) -> str | None:
    """One cell value as text: the canonical form validation parses back.

    >>> cell_text(3.0), cell_text(0.1), cell_text(dt.datetime(2027, 3, 1)), cell_text(True)
    ('3', '0.1', '2027-03-01', 'true')
    """
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


def _number(text: str) -> int | float:
    """A number cell's value: whole numbers written without a point stay exact integers."""
    return float(text) if ("." in text or "e" in text or "E" in text) else int(text)


def _number_text(text: str) -> str | None:
    """A number cell's text in canonical form (``3.0`` -> ``3``, ``1E-3`` -> ``0.001``)."""
    if text.isdigit() and text.isascii():  # the common case, spared a conversion
        return text if text[0] != "0" or len(text) == 1 else str(int(text))
    try:
        return cell_text(_number(text))
    except ValueError:  # not a number after all: validation judges the text as it is
        return text.strip() or None


def _column_number(letters: str) -> int:
    """1 for "A", 28 for "AB"; 0 when there are no letters to read."""
    number = 0
    for letter in letters.upper():
        if not "A" <= letter <= "Z":
            return 0
        number = number * 26 + ord(letter) - 64
    return number


class _SheetReader:
    """Expat handlers that turn one worksheet part into text columns, row by row.

    Row 1 is the header. A data row keeps its spreadsheet row number; a row without a value in a
    named column is dropped (its number stays unused). Values are buffered per column as Python
    objects (text, or the index of a shared string) and become Arrow text in `_flush`, where the
    text they hold is counted before a shared string is expanded. The handlers run once per XML
    element, millions of times: they keep to attribute reads and dict lookups."""

    def __init__(
        self, workbook: Workbook, source: str, budget: Budget, problems: list[Problem]
    ) -> None:
        self.workbook, self.source, self.budget, self.problems = workbook, source, budget, problems
        self.tags: dict[str, str] = {}  # expat's "namespace local" name -> local name
        self.column_numbers: dict[str, int] = {}  # "AB" -> 28
        self.header: dict[int, str] = {}
        self.names: list[str] | None = None
        self.row_number = 0
        self.column = 0  # of the last cell seen in this row, 1-based
        self.values: list[Any] = []  # this row's values by position, as wide as the header
        self.filled = False  # whether this row has a value in a named column
        self.kind, self.style, self.formula = "n", "", False
        self.value = ""  # the cell's value as written: a number, a shared string's index, text
        self.buffer = ""  # text being collected
        self.collecting = False
        self.inline = False  # inside an inline string (<is>), whose text runs are joined
        self.phonetic = 0  # inside <rPh>: a reading aid for East Asian text, not the value
        self.spilled = False
        self.counts = {"formula": 0, "shared": 0}
        self.buffers: list[list[Any]] = []
        self.row_numbers: list[int] = []
        self.buffered_characters = 0
        self.columns: list[list[Any]] = []
        self.index: list[Any] = []
        self.dates_seen: dict[tuple[str, str], str | None] = {}

    def _tag(self, name: str) -> str:
        space, _, local = name.rpartition(" ")
        tag = local if not space or space in MAIN else ""
        if len(self.tags) < _NAMES_REMEMBERED:  # a hostile part can invent names without end
            self.tags[name] = tag
        return tag

    # expat handlers -----------------------------------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = self.tags.get(name)
        if tag is None:
            tag = self._tag(name)
        if tag == "c":
            reference = attrs.get("r")
            column = 0
            if reference:
                letters = reference.rstrip(_DIGITS)
                column = self.column_numbers.get(letters, -1)
                if column < 0:
                    column = _column_number(letters)
                    if len(letters) <= 3:  # A to XFD: a sheet's columns, a bounded set
                        self.column_numbers[letters] = column
            self.column = column or self.column + 1
            if self.column > LAST_COLUMN:
                raise Refused(
                    f"cannot be read: row {self.row_number} has a cell in column "
                    f"{self.column:,}, past the last a sheet has ({LAST_COLUMN:,})"
                )
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s", "")
            self.formula = False
            self.value = ""
        elif tag == "v":
            self.buffer, self.collecting = "", True
        elif tag == "row":
            self._row_start(attrs.get("r"))
        elif tag == "is":
            self.buffer, self.inline = "", True
        elif tag == "t":
            self.collecting = self.inline and not self.phonetic
        elif tag == "f":
            self.formula = True
        elif tag == "rPh":
            self.phonetic += 1

    def end(self, name: str) -> None:
        tag = self.tags.get(name)
        if tag is None:
            tag = self._tag(name)
        if tag == "v":
            self.value, self.collecting = self.buffer, False
        elif tag == "c":
            self._cell_end()
        elif tag == "row":
            self._row_end()
        elif tag == "t":
            self.collecting = False
        elif tag == "is":
            self.value, self.inline = self.buffer, False
        elif tag == "rPh":
            self.phonetic -= 1

    def text(self, data: str) -> None:
        if self.collecting:
            self.buffer += data
            if len(self.buffer) > MAX_CELL_CHARACTERS:
                raise Refused(
                    f"row {self.row_number} has a cell longer than {MAX_CELL_CHARACTERS:,} "
                    "characters, more than any spreadsheet cell holds"
                )

    # rows and cells -----------------------------------------------------------------------

    def _row_start(self, reference: str | None) -> None:
        number = int(reference) if reference else self.row_number + 1
        if not self.row_number < number <= LAST_ROW:
            raise Refused(
                f"cannot be read: its rows are out of order (row {number} after {self.row_number})"
                if number <= self.row_number
                else f"cannot be read: it has a row {number:,}, past the last a sheet has"
            )
        if self.names is None and number > 1:
            self._header_end()  # row 1 is missing: the header is empty
        self.row_number, self.column, self.filled = number, 0, False
        if self.names is not None:
            self.values = [None] * len(self.names)

    def _cell_end(self) -> None:
        position, value, names = self.column - 1, self.value, self.names
        if names is None:
            if value:
                shown = self._shared_text(int(value)) if self.kind == "s" else self._text(value)
                if shown is not None:
                    self.header[position] = shown
            return
        if position >= len(names):
            if value and not self.spilled:
                message = "has values right of the last named column"
                self.problems.append(Problem(self.source, self.row_number, None, message))
                self.spilled = True
            return
        if not value:
            if self.formula:
                self._cell_problem(
                    "formula",
                    position,
                    "holds a formula without a saved result; save the workbook in a "
                    "spreadsheet program or paste the values",
                )
            return
        if self.kind == "s":
            index = int(value)
            if not 0 <= index < len(self.workbook.shared):
                message = f"refers to shared text {index}, which the workbook lacks"
                self._cell_problem("shared", position, message)
                return
            self.values[position] = index
        else:
            text = self._text(value)
            if text is None:
                return
            self.values[position] = text
            self.buffered_characters += len(text)
        self.filled = True

    def _row_end(self) -> None:
        if self.names is None:
            self._header_end()
            return
        if not self.filled:
            return
        self.row_numbers.append(self.row_number)
        for buffer, value in zip(self.buffers, self.values, strict=True):
            buffer.append(value)
        rows = len(self.row_numbers)
        buffered = rows * len(self.names)
        if (
            (buffered >= CHUNK_CELLS and rows >= CHUNK_ROWS)
            or buffered >= 16 * CHUNK_CELLS
            or self.buffered_characters >= CHUNK_CHARACTERS
        ):
            self._flush()

    def _header_end(self) -> None:
        width = max(self.header, default=-1) + 1
        names = [self.header.get(position, "") for position in range(width)]
        if not names:
            raise Refused("is empty: a header row is expected")
        self.names = checked_header(names, self.source, self.problems)
        self.buffers = [[] for _ in self.names]
        self.columns = [[] for _ in self.names]

    def _cell_problem(self, kind: str, position: int, message: str) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= _CELL_PROBLEMS and self.names is not None:
            column = name_shown(self.names[position])
            self.problems.append(Problem(self.source, self.row_number, column, message))

    def _text(self, value: str) -> str | None:
        """A cell's value (not a shared string) as text."""
        kind = self.kind
        if kind == "n":
            if self.style in self.workbook.dates:
                return self._date_text(value)
            return _number_text(value)
        if kind == "b":
            return "false" if value.strip() in ("0", "") else "true"
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return cell_text(from_ISO8601(value))
            except ValueError:
                return value
        return value or None  # str (a formula's text result), e (an error such as #N/A)

    def _date_text(self, value: str) -> str | None:
        key = (value, self.style)
        if key in self.dates_seen:
            return self.dates_seen[key]
        from openpyxl.utils.datetime import from_excel

        try:
            duration = self.style in self.workbook.durations
            text = cell_text(from_excel(_number(value), self.workbook.epoch, timedelta=duration))
        except (OverflowError, ValueError):
            text = "#VALUE!"  # a serial number no calendar holds, as openpyxl reads it
        if len(self.dates_seen) >= _DATES_REMEMBERED:
            self.dates_seen.clear()
        self.dates_seen[key] = text
        return text

    def _shared_text(self, index: int) -> str | None:
        if 0 <= index < len(self.workbook.shared):
            return self.workbook.shared.at(index)
        return None

    # columns ------------------------------------------------------------------------------

    def _flush(self) -> None:
        """The buffered rows as Arrow text, counted against the workbook's limits first: a
        shared string's text is only copied into a column once the budget allows it."""
        if not self.row_numbers or self.names is None:
            return
        shared = self.workbook.shared
        rows = len(self.row_numbers)
        parts = []
        text_bytes = 0
        for buffer in self.buffers:
            # Most columns hold either shared text or other values: build only what is there.
            texts = indices = None
            if any(type(v) is str for v in buffer):
                texts = pa.array([None if type(v) is int else v for v in buffer], pa.large_string())
                text_bytes += pc.sum(pc.binary_length(texts)).as_py() or 0
            if any(type(v) is int for v in buffer):
                indices = np.fromiter((v if type(v) is int else -1 for v in buffer), np.int64, rows)
                text_bytes += shared.text_bytes(indices[indices >= 0])
            parts.append((texts, indices))
        self.budget.keep(rows * (len(self.names) + 1), text_bytes, "has", "its cells hold")
        for column, (texts, indices) in zip(self.columns, parts, strict=True):
            if indices is not None:
                taken = shared.text.take(pa.array(indices, mask=indices < 0))
                texts = taken if texts is None else pc.coalesce(texts, taken)
            column.append(pa.nulls(rows, pa.large_string()) if texts is None else texts)
        self.index.append(np.array(self.row_numbers, np.int64))
        self.buffers = [[] for _ in self.names]
        self.row_numbers, self.buffered_characters = [], 0

    def frame(self) -> pd.DataFrame:
        if self.names is None:
            self._header_end()
        assert self.names is not None
        self._flush()
        columns = [pa.chunked_array(chunks, pa.large_string()) for chunks in self.columns]
        frame = frame_of(columns, self.names)
        frame.index = pd.Index(np.concatenate([np.zeros(0, np.int64), *self.index]))
        if self.workbook.shared.text.null_count:  # an empty shared text leaves its cell empty
            present = frame.notna().any(axis=1)
            if not present.all():
                frame = frame[present]
        for kind, what in (
            ("formula", "hold formulas without a saved result"),
            ("shared", "refer to shared text the workbook lacks"),
        ):
            more = self.counts[kind] - _CELL_PROBLEMS
            if more > 0:
                message = f"and {more:,} more cells {what}"
                self.problems.append(Problem(self.source, None, None, message))
        return frame


def _read_sheet(
    workbook: Workbook, part: str, source: str, budget: Budget, problems: list[Problem]
) -> pd.DataFrame:
    reader = _SheetReader(workbook, source, budget, problems)
    parser = xml_parser()
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    feed(parser, workbook.archive, part)
    return reader.frame()


def read_workbook(
    path: Path, known: Collection[str], limits: ReadLimits, package: RawPackage
) -> None:
    """Read every sheet of the workbook at `path` named after a table into `package`.

    A sheet named after no table is left out with a warning (workbooks carry notes and pivots);
    one whose name starts with ``_`` or ``.`` silently."""
    refused = check_xlsx(path, limits)
    if refused:
        package.problems.append(Problem(path.name, None, None, refused))
        return
    with zipfile.ZipFile(path) as archive:
        budget = Budget(limits)
        try:
            workbook = Workbook.open(archive, budget)
        except Refused as why:
            package.problems.append(Problem(path.name, None, None, str(why)))
            return
        for sheet in workbook.sheets:
            source = f"{path.name}, sheet {name_shown(sheet.name)}"
            if is_ignored(sheet.name):
                continue
            if sheet.name not in known:
                package.warnings.append(unknown_sheet(source, sheet.name, known))
                continue
            if sheet.name in package.tables or sheet.name in package.refused:
                message = f"table {sheet.name} is given twice in this workbook"
                package.problems.append(Problem(source, None, None, message))
                continue
            try:
                frame = _read_sheet(
                    workbook, workbook.part_of(sheet), source, budget, package.problems
                )
            except Refused as why:
                package.problems.append(Problem(source, None, None, str(why)))
                package.refused[sheet.name] = source
                if why.whole_workbook:
                    return
                continue
            package.tables[sheet.name] = RawTable(sheet.name, source, frame)

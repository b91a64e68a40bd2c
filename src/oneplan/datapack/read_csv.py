"""Read one CSV file of a data package into columns of text, and say plainly what is wrong.

Arrow parses the file (in parallel, straight into Arrow memory). Cells are read as bytes, so a
cell that is not UTF-8 or holds a NUL byte is found by row and column instead of failing the
whole file in Arrow's words. Rows of the wrong width, a quote that never closes and an overlong
row are located by `_shape`, a scan of the file's bytes that counts rows the way RFC 4180 does
(a quote toggles "inside quotes"; a line end outside quotes ends a row, a comma a cell): Arrow
skips such rows without saying where they are. A semicolon-separated file, as spreadsheet
programs in much of Europe save "CSV", is recognised by its header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from oneplan.datapack.cells import PROBLEMS_PER_CHECK, excerpt, name_shown
from oneplan.datapack.raw import checked_header, frame_of
from oneplan.datapack.safety import ReadLimits, check_csv
from oneplan.errors import Problem

#: Arrow reads a file in blocks of this size; the header row and each row must fit in one.
BLOCK_BYTES = 1 << 20
# Cells the CSV writer guards with a leading quote; the reader strips exactly that quote.
UNQUOTE_PATTERN = r"^'([=+\-@\t\r'])"
_SCAN_BYTES = 1 << 22
_SAVE_AS_UTF8 = "save the file as UTF-8 CSV"
_QUOTE, _COMMA, _LINE_FEED, _CARRIAGE_RETURN = 34, 44, 10, 13


def _header(path: Path, source: str, problems: list[Problem]) -> list[str] | None:
    """The names in the header row, or None (with a problem) when there are none to trust."""
    with path.open("rb") as handle:
        head = handle.read(BLOCK_BYTES + 1).removeprefix(b"\xef\xbb\xbf")
    if not head.strip():
        problems.append(Problem(source, None, None, "is empty: a header row is expected"))
        return None
    first_line = head.split(b"\n", 1)[0].split(b"\r", 1)[0]
    if len(first_line) > BLOCK_BYTES:
        problems.append(
            Problem(
                source,
                1,
                None,
                f"the header row is longer than {BLOCK_BYTES:,} bytes; the first line must hold "
                "only the column names (does the file lack its line breaks?)",
            )
        )
        return None
    try:
        first_line.decode("utf-8")
    except UnicodeDecodeError:
        shown = excerpt(first_line.decode("utf-8", "surrogateescape"))
        problems.append(
            Problem(source, 1, None, f"{shown} is not valid UTF-8 text; {_SAVE_AS_UTF8}")
        )
        return None
    try:
        text = head.decode("utf-8", errors="replace")
        names = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error:
        message = (
            "the header row cannot be read: a quote in it never closes, or a name is longer "
            "than 131,072 characters"
        )
        problems.append(Problem(source, 1, None, message))
        return None
    return names


def _separated_by_semicolons(names: list[str], expected: Collection[str]) -> bool:
    """One header cell that splits at ';' into names of the table's columns."""
    if len(names) != 1 or ";" not in names[0]:
        return False
    parts = [part.strip().strip('"') for part in names[0].split(";")]
    return sum(part in expected for part in parts) >= 2


@dataclass
class _Shape:
    """What a scan of a CSV file found (rows numbered as in a spreadsheet, header = 1)."""

    rows: int = 0  # header included
    wrong_width: list[tuple[int, int, str]] = field(default_factory=list)  # row, cells, excerpt
    wrong_count: int = 0
    open_quote: int | None = None  # the row whose quote is still open at the end of the file
    longest: tuple[int, int] = (0, 0)  # row, bytes
    long_cell: int | None = None  # the row with a cell longer than Python's csv module reads


def _note(
    found: _Shape, width: int, rows: Any, cells: Any, starts: Any, lengths: Any, blank: Any
) -> None:
    wrong = (cells != width) & ~blank & (rows > 1)
    found.wrong_count += int(wrong.sum())
    room = PROBLEMS_PER_CHECK - len(found.wrong_width)
    if room > 0:
        picked = zip(rows[wrong][:room], cells[wrong][:room], starts[wrong][:room], strict=True)
        found.wrong_width += [(int(r), int(c), str(int(s))) for r, c, s in picked]
    if len(lengths):
        widest = int(np.argmax(lengths))
        if lengths[widest] > found.longest[1]:
            found.longest = (int(rows[widest]), int(lengths[widest]))


def _shape(path: Path, width: int) -> _Shape:
    """Rows of the wrong width, an open quote and the longest row, from the file's bytes.

    Numpy does the work block by block; only the state between blocks (inside quotes or not,
    where the current row began, its commas so far) is carried in Python."""
    found = _Shape()
    with path.open("rb") as handle:
        first = handle.read(_SCAN_BYTES)
        # A file with carriage returns and no line feed ends its rows the old Macintosh way.
        line_end = _CARRIAGE_RETURN if b"\r" in first and b"\n" not in first else _LINE_FEED
        handle.seek(0)
        inside, row, start, commas, offset = 0, 1, 0, 0, 0
        while block := handle.read(_SCAN_BYTES):
            data = np.frombuffer(block, np.uint8)
            quoted = np.bitwise_xor.accumulate((data == _QUOTE).view(np.uint8)) ^ inside
            outside = quoted == 0
            ends = np.flatnonzero((data == line_end) & outside)
            comma_at = np.flatnonzero((data == _COMMA) & outside)
            if len(ends):
                commas_before = np.searchsorted(comma_at, ends)
                cells = np.diff(commas_before, prepend=0) + 1
                cells[0] += commas
                starts = np.concatenate(([start], ends[:-1] + 1 + offset))
                lengths = ends + offset - starts
                first_bytes = data[np.clip(starts - offset, 0, len(data) - 1)]
                blank = (lengths == 0) | (
                    (lengths == 1) & (starts >= offset) & (first_bytes == _CARRIAGE_RETURN)
                )
                rows = np.arange(row, row + len(ends))
                _note(found, width, rows, cells, starts, lengths, blank)
                start = int(ends[-1]) + 1 + offset
                commas = len(comma_at) - int(commas_before[-1])
                row += len(ends)
            else:
                commas += len(comma_at)
            inside = int(quoted[-1])
            offset += len(block)
    found.rows = row - 1
    if start < offset:  # the last row has no line end
        last = np.array([row])
        _note(
            found,
            width,
            last,
            np.array([commas + 1]),
            np.array([start]),
            np.array([offset - start]),
            np.array([False]),
        )
        found.rows = row
        if inside:
            found.open_quote = row
    # The rows of the wrong width were noted with the byte they start at: show them instead.
    found.wrong_width = [(r, c, _row_text(path, int(s))) for r, c, s in found.wrong_width]
    return found


def _row_text(path: Path, start: int) -> str:
    with path.open("rb") as handle:
        handle.seek(start)
        line = handle.read(256).split(b"\n", 1)[0].rstrip(b"\r")
    return excerpt(line.decode("utf-8", "surrogateescape"))


def _shape_row_by_row(path: Path, width: int) -> _Shape:
    """What `_shape` finds, read with Python's csv module: slower, but like Arrow it takes a
    quote in the middle of a cell (``12" pipe``) as a character, where the byte scan cannot."""
    found = _Shape()
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        try:
            for number, cells in enumerate(csv.reader(handle), start=1):
                found.rows = number
                if number > 1 and cells and len(cells) != width:
                    found.wrong_count += 1
                    if len(found.wrong_width) < PROBLEMS_PER_CHECK:
                        shown = excerpt(",".join(cells))
                        found.wrong_width.append((number, len(cells), shown))
        except csv.Error:  # a cell longer than the csv module reads: a quote left open?
            found.long_cell = found.rows + 1
    return found


def _shape_problems(
    path: Path, source: str, width: int, skipped: int, data_rows: int | None = None
) -> list[Problem]:
    """Located problems for a file whose rows Arrow could not all read (`data_rows`: how many
    rows Arrow saw, when it read the file to the end)."""
    found = _shape(path, width)
    if data_rows is not None and found.rows - 1 != data_rows:
        found = _shape_row_by_row(path, width)  # the byte scan and Arrow disagree on rows
    problems = []
    if found.open_quote is not None:
        message = (
            "opens a quote that never closes, so the rest of the file would be one cell; "
            "check the quotes in this row"
        )
        problems.append(Problem(source, found.open_quote, None, message))
    elif found.longest[1] > BLOCK_BYTES:
        message = (
            f"is longer than {BLOCK_BYTES:,} bytes, more than a row may be; a quote that opens "
            "in it and closes much later makes many lines one cell: check its quotes"
        )
        problems.append(Problem(source, found.longest[0], None, message))
    elif found.long_cell is not None:
        message = "has a cell longer than 131,072 characters: check the quotes in this row"
        problems.append(Problem(source, found.long_cell, None, message))
    for row, cells, shown in found.wrong_width:
        if row == found.open_quote:
            continue
        message = f"has {cells} cells but the header has {width}: {shown}"
        problems.append(Problem(source, row, None, message))
    more = found.wrong_count - len(found.wrong_width)
    if more > 0:
        problems.append(Problem(source, None, None, f"and {more:,} more rows of the wrong width"))
    if not problems:  # the scan and Arrow disagree on where rows end: say what Arrow saw
        message = f"has {skipped:,} rows whose number of cells is not the header's {width}"
        problems.append(Problem(source, None, None, message))
    return problems


def _located(bad: Any) -> list[int]:
    """Row numbers (header = 1) where `bad` holds."""
    positions = np.flatnonzero(pc.fill_null(bad, False).to_numpy(zero_copy_only=False))
    return [int(p) + 2 for p in positions]


def _cell_problems(
    source: str, name: str, rows: list[int], describe: Any, summary: str
) -> list[Problem]:
    column = name_shown(name)
    problems = [Problem(source, row, column, describe(row)) for row in rows[:PROBLEMS_PER_CHECK]]
    more = len(rows) - PROBLEMS_PER_CHECK
    if more > 0:
        problems.append(Problem(source, None, column, f"and {more:,} more rows {summary}"))
    return problems


def _as_text(column: Any, source: str, name: str, problems: list[Problem]) -> Any:
    """A column of bytes as UTF-8 text, or None with a problem per cell that is not text."""
    nul = pc.match_substring(column, "\x00")
    if pc.any(nul).as_py():
        rows = _located(nul)
        problems += _cell_problems(
            source,
            name,
            rows,
            lambda _: (
                "holds a NUL byte, which text never has: the file is damaged, binary or "
                f"UTF-16; {_SAVE_AS_UTF8}"
            ),
            "with NUL bytes",
        )
        return None
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        pass
    # Only a file that is not UTF-8 gets here: find its cells one by one, in the blocks of
    # Arrow's reading that fail as a whole (a block holds a megabyte of the file).
    shown: dict[int, str] = {}
    rows = []
    first = 0
    for chunk in column.chunks:
        try:
            chunk.cast(pa.string())
        except pa.ArrowInvalid:
            for position, value in enumerate(chunk.to_pylist(), start=first):
                try:
                    if value is not None:
                        value.decode("utf-8")
                except UnicodeDecodeError:
                    rows.append(position + 2)
                    if len(shown) < PROBLEMS_PER_CHECK:
                        shown[position + 2] = excerpt(value.decode("utf-8", "surrogateescape"))
        first += len(chunk)
    problems += _cell_problems(
        source,
        name,
        rows,
        lambda row: f"{shown[row]} is not valid UTF-8 text; {_SAVE_AS_UTF8}",
        "that are not UTF-8 text",
    )
    return None


def _unguard(column: Any) -> Any:
    """Drop the writer's quote guard (see `read`'s docstring); most columns have none."""
    if not pc.any(pc.starts_with(column, "'")).as_py():
        return column
    return pc.replace_substring_regex(column, UNQUOTE_PATTERN, r"\1")


def _arrow_problem(text: str) -> str:
    if "header is larger than block size" in text:
        return (
            f"the header row is longer than {BLOCK_BYTES:,} bytes; the first line must hold "
            "only the column names (does the file lack its line breaks?)"
        )
    return f"cannot be read as CSV ({excerpt(text)})"


def read_csv(
    path: Path, source: str, limits: ReadLimits, problems: list[Problem], expected: Collection[str]
) -> pd.DataFrame | None:
    """The CSV file at `path` as text columns indexed by row number, or None with problems.

    `expected` are the table's column names (to recognise a semicolon-separated file)."""
    refused = check_csv(path, limits)
    if refused:
        problems.append(Problem(source, None, None, refused))
        return None
    names = _header(path, source, problems)
    if names is None:
        return None
    if not names:
        problems.append(Problem(source, None, None, "is empty: a header row is expected"))
        return None
    if _separated_by_semicolons(names, expected):
        message = (
            "this file seems to be separated by semicolons; save it as CSV with commas "
            "(or UTF-8 CSV)"
        )
        problems.append(Problem(source, 1, None, message))
        return None
    names = checked_header(names, source, problems)
    placeholders = [f"c{i}" for i in range(len(names))]
    skipped = 0

    def on_bad_row(_: Any) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=placeholders, skip_rows=1, block_size=BLOCK_BYTES
            ),
            # Blank lines are kept (and dropped later) so row numbers match the file's rows.
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_bad_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.binary()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as error:
        text = str(error)
        # Arrow cannot hand a row that is not UTF-8 to `on_bad_row`, and fails on a row longer
        # than its block: both are found by scanning the file.
        if "columns, got" in text or "straddl" in text:
            problems += _shape_problems(path, source, len(names), max(skipped, 1))
        else:
            problems.append(Problem(source, None, None, _arrow_problem(text)))
        return None
    except OSError as error:
        problems.append(Problem(source, None, None, _arrow_problem(str(error))))
        return None
    if skipped:
        # Arrow skipped rows, so later row numbers would shift: nothing else is checked.
        problems += _shape_problems(path, source, len(names), skipped, table.num_rows + skipped)
        return None
    columns = zip(table.columns, names, strict=True)
    texts = [_as_text(column, source, name, problems) for column, name in columns]
    if any(text is None for text in texts):
        return None
    frame = frame_of([_unguard(text) for text in texts], names)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if len(frame.columns):
        present = frame.notna().any(axis=1)
        if not present.all():  # blank rows keep their numbers in the index
            frame = frame[present]
    return frame

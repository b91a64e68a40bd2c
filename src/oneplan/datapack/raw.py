"""What reading a data package gives: tables of raw text, problems, notices, refused tables.

Shared by the readers of each format (`read`, `read_csv`, `read_xlsx`) and by validation.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from oneplan.datapack.cells import name_shown
from oneplan.errors import Notice, Problem

#: The dtype of every raw cell: text held by Arrow, missing as <NA>.
TEXT = pd.StringDtype("pyarrow")
AS_TEXT = {pa.string(): TEXT, pa.large_string(): TEXT}.get


@dataclass
class RawTable:
    """One table as found in the package: text cells (``string[pyarrow]``, missing = <NA>),
    indexed by spreadsheet row number (header = 1, first data row = 2)."""

    name: str
    source: str  # what problems name: "items.csv" or "plan.xlsx, sheet items"
    frame: pd.DataFrame


@dataclass
class RawPackage:
    """Every table read from one package, plus what was met while reading.

    `problems` refuse the package; `warnings` tell of what was left out (a workbook's notes
    sheet) and refuse nothing; `refused` names the tables the package gives but that could not
    be read at all (table name -> its source), so that validation can say why rows referring to
    them find nothing."""

    source: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def is_ignored(name: str) -> bool:
    """Files and sheets left to people: notes (``_...``), hidden files, the published descriptor."""
    return name.startswith(("_", ".")) or name == "datapackage.json"


def checked_header(names: list[str], source: str, problems: list[Problem]) -> list[str]:
    """Header names, stripped; unnamed and repeated columns are problems."""
    seen: set[str] = set()
    for number, raw_name in enumerate(names, start=1):
        name = raw_name.strip()
        if not name:
            problems.append(Problem(source, 1, None, f"column {number} has no name"))
        elif name in seen:
            problems.append(Problem(source, 1, name_shown(name), "column appears more than once"))
        seen.add(name)
    return [n.strip() for n in names]


def unknown_table(source: str, name: str, known: Collection[str]) -> Problem:
    label = name_shown(name)
    shown = repr(name) if label == name else label
    tables = ", ".join(sorted(known))
    return Problem(source, None, None, f"unknown table {shown}; known tables: {tables}")


def unknown_sheet(source: str, name: str, known: Collection[str]) -> Notice:
    """A workbook's sheet that is no table (notes, a pivot): left out, with a word about it."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean {close[0]}?" if close else f"the tables are {', '.join(sorted(known))}"
    return Notice(source, None, None, f"ignored: not a table of the data package; {hint}")


def frame_of(columns: list[pa.ChunkedArray | pa.Array], names: list[str]) -> pd.DataFrame:
    """Text columns as a frame with the header's names (which may repeat or be empty)."""
    placeholders = [f"c{i}" for i in range(len(names))]
    frame: pd.DataFrame = pa.table(columns, names=placeholders).to_pandas(types_mapper=AS_TEXT)
    frame.columns = pd.Index(names)
    return frame

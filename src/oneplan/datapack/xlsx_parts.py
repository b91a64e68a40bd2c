"""The parts of an xlsx workbook a data package needs, read without trusting them.

An xlsx file is a zip archive of XML parts tied together by relationship parts: the workbook part
lists the sheets, its relationships say which part holds each sheet, the shared strings and the
styles. Every part goes through expat, a streaming parser, with DTDs refused (a workbook never
needs one, and entities could expand without bound). A relationship that points outside the
archive or at a part it lacks is refused by name, never followed.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from xml.parsers import expat

import numpy as np
import pyarrow as pa

from oneplan.datapack.cells import excerpt, name_shown
from oneplan.datapack.safety import ReadLimits

MAIN = frozenset(
    {
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict OOXML
    }
)
_RELATIONSHIP_IDS = frozenset(
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
    }
)
_PACKAGE = frozenset({"http://schemas.openxmlformats.org/package/2006/relationships"})
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
_READ_BYTES = 1 << 20  # inflated bytes handed to the parser at a time
MAX_CELL_CHARACTERS = 1 << 20  # Excel holds 32,767 per cell; more is no spreadsheet's cell


class Refused(Exception):
    """A part, a sheet or the whole workbook cannot be read; the message says why."""

    def __init__(self, message: str, *, whole_workbook: bool = False) -> None:
        super().__init__(message)
        self.whole_workbook = whole_workbook


def local_names(namespaces: frozenset[str]) -> Callable[[str], str]:
    """Element and attribute names without their namespace ("" for foreign namespaces).

    Expat gives "namespace local"; the cache keeps this to one dict lookup per element."""
    cache: dict[str, str] = {}

    def local(name: str) -> str:
        found = cache.get(name)
        if found is None:
            space, _, tail = name.rpartition(" ")
            found = tail if not space or space in namespaces else ""
            if len(cache) < 256:  # a hostile part can invent names without end
                cache[name] = found
        return found

    return local


def xml_parser() -> Any:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    return parser


def feed(parser: Any, archive: zipfile.ZipFile, part: str) -> None:
    """Run `parser` over one archive member; damage and DTDs become `Refused`."""

    def refuse_dtd(*_: Any) -> None:
        raise Refused(
            f"cannot be read: its part {part} declares a DTD, which a workbook never needs "
            "(refused: its entities could expand without bound)"
        )

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_READ_BYTES):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        where = f"line {error.lineno}, column {error.offset + 1}"
        reason = expat.ErrorString(error.code)
        raise Refused(f"cannot be read: its part {part} is damaged ({reason} at {where})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        reason = excerpt(str(error))
        raise Refused(f"cannot be read: its part {part} is damaged ({reason})") from None


@dataclass(frozen=True)
class Relationship:
    kind: str  # the last word of its type: worksheet, sharedStrings, styles, chartsheet, ...
    target: str
    external: bool


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, Relationship]:
    local = local_names(_PACKAGE)
    found: dict[str, Relationship] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if local(name) == "Relationship":
            kind = attrs.get("Type", "").rstrip("/").rpartition("/")[2]
            external = attrs.get("TargetMode") == "External"
            found[attrs.get("Id", "")] = Relationship(kind, attrs.get("Target", ""), external)

    parser = xml_parser()
    parser.StartElementHandler = start
    feed(parser, archive, part)
    return found


@dataclass(frozen=True)
class Sheet:
    name: str
    relationship: str | None  # the r:id naming the part that holds it


def _sheets(archive: zipfile.ZipFile) -> tuple[list[Sheet], bool]:
    """The workbook's sheets in order, and whether its dates count from 1904."""
    local = local_names(MAIN)
    sheets: list[Sheet] = []
    date1904 = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal date1904
        tag = local(name)
        if tag == "sheet":
            relationship = next(
                (
                    value
                    for key, value in attrs.items()
                    if key.endswith(" id") and key.rpartition(" ")[0] in _RELATIONSHIP_IDS
                ),
                None,
            )
            sheets.append(Sheet(attrs.get("name", ""), relationship))
        elif tag == "workbookPr":
            date1904 = attrs.get("date1904", "").lower() in ("1", "true")

    parser = xml_parser()
    parser.StartElementHandler = start
    feed(parser, archive, _WORKBOOK)
    return sheets, date1904


def _member(relation: Relationship, members: dict[str, str]) -> str:
    """The archive member a relationship of the workbook part points at.

    Targets are relative to the workbook part's folder (xl/), or to the archive's root when they
    start with "/"; anything that leaves the archive is refused, never opened."""
    target = unquote(relation.target)
    inside = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    path = posixpath.normpath(inside)
    if relation.external or "://" in target or path == ".." or path.startswith(("../", "/")):
        shown = name_shown(relation.target)
        raise Refused(f"cannot be read: its part {shown} lies outside the workbook")
    member = members.get(path.lower())  # part names are case-insensitive
    if member is None:
        raise Refused(f"cannot be read: its part {name_shown(path)} is missing from the workbook")
    return member


@dataclass
class Budget:
    """What reading a workbook keeps, against the reader's limits: every value slot (a shared
    string, a cell of a named column, a row's number) and every byte of text (the shared strings
    once, and again each time a cell shows one). Both are counted before anything is kept."""

    limits: ReadLimits
    cells: int = 0
    text_bytes: int = 0

    def keep(self, cells: int, text_bytes: int, has: str, holds: str) -> None:
        """Count what is about to be kept; refuse the workbook when it is too much (the message
        starts with `has` for cells, `holds` for text: "has", "its cells hold")."""
        self.cells += cells
        self.text_bytes += text_bytes
        limits = self.limits
        if self.cells > limits.max_cells:
            raise Refused(
                f"{has} more than {limits.max_cells:,} cells (counting every sheet's rows times "
                "its named columns, and the shared strings); save large tables as CSV or Parquet",
                whole_workbook=True,
            )
        if self.text_bytes > limits.max_text_bytes:
            raise Refused(
                f"{holds} more than {limits.max_text_bytes:,} bytes of text (a shared string "
                "counts each time a cell shows it); save large tables as CSV or Parquet",
                whole_workbook=True,
            )


@dataclass
class SharedStrings:
    """The workbook's shared strings as one Arrow array (an empty string is missing), with the
    offsets of each in its UTF-8 data, so a sheet's text is counted before it is expanded."""

    text: Any = field(default_factory=lambda: pa.array([], pa.large_string()))
    offsets: Any = field(default_factory=lambda: np.zeros(1, np.int64))

    def __len__(self) -> int:
        return len(self.text)

    def at(self, index: int) -> str | None:
        value: str | None = self.text[index].as_py()
        return value

    def text_bytes(self, indices: Any) -> int:
        """UTF-8 bytes of the strings at `indices` (a numpy array of valid indices)."""
        return int((self.offsets[indices + 1] - self.offsets[indices]).sum())


def _each_shared_string(archive: zipfile.ZipFile, part: str, on_string: Any) -> None:
    """Call `on_string(text)` for each shared string of `part`, in order."""
    local = local_names(MAIN)
    pieces: list[str] | None = None  # the text of the <si> being read
    collecting = False
    phonetic = 0  # inside <rPh>: a reading aid for East Asian text, not part of the value

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal pieces, collecting, phonetic
        tag = local(name)
        if tag == "si":
            pieces = []
        elif tag == "t" and pieces is not None and not phonetic:
            collecting = True
        elif tag == "rPh":
            phonetic += 1

    def end(name: str) -> None:
        nonlocal pieces, collecting, phonetic
        tag = local(name)
        if tag == "t":
            collecting = False
        elif tag == "rPh":
            phonetic -= 1
        elif tag == "si" and pieces is not None:
            on_string("".join(pieces))
            pieces = None

    def data(text: str) -> None:
        if collecting and pieces is not None:
            pieces.append(text)
            if len(pieces) > 1 and sum(map(len, pieces)) > MAX_CELL_CHARACTERS:
                raise Refused(
                    f"its part {part} holds a text longer than {MAX_CELL_CHARACTERS:,} "
                    "characters, more than any cell holds",
                    whole_workbook=True,
                )

    parser = xml_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    feed(parser, archive, part)


def _shared_strings(archive: zipfile.ZipFile, part: str, budget: Budget) -> SharedStrings:
    """The shared strings, read twice: once to count them against the budget, once into buffers
    of the exact size (growing or joining Arrow chunks would hold them twice for a moment)."""
    count = size = 0
    room_cells = budget.limits.max_cells - budget.cells
    room_text = budget.limits.max_text_bytes - budget.text_bytes
    holds = f"its part {part} holds"

    def measure(text: str) -> None:
        nonlocal count, size
        count += 1
        size += len(text.encode())
        if count > room_cells or size > room_text:
            budget.keep(count, size, holds, holds)  # refuses at once, before anything is kept

    _each_shared_string(archive, part, measure)
    budget.keep(count, size, holds, holds)
    offsets = np.zeros(count + 1, np.int64)
    data = np.empty(size, np.uint8)
    filled = 0

    def store(text: str) -> None:
        nonlocal filled
        encoded = text.encode()
        start = offsets[filled]
        if filled >= count or start + len(encoded) > size:
            raise Refused(f"cannot be read: its part {part} changed while it was read")
        data[start : start + len(encoded)] = np.frombuffer(encoded, np.uint8)
        filled += 1
        offsets[filled] = start + len(encoded)

    _each_shared_string(archive, part, store)
    present = np.packbits(np.diff(offsets) > 0, bitorder="little")  # an empty string is missing
    text = pa.LargeStringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(data), pa.py_buffer(present)
    )
    return SharedStrings(text, offsets)


def _date_styles(archive: zipfile.ZipFile, part: str) -> tuple[frozenset[str], frozenset[str]]:
    """The cell styles (as the ``s`` attribute writes them) whose number format shows a date, and
    those that show a duration; judged by openpyxl's rules, so the writer and reader agree."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    local = local_names(MAIN)
    custom: dict[str, str] = {}
    formats: list[str] = []
    in_cell_formats = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_formats
        tag = local(name)
        if tag == "numFmt":
            custom[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            in_cell_formats = True
        elif tag == "xf" and in_cell_formats:
            formats.append(attrs.get("numFmtId", "0"))

    def end(name: str) -> None:
        nonlocal in_cell_formats
        if local(name) == "cellXfs":
            in_cell_formats = False

    parser = xml_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    feed(parser, archive, part)
    dates, durations = set(), set()
    for style, number_format in enumerate(formats):
        code = custom.get(number_format)
        if code is None and number_format.isdigit():
            code = BUILTIN_FORMATS.get(int(number_format))
        if is_date_format(code):
            dates.add(str(style))
        if is_timedelta_format(code):
            durations.add(str(style))
    return frozenset(dates), frozenset(durations)


@dataclass
class Workbook:
    """An open workbook: its sheets, the parts they point at, the shared strings and the cell
    styles that make a number a date (as the ``s`` attribute of a cell writes them)."""

    archive: zipfile.ZipFile
    sheets: list[Sheet]
    relationships: dict[str, Relationship]
    members: dict[str, str]
    shared: SharedStrings
    dates: frozenset[str]
    durations: frozenset[str]
    epoch: dt.datetime

    @classmethod
    def open(cls, archive: zipfile.ZipFile, budget: Budget) -> Workbook:
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

        members = {name.lower(): name for name in archive.namelist()}
        sheets, date1904 = _sheets(archive)
        relationships = {}
        if _WORKBOOK_RELATIONSHIPS in archive.namelist():
            relationships = _relationships(archive, _WORKBOOK_RELATIONSHIPS)
        kinds = {r.kind: r for r in relationships.values()}
        shared = SharedStrings()
        if "sharedStrings" in kinds:
            part = _member(kinds["sharedStrings"], members)
            shared = _shared_strings(archive, part, budget)
        dates: frozenset[str] = frozenset()
        durations: frozenset[str] = frozenset()
        if "styles" in kinds:
            dates, durations = _date_styles(archive, _member(kinds["styles"], members))
        epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        return cls(archive, sheets, relationships, members, shared, dates, durations, epoch)

    def part_of(self, sheet: Sheet) -> str:
        relation = self.relationships.get(sheet.relationship or "")
        if relation is None:
            raise Refused("cannot be read: the workbook does not say which part holds it")
        if relation.kind != "worksheet":
            kind = name_shown(relation.kind)
            raise Refused(f"cannot be read: it is a {kind}, not a table of cells")
        return _member(relation, self.members)

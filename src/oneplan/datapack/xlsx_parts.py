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

import pyarrow as pa
import pyarrow.compute as pc

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
CHUNK_CELLS = 1 << 18  # values buffered as Python objects before they become Arrow text...
CHUNK_CHARACTERS = 1 << 24  # ...or characters of text, whichever comes first
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
            found = cache[name] = tail if not space or space in namespaces else ""
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
class SharedStrings:
    """The workbook's shared strings as one Arrow array (an empty string is missing), with the
    UTF-8 length of each, so a sheet's text can be counted before it is expanded."""

    text: Any = field(default_factory=lambda: pa.array([], pa.string()))
    lengths: Any = field(default_factory=lambda: pa.array([], pa.int64()))

    def __len__(self) -> int:
        return len(self.text)

    def at(self, index: int) -> str | None:
        value: str | None = self.text[index].as_py()
        return value


def _shared_strings(archive: zipfile.ZipFile, part: str, limits: ReadLimits) -> SharedStrings:
    local = local_names(MAIN)
    chunks: list[Any] = []
    pending: list[str | None] = []
    pending_characters = 0
    count = text_bytes = 0
    pieces: list[str] | None = None  # the text of the <si> being read
    collecting = False
    phonetic = 0  # inside <rPh>: a reading aid for East Asian text, not part of the value

    def flush() -> None:
        nonlocal pending, pending_characters, text_bytes
        chunk = pa.array(pending, pa.string())
        text_bytes += pc.sum(pc.binary_length(chunk)).as_py() or 0
        if text_bytes > limits.max_text_bytes:
            raise Refused(
                f"its shared strings ({part}) hold more than {limits.max_text_bytes:,} bytes "
                "of text; save large tables as CSV or Parquet",
                whole_workbook=True,
            )
        chunks.append(chunk)
        pending, pending_characters = [], 0

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
        nonlocal pieces, collecting, phonetic, count, pending_characters
        tag = local(name)
        if tag == "t":
            collecting = False
        elif tag == "rPh":
            phonetic -= 1
        elif tag == "si" and pieces is not None:
            text = "".join(pieces)
            pieces = None
            pending.append(text or None)
            pending_characters += len(text)
            count += 1
            if count > limits.max_cells:
                raise Refused(
                    f"its part {part} holds more than {limits.max_cells:,} shared strings",
                    whole_workbook=True,
                )
            if len(pending) >= CHUNK_CELLS or pending_characters >= CHUNK_CHARACTERS:
                flush()

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
    flush()
    text = pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())
    return SharedStrings(text, pc.fill_null(pc.binary_length(text), 0).cast(pa.int64()))


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
    def open(cls, archive: zipfile.ZipFile, limits: ReadLimits) -> Workbook:
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
            shared = _shared_strings(archive, part, limits)
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
            raise Refused(f"cannot be read: it is a {relation.kind}, not a table of cells")
        return _member(relation, self.members)

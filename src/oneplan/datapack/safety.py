"""Checks made before a parser touches an uploaded file: size, magic bytes, zip bombs.

Each check returns a message (what is wrong, in the user's words) or None when the file may be
opened. The reader turns a message into a `Problem` naming the file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from oneplan.datapack.cells import name_shown

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
# Signatures of formats people save by mistake under a .csv name.
_BINARY_SIGNATURES = {
    ZIP_MAGIC: "a zip archive (an .xlsx workbook?)",
    PARQUET_MAGIC: "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or other OLE file",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
}


@dataclass(frozen=True)
class ReadLimits:
    """How much an uploaded data package may cost to open.

    The zip limits work on the sizes the archive declares: Python's zipfile stops inflating a
    member at its declared size (and then fails its checksum), so a member cannot lie its way
    past them. With every limit at its default, reading any workbook stays under 1 GiB of
    memory (measured by bench/xlsx_memory.py; figures in docs/performance.md).
    """

    max_file_bytes: int = 2 * GIB  # any one file as stored on disk
    max_uncompressed_bytes: int = 1 * GIB  # an xlsx, all members inflated; a parquet, all data
    max_members: int = 1000  # zip members in an xlsx
    max_compression_ratio: float = 100.0  # inflated / stored size of one xlsx member...
    ratio_min_bytes: int = 4 * MIB  # ...checked only for members that inflate beyond this
    # A workbook's cells can repeat one long shared string a million times, or name thousands of
    # columns over a million rows, within the limits above: these bound what reading keeps.
    max_text_bytes: int = 256 * MIB  # text in a workbook's cells (and in its shared strings)
    max_cells: int = 30_000_000  # values kept from a workbook (rows x (named columns + 1))


def _head(path: Path, size: int = 8 * KIB) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def check_size(path: Path, limits: ReadLimits) -> str | None:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return f"is {size:,} bytes, more than the {limits.max_file_bytes:,} allowed"
    return None


def check_csv(path: Path, limits: ReadLimits) -> str | None:
    """A CSV must be UTF-8 text: no NUL bytes, no known binary signature, no UTF-16 mark."""
    problem = check_size(path, limits)
    if problem:
        return problem
    head = _head(path)
    for magic, what in _BINARY_SIGNATURES.items():
        if head.startswith(magic):
            return f"is not a CSV text file: it looks like {what}"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; save it as UTF-8 CSV"
    if b"\x00" in head:
        return "is not a CSV text file: it holds binary data (NUL bytes)"
    return None


def check_parquet(path: Path, limits: ReadLimits) -> str | None:
    problem = check_size(path, limits)
    if problem:
        return problem
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(size - 4, 0))
        tail = handle.read(4)
    if size < 12 or head != PARQUET_MAGIC or tail != PARQUET_MAGIC:
        return "is not a Parquet file (it lacks the PAR1 signature)"
    return None


def check_xlsx(path: Path, limits: ReadLimits) -> str | None:
    """Refuse what is not a zip, and zip bombs, before openpyxl inflates anything."""
    problem = check_size(path, limits)
    if problem:
        return problem
    if not _head(path, 4).startswith(ZIP_MAGIC):
        return "is not an xlsx workbook (it is not a zip archive)"
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return f"is not a readable xlsx workbook ({name_shown(str(exc))})"
    if len(members) > limits.max_members:
        return f"has {len(members):,} parts, more than the {limits.max_members:,} allowed"
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        return (
            f"would inflate to {total:,} bytes, more than the "
            f"{limits.max_uncompressed_bytes:,} allowed"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_min_bytes and ratio > limits.max_compression_ratio:
            return (
                f"part {name_shown(member.filename)} inflates {ratio:,.0f} times its stored size "
                f"(more than {limits.max_compression_ratio:g}); refused as a possible zip bomb"
            )
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return "is a zip archive but not an xlsx workbook"
    return None

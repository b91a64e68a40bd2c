"""A data package received as one file (an upload): stored within the size limit, unpacked.

What travels in one file: a zip of the package's CSV or Parquet files, one xlsx workbook, or a
single table's .csv or .parquet file. `receive_package` writes it under a folder the caller
owns (and removes), refusing it as soon as it passes ``max_upload_bytes`` (`TooLarge`), and
returns the path `read_package_files` reads.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePath
from typing import BinaryIO

from oneplan.config import Settings
from oneplan.datapack.archive import unpack_zip
from oneplan.datapack.cells import name_shown
from oneplan.errors import Problem, TooLarge, ValidationFailed
from oneplan.services.data.service import read_limits

#: What an uploaded file may be, by the end of its name.
SUFFIXES = (".zip", ".xlsx", ".csv", ".parquet")
CHUNK = 1 << 20


def upload_name(name: str | None) -> str:
    """The uploaded file's own name, without any folder a client put before it.

    >>> upload_name("C:\\\\exports\\\\company.xlsx"), upload_name("../../x.zip"), upload_name("")
    ('company.xlsx', 'x.zip', 'package')
    """
    leaf = PurePath((name or "").replace("\\", "/")).name
    return leaf if leaf not in ("", ".", "..") else "package"


def too_large(name: str, size: int, settings: Settings) -> TooLarge:
    limit = settings.max_upload_bytes
    message = (
        f"is {size:,} bytes or more, more than the {limit:,} one upload may hold "
        "(ONEPLAN_MAX_UPLOAD_BYTES); import a package this large on the server with "
        "`oneplan import`"
    )
    return TooLarge([Problem(name_shown(name), None, None, message)])


def receive_package(name: str | None, stream: BinaryIO, folder: Path, settings: Settings) -> Path:
    """Store the uploaded package ``stream`` (its file named ``name``) under ``folder``; the
    path to read: the workbook or table file itself, or the folder a zip unpacked to.

    Refused: a name with another ending, a file larger than the limit (`TooLarge`, nothing
    kept), a zip that is not a flat folder of files within the reading limits."""
    leaf = upload_name(name)
    if not leaf.lower().endswith(SUFFIXES):
        message = (
            "expected a .zip of the package's CSV or Parquet files, an .xlsx workbook, or one "
            "table as <table>.csv or <table>.parquet"
        )
        raise ValidationFailed([Problem(name_shown(leaf), None, None, message)])
    received = folder / "received"
    received.mkdir(parents=True, exist_ok=True)
    target = received / leaf
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > settings.max_upload_bytes:
                out.close()
                shutil.rmtree(received, ignore_errors=True)
                raise too_large(leaf, size, settings)
            out.write(chunk)
    if not leaf.lower().endswith(".zip"):
        return target
    unpacked = folder / "package"
    problems = unpack_zip(target, unpacked, read_limits(settings))
    if problems:
        raise ValidationFailed(problems)
    target.unlink()
    return unpacked

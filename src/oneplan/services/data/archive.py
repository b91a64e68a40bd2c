"""A data package as one file, for the web: an upload unpacked into a folder the readers know,
checked before anything changes, and the database's package packed for download.

An upload is one file: an xlsx workbook as it is, or a zip holding the package's CSV or Parquet
files (at its top, or in one folder: what zipping a package folder gives). The zip is opened
with the limits an xlsx is held to (`ReadLimits`), and a member that would land outside the
folder, a link or a nested folder is refused by name before anything is written.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.datapack.cells import name_shown
from oneplan.datapack.safety import MIB, ReadLimits
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.data.schemas import ValidationReport
from oneplan.services.data.service import (
    PackageFiles,
    checks_against_database,
    export_package,
    read_package_files,
    validate_files,
)
from oneplan.services.permissions import Permission, require, require_some

#: What an upload may be called: a workbook, or a zip of a CSV or Parquet package.
UPLOAD_KINDS = (".zip", ".xlsx")
#: Parts of a zip made on a Mac or by Windows' explorer that are never package tables.
_NOISE = ("__MACOSX/", "Thumbs.db", ".DS_Store")


def _refuse(file: str, message: str) -> ValidationFailed:
    return ValidationFailed([Problem(file, None, None, message)])


def upload_limit_bytes(settings: Settings) -> int:
    return settings.web_upload_limit_mb * MIB


def _members(archive: zipfile.ZipFile, shown: str, limits: ReadLimits) -> list[zipfile.ZipInfo]:
    """The zip's files, each checked; every bad member named at once."""
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and not any(m.filename.startswith(n) or m.filename.endswith(n) for n in _NOISE)
    ]
    if len(members) > limits.max_members:
        raise _refuse(shown, f"holds {len(members):,} files, more than {limits.max_members:,}")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise _refuse(
            shown,
            f"would unpack to {total:,} bytes, more than the {limits.max_uncompressed_bytes:,} "
            "allowed (ONEPLAN_MAX_XLSX_UNCOMPRESSED_BYTES)",
        )
    problems = []
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        where = f"{shown}, file {name_shown(member.filename)}"
        if path.is_absolute() or ".." in path.parts:
            problems.append(Problem(where, None, None, "points outside the package; refused"))
        elif stat.S_ISLNK(member.external_attr >> 16):
            problems.append(Problem(where, None, None, "is a link; a package holds files only"))
        elif member.file_size > limits.max_file_bytes:
            problems.append(
                Problem(where, None, None, f"is {member.file_size:,} bytes, more than allowed")
            )
    if problems:
        raise ValidationFailed(problems)
    return members


def _common_folder(members: list[zipfile.ZipInfo]) -> str:
    """The one folder every file lies in (a zipped package folder), or "" when at the top."""
    parents = {PurePosixPath(m.filename).parent.as_posix() for m in members}
    if len(parents) == 1 and (top := parents.pop()) != ".":
        return top + "/"
    return ""


def unpack_upload(name: str, content: bytes, folder: Path, settings: Settings) -> Path:
    """The package an uploaded file holds, written under ``folder``: the workbook, or the folder
    of the zip's files. `ValidationFailed` names the file (and the member) when it cannot be.

    >>> unpack_upload("plan.pdf", b"%PDF", Path("."), Settings())
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - plan.pdf: is not a data package: upload a .zip of its CSV or Parquet files, or an .xlsx workbook
    """  # noqa: E501
    shown = name_shown(PurePosixPath(name.replace("\\", "/")).name or "upload")
    suffix = PurePosixPath(shown).suffix.lower()
    if suffix not in UPLOAD_KINDS:
        raise _refuse(
            shown,
            "is not a data package: upload a .zip of its CSV or Parquet files, or an .xlsx "
            "workbook",
        )
    limit = upload_limit_bytes(settings)
    if len(content) > limit:
        raise _refuse(
            shown,
            f"is {len(content):,} bytes, more than the {limit:,} an upload may be "
            "(ONEPLAN_WEB_UPLOAD_LIMIT_MB)",
        )
    if suffix == ".xlsx":
        target = folder / ("package.xlsx" if shown.startswith("'") else shown)
        target.write_bytes(content)
        return target
    limits = ReadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_uncompressed_bytes=settings.max_xlsx_uncompressed_bytes,
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise _refuse(shown, "is not a readable zip archive") from None
    package = folder / "package"
    package.mkdir()
    with archive:
        members = _members(archive, shown, limits)
        if not members:
            raise _refuse(shown, "holds no files: zip the package's CSV or Parquet files")
        top = _common_folder(members)
        for member in members:
            inner = member.filename.replace("\\", "/")[len(top) :]
            if "/" in inner:
                raise _refuse(
                    f"{shown}, file {name_shown(member.filename)}",
                    "lies in a folder inside the package: put every table's file side by side",
                )
            with archive.open(member) as source:  # stops at the declared size
                (package / inner).write_bytes(source.read())
    return package


def read_upload(name: str, content: bytes, settings: Settings) -> PackageFiles:
    """An uploaded package, read (not yet judged); its source is the upload's name.

    The unpacked files live only while they are read: the frames are kept in memory."""
    with tempfile.TemporaryDirectory(prefix="oneplan-upload-") as folder:
        path = unpack_upload(name, content, Path(folder), settings)
        files = read_package_files(path, settings)
    shown = name_shown(PurePosixPath(name.replace("\\", "/")).name or "upload")
    return replace(files, source=f"upload {shown}")


def check_upload(session: Session, actor: Actor, files: PackageFiles) -> ValidationReport:
    """Validate an uploaded package as its import will (against the database's rows when it
    holds some); `ValidationFailed` names every problem. Nothing is written."""
    require_some(actor, Permission.read)
    against = checks_against_database(session, actor)
    return validate_files(session if against else None, actor, files)[1]


def package_archive(session: Session, actor: Actor, fmt: str = "csv") -> tuple[str, bytes]:
    """The database's data package as one file to download: ``(file name, bytes)``; a zip of
    the CSV or Parquet folder, or the xlsx workbook. It holds the whole company, so a grant
    scoped to some families or locations does not give it."""
    require(actor, Permission.read)
    with tempfile.TemporaryDirectory(prefix="oneplan-export-") as folder:
        if fmt == "xlsx":
            path = Path(folder) / "oneplan-package.xlsx"
            export_package(session, actor, path, "xlsx")
            return path.name, path.read_bytes()
        path = Path(folder) / "oneplan-package"
        export_package(session, actor, path, fmt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(path.iterdir()):
                archive.write(file, f"oneplan-package/{file.name}")
        return "oneplan-package.zip", buffer.getvalue()

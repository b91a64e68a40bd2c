"""A data package as one file, for the web: an upload read by the rules of the API's uploads
and checked before anything changes, and the database's package packed for download."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.services.actor import Actor
from oneplan.services.data.schemas import ValidationReport
from oneplan.services.data.service import (
    PackageFiles,
    checks_against_database,
    export_package,
    read_package_files,
    validate_files,
)
from oneplan.services.data.upload import receive_package, upload_name
from oneplan.services.permissions import Permission, require, require_some


def read_upload(name: str, content: bytes, settings: Settings) -> PackageFiles:
    """An uploaded package, read (not yet judged), by the rules of the API's uploads
    (`oneplan.services.data.upload.receive_package`); its source is the upload's name.

    The unpacked files live only while they are read: the frames are kept in memory.

    >>> read_upload("plan.pdf", b"%PDF", Settings())
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - plan.pdf: expected a .zip of the package's CSV or Parquet files, an .xlsx workbook, or one table as <table>.csv or <table>.parquet
    """  # noqa: E501
    with tempfile.TemporaryDirectory(prefix="oneplan-upload-") as folder:
        path = receive_package(name, io.BytesIO(content), Path(folder), settings)
        return read_package_files(path, settings, source=f"upload {upload_name(name)}")


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

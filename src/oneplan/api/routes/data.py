"""The data package over HTTP: validate an upload, import it, list past imports, export.

An upload is one file in a multipart form (field ``package``): a zip of the package's CSV or
Parquet files, an xlsx workbook, or one table's .csv or .parquet. A package with problems is
refused as a problem document listing each by file, row and column, and changes nothing. An
upload larger than ``max_upload_bytes`` is refused (413) before it is read.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask

from oneplan.api.deps import CurrentActor, SessionDep, SettingsDep, settings_of
from oneplan.api.params import Offset
from oneplan.choices import PackageFormat
from oneplan.services.data.schemas import ImportPage, ImportReport, ValidationReport

#: Room for the multipart form around the file itself.
FORM_OVERHEAD = 64 * 1024
MEDIA_TYPES = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REFUSED: dict[int | str, dict[str, Any]] = {
    413: {"description": "The upload is larger than the server accepts (max_upload_bytes)"},
    422: {"description": "The package has problems, each named by file, row and column"},
}


class UploadLimit(APIRoute):
    """Refuse a request whose declared length passes the upload limit before its body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            settings = settings_of(request)
            if declared.isdigit() and int(declared) > settings.max_upload_bytes + FORM_OVERHEAD:
                from oneplan.services.data.upload import too_large

                raise too_large("package", int(declared), settings)
            return await handler(request)

        return limited


router = APIRouter(prefix="/data", tags=["data package"], route_class=UploadLimit)


def _received(upload: UploadFile, folder: Path, settings: SettingsDep) -> Any:
    """The upload stored under ``folder`` and read (`PackageFiles`), its source named after it."""
    from oneplan.services.data.service import read_package_files
    from oneplan.services.data.upload import receive_package, upload_name

    path = receive_package(upload.filename, upload.file, folder, settings)
    return read_package_files(path, settings, source=f"upload {upload_name(upload.filename)}")


@router.post("/validate", responses=REFUSED)
def validate_data_package(
    package: UploadFile, session: SessionDep, actor: CurrentActor, settings: SettingsDep
) -> ValidationReport:
    """Check a data package and list every problem; changes nothing. References are checked
    against the rows the database holds when it holds any, else within the package."""
    from oneplan.services.data.service import checks_against_database, validate_files

    with tempfile.TemporaryDirectory(prefix="oneplan-upload-") as folder:
        files = _received(package, Path(folder), settings)
        against = checks_against_database(session, actor)
        _, report = validate_files(session if against else None, actor, files)
    return report


@router.post("/imports", status_code=201, responses={**REFUSED, 403: {}, 409: {}})
def import_data_package(
    package: UploadFile,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    replace: Annotated[
        list[str] | None,
        Query(
            description="Tables to replace: their rows the package does not hold are deleted "
            "(snapshots such as inventory and customer_orders)."
        ),
    ] = None,
) -> ImportReport:
    """Import a data package all or nothing, as ``oneplan import`` does: rows are upserted by
    key and stamped with the import's number; its provenance names the uploaded file."""
    from oneplan.services.data.service import import_package

    with tempfile.TemporaryDirectory(prefix="oneplan-upload-") as folder:
        files = _received(package, Path(folder), settings)
        return import_package(
            session,
            actor,
            files,
            lock_timeout_s=settings.sqlite_busy_timeout_s,
            replace=replace or (),
        )


@router.get("/imports")
def list_data_imports(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ImportPage:
    """Past imports, newest first, with their provenance (source, format, hash of the files
    read, who, when, rows written per table)."""
    from oneplan.services.data.service import list_imports

    return list_imports(session, actor, limit=limit, offset=offset)


@router.get(
    "/export",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The package: a zip of CSV or Parquet files, or one xlsx workbook",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        403: {},
    },
)
def export_data_package(
    session: SessionDep,
    actor: CurrentActor,
    fmt: Annotated[PackageFormat, Query(alias="format")] = PackageFormat.csv,
) -> FileResponse:
    """The database as a data package, in the shape an import reads (every family and
    location: a grant limited to some may not take it)."""
    from oneplan.services.data.service import export_package

    folder = Path(tempfile.mkdtemp(prefix="oneplan-export-"))
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    try:
        if fmt is PackageFormat.xlsx:
            path = folder / "oneplan.xlsx"
            export_package(session, actor, path, fmt.value)
            media = MEDIA_TYPES["xlsx"]
        else:
            export_package(session, actor, folder / "oneplan", fmt.value)
            path = Path(shutil.make_archive(str(folder / "oneplan"), "zip", folder / "oneplan"))
            media = MEDIA_TYPES["zip"]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=media, filename=path.name, background=cleanup)

"""Downloads: the master production schedule input of the plan in force, and the executive
pack (made by a job, since it reads every plan and draws charts; fetched from the job)."""

from __future__ import annotations

import io
import secrets
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from oneplan.api.deps import CurrentActor, SessionDep, SettingsDep
from oneplan.choices import MpsFormat, MpsGrain
from oneplan.services.jobs.schemas import JobOut

router = APIRouter(tags=["exports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": "text/csv", "zip": "application/zip", "xlsx": XLSX}
PACK_TYPES = {"pdf": "application/pdf", "html": "text/html", "xlsx": XLSX}


@router.get(
    "/mps",
    response_class=Response,
    responses={
        200: {
            "description": "The schedule: csv (one grain; both grains: a zip of two csv files) "
            "or xlsx (a sheet per grain). X-Plan-Version names the version written; "
            "X-Plan-Note says when no plan is released and the newest was written instead.",
            **{"content": {t: {"schema": {"type": "string"}} for t in MEDIA_TYPES.values()}},
        },
        403: {},
        404: {},
    },
)
def export_mps(
    session: SessionDep,
    actor: CurrentActor,
    version: Annotated[
        int | None,
        Query(description="A supply or scenario version; none: the released supply plan."),
    ] = None,
    fmt: Annotated[MpsFormat, Query(alias="format")] = MpsFormat.csv,
    grain: MpsGrain = MpsGrain.month,
    lot_size: Annotated[int, Query(ge=1, le=1_000_000, description="Units per lot.")] = 1,
    minimum: Annotated[int, Query(ge=0, le=1_000_000_000, description="Fewest a month.")] = 0,
) -> Response:
    """The MPS input of the released supply plan (or of ``version``), in whole lots, as
    `oneplan supply export-mps` writes it."""
    from oneplan.services.supply.mps import export_mps

    with tempfile.TemporaryDirectory(prefix="oneplan-mps-") as folder:
        target = Path(folder) / ("mps.xlsx" if fmt is MpsFormat.xlsx else "mps")
        written = export_mps(
            session,
            actor,
            target,
            version_id=version,
            fmt=fmt.value,
            grain=grain.value,
            lot_size=lot_size,
            minimum=minimum,
        )
        if len(written.files) == 1:
            content, suffix = written.files[0].read_bytes(), written.files[0].suffix[1:]
            stem = written.files[0].stem if suffix == "csv" else "mps"
        else:  # both grains as csv: one file each, sent together
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
                for path in written.files:
                    packed.write(path, path.name)
            content, suffix, stem = buffer.getvalue(), "zip", "mps"
    headers = {
        "Content-Disposition": f'attachment; filename="{stem}-v{written.version_id}.{suffix}"',
        "X-Plan-Version": str(written.version_id),
    }
    if written.note:
        headers["X-Plan-Note"] = written.note
    return Response(content, media_type=MEDIA_TYPES[suffix], headers=headers)


@router.post("/executive-pack", status_code=202, responses={403: {}, 404: {}})
def make_executive_pack(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> JobOut:
    """Queue the executive pack of the newest financial plan (xlsx, HTML and PDF); once the
    job has succeeded, `GET /executive-pack/{job_id}?format=pdf` fetches it."""
    from oneplan.services.jobs.service import submit_job
    from oneplan.services.report.service import DEFAULT_FOLDER

    # a folder of its own per pack: a later pack of the same month never replaces this one
    folder = DEFAULT_FOLDER / "packs" / secrets.token_hex(8)
    job = submit_job(session, actor, "report", {"report_dir": str(folder)}, settings=settings)
    response.headers["Location"] = request.app.url_path_for("show_job", job_id=str(job.id))
    return job


@router.get(
    "/executive-pack/{job_id}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The pack in the format asked for",
            **{"content": {t: {"schema": {"type": "string"}} for t in PACK_TYPES.values()}},
        },
        404: {},
        409: {"description": "The job has not succeeded (yet)"},
    },
)
def download_executive_pack(
    job_id: int,
    session: SessionDep,
    actor: CurrentActor,
    fmt: Annotated[str, Query(alias="format", pattern="^(pdf|html|xlsx)$")] = "pdf",
) -> FileResponse:
    """The pack a report (or cycle) job wrote, as a download."""
    from oneplan.services.jobs.service import job_file

    path = job_file(session, actor, job_id, fmt)
    return FileResponse(path, media_type=PACK_TYPES[fmt], filename=path.name)

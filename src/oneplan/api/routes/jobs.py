"""Jobs: ask for a long run, follow it (a page of jobs, one job, its log), cancel it.

A job is queued here and run by a worker (`oneplan worker`, or the server's own threads), so
the request that asks answers at once with 202 and the job's address (docs/jobs.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from oneplan.api.deps import CurrentActor, SessionDep, SettingsDep
from oneplan.services.jobs.schemas import JobLogOut, JobOut, JobPage, JobQuery, JobState

router = APIRouter(prefix="/jobs", tags=["jobs"])


class NewJob(BaseModel):
    """A job to queue: its kind and that kind's parameters (docs/jobs.md lists both)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=40, examples=["supply"])
    parameters: dict[str, Any] | None = Field(
        None, description="The kind's parameters; none: its defaults."
    )


@router.post("", status_code=202, responses={403: {}, 404: {}, 422: {}})
def submit_job(
    body: NewJob,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> JobOut:
    """Queue a job after the checks a direct run makes; the answer's Location follows it."""
    from oneplan.services.jobs.service import submit_job

    job = submit_job(session, actor, body.kind, body.parameters, settings=settings)
    response.headers["Location"] = request.app.url_path_for("show_job", job_id=str(job.id))
    return job


@router.get("")
def list_jobs(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[list[JobState] | None, Query(description="Repeat for several.")] = None,
    kind: str | None = None,
    owner: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobPage:
    """A page of jobs, newest first, and how many match in all."""
    from oneplan.services.jobs.service import list_jobs

    query = JobQuery(states=state, kind=kind, owner=owner, offset=offset, limit=limit)
    return list_jobs(session, actor, query)


@router.get("/{job_id}", responses={404: {}})
def show_job(job_id: int, session: SessionDep, actor: CurrentActor) -> JobOut:
    """One job as stored now: its state, progress, step, and result or error."""
    from oneplan.services.jobs.service import show_job

    return show_job(session, actor, job_id)


@router.post("/{job_id}/cancel", responses={403: {}, 404: {}, 409: {}})
def cancel_job(job_id: int, session: SessionDep, actor: CurrentActor) -> JobOut:
    """Cancel a job: a queued one at once, a running one at its next phase boundary."""
    from oneplan.services.jobs.service import cancel_job

    return cancel_job(session, actor, job_id)


@router.get("/{job_id}/log", responses={404: {}})
def job_log(
    job_id: int,
    session: SessionDep,
    actor: CurrentActor,
    after: Annotated[
        int, Query(ge=0, description="The id of the last line already read; 0: from the first.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[JobLogOut]:
    """The job's log lines after line ``after``, oldest first: poll with the last id seen."""
    from oneplan.services.jobs.service import job_log

    return job_log(session, actor, job_id, after=after, limit=limit)

"""Jobs: ask for a long run, follow it (a page of jobs, one job, its log, its events), cancel it.

A job is queued here and run by a worker (`oneplan worker`, or the server's own threads), so
the request that asks answers at once with 202 and the job's address (docs/jobs.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from oneplan.api.deps import CurrentActor, EngineDep, SessionDep, SettingsDep
from oneplan.errors import OneplanError
from oneplan.services.actor import Actor
from oneplan.services.jobs.schemas import (
    FINISHED,
    JobLogOut,
    JobOut,
    JobPage,
    JobQuery,
    JobState,
)

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


#: How often a follower reads the job's row again, in seconds.
POLL_SECONDS = 0.5
#: A comment line this often while nothing changes, so proxies keep a quiet stream open.
KEEP_ALIVE_SECONDS = 15.0
#: A stream closes after this long even if the job goes on (a browser's EventSource opens it
#: again by itself), so no connection is held for ever by a job that no worker takes.
FOLLOW_SECONDS = 600.0
#: What a change of the job is: a new event is sent when one of these moves.
WATCHED = ("state", "progress", "step", "phase", "message")
EVENT_STREAM = "text/event-stream"


def _event(kind: str, job: JobOut) -> bytes:
    """One server-sent event: its id is the job row's version, its data the job as JSON."""
    return f"id: {job.version}\nevent: {kind}\ndata: {job.model_dump_json()}\n\n".encode()


def _read_job(engine: sa.Engine, actor: Actor, job_id: int) -> JobOut:
    """The job as stored now, read in a short transaction of its own."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.service import show_job

    with unit_of_work(engine, write=False) as session:
        return show_job(session, actor, job_id)


async def _follow(engine: sa.Engine, actor: Actor, first: JobOut) -> AsyncIterator[bytes]:
    job, seen = first, None
    clock = asyncio.get_running_loop().time
    began = quiet_since = clock()
    while True:
        now = tuple(getattr(job, name) for name in WATCHED)
        if now != seen:
            yield _event("progress", job)
            seen, quiet_since = now, clock()
        if job.state in FINISHED:
            yield _event("end", job)
            return
        if clock() - began >= FOLLOW_SECONDS:
            return
        if clock() - quiet_since >= KEEP_ALIVE_SECONDS:
            yield b": still running\n\n"
            quiet_since = clock()
        await asyncio.sleep(POLL_SECONDS)
        try:  # each read in a worker thread, its transaction closed before the next wait
            job = await asyncio.to_thread(_read_job, engine, actor, job.id)
        except OneplanError:  # the job or the follower's right to read went away: stop
            return


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events: ``progress`` (the job, each time its state, "
            "progress, step, phase or message changes; the first at once) and ``end`` (the job "
            "as it finished); the stream closes after ``end``.",
            "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
        },
        404: {},
    },
)
def follow_job(
    job_id: int, session: SessionDep, actor: CurrentActor, engine: EngineDep
) -> StreamingResponse:
    """Follow a job as it runs (text/event-stream): one event per change, one at its end."""
    from oneplan.services.jobs.service import show_job

    first = show_job(session, actor, job_id)  # a 404 before the stream begins
    return StreamingResponse(
        _follow(engine, actor, first),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

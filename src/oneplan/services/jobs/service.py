"""Ask for a job, follow it, cancel it: what a person does with jobs.

Every function takes the caller's session and actor and only flushes; the command or the
request commits. A worker's side of the queue (claim, progress, finish, recovery) is in
`oneplan.services.jobs.queue`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.db.jobs import Job, JobLogLine
from oneplan.errors import Conflict, NotFound, PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.jobs.kinds import check_may_run, job_kind, parameters_of
from oneplan.services.jobs.schemas import (
    FINISHED,
    JobLogOut,
    JobOut,
    JobPage,
    JobQuery,
    JobState,
)
from oneplan.services.permissions import Permission, Role, require

SUBJECT = "job"


def changed(session: Session, statement: sa.Executable) -> int:
    """Run an UPDATE in the caller's transaction; how many rows it changed."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def add_log(session: Session, job_id: int, line: str, at: datetime | None = None) -> None:
    """Add one line to a job's log (in the caller's transaction)."""
    session.add(JobLogLine(job_id=job_id, at=at or datetime.now(UTC), line=line[:2000]))


def submit_job(
    session: Session,
    actor: Actor,
    kind: str,
    parameters: dict[str, Any] | None,
    *,
    settings: Settings,
) -> JobOut:
    """Queue a job of ``kind`` for ``actor`` after the checks the direct run makes: the
    parameters are validated and the actor's permission for every step is checked now, so a
    refused job is never queued. ``settings`` are those the runs would be built with.

    The job runs as its owner with the grants the owner holds when it starts.
    """
    chosen = job_kind(kind)
    params = parameters_of(chosen, parameters)
    check_may_run(actor, chosen, params, settings)
    now = datetime.now(UTC)
    job = Job(
        kind=chosen.name,
        parameters=params.model_dump(mode="json"),
        owner=actor.name,
        state=JobState.queued.value,
        progress=0.0,
        message="waiting for a worker",
        stored=False,
        created_at=now,
        attempts=0,
        cancel_requested=False,
        version=1,
    )
    session.add(job)
    session.flush()
    add_log(session, job.id, f"queued by {actor.name}: {chosen.title}", now)
    record(session, actor, "job.submit", SUBJECT, job.id, {"kind": chosen.name})
    session.flush()
    return JobOut.model_validate(job)


def _get(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job #{job_id}")
    return job


def show_job(session: Session, actor: Actor, job_id: int) -> JobOut:
    """One job, as stored now."""
    require(actor, Permission.read)
    return JobOut.model_validate(_get(session, job_id))


def list_jobs(session: Session, actor: Actor, query: JobQuery | None = None) -> JobPage:
    """A page of jobs, newest first, filtered by state, kind and owner."""
    require(actor, Permission.read)
    query = query or JobQuery()
    where: list[sa.ColumnElement[bool]] = []
    if query.states:
        where.append(Job.state.in_([s.value for s in query.states]))
    if query.kind:
        where.append(Job.kind == query.kind)
    if query.owner:
        where.append(Job.owner == query.owner)
    total = session.scalar(sa.select(sa.func.count()).select_from(Job).where(*where)) or 0
    rows = session.scalars(
        sa.select(Job).where(*where).order_by(Job.id.desc()).offset(query.offset).limit(query.limit)
    )
    return JobPage(
        items=[JobOut.model_validate(row) for row in rows],
        total=total,
        offset=query.offset,
        limit=query.limit,
    )


def job_log(
    session: Session, actor: Actor, job_id: int, after: int = 0, limit: int = 1000
) -> list[JobLogOut]:
    """The job's log lines after line id ``after`` (0: from the first), oldest first."""
    require(actor, Permission.read)
    _get(session, job_id)
    rows = session.scalars(
        sa.select(JobLogLine)
        .where(JobLogLine.job_id == job_id, JobLogLine.id > after)
        .order_by(JobLogLine.id)
        .limit(limit)
    )
    return [JobLogOut.model_validate(row) for row in rows]


def cancel_job(session: Session, actor: Actor, job_id: int) -> JobOut:
    """Cancel a job: a queued one at once; a running one is asked to stop and stops at its next
    phase boundary (after a load, a compute or a step; a store that began is finished first).
    Only its owner or an administrator may; a finished job is a `Conflict`."""
    job = _get(session, job_id)
    if actor.name != job.owner and Role.admin not in actor.roles:
        raise PermissionDenied(
            f"{actor.name} may not cancel job #{job_id}: only its owner ({job.owner}) or an "
            "administrator may"
        )
    now = datetime.now(UTC)
    # one conditional update each: a worker claiming or finishing at the same moment either
    # happened before (the running branch or the conflict) or waits for this one
    done = changed(
        session,
        sa.update(Job)
        .where(Job.id == job_id, Job.state == JobState.queued.value)
        .values(
            state=JobState.cancelled.value,
            finished_at=now,
            message=f"cancelled by {actor.name} before it started",
            version=Job.version + 1,
        ),
    )
    if not done:
        done = changed(
            session,
            sa.update(Job)
            .where(Job.id == job_id, Job.state == JobState.running.value)
            .values(
                cancel_requested=True,
                message=f"cancel requested by {actor.name}; stops at the next phase boundary",
                version=Job.version + 1,
            ),
        )
    session.expire(job)
    if not done:
        state = session.scalar(sa.select(Job.state).where(Job.id == job_id)) or ""
        if state in FINISHED:
            raise Conflict(f"job #{job_id} has already {state}: there is nothing to cancel")
    add_log(session, job_id, f"cancel asked by {actor.name}", now)
    record(session, actor, "job.cancel", SUBJECT, job_id, {"state": job.state})
    session.flush()
    return JobOut.model_validate(_get(session, job_id))


def job_file(session: Session, actor: Actor, job_id: int, label: str) -> Path:
    """A file a succeeded job wrote, by the label of the figure that names it (the report step
    names each format of the pack: ``xlsx``, ``html``, ``pdf``). `Conflict` while the job has
    not succeeded; `NotFound` when it wrote no such file or the file is not on this machine
    (a worker elsewhere wrote it)."""
    job = show_job(session, actor, job_id)
    if job.state is not JobState.succeeded:
        raise Conflict(
            f"job #{job_id} is {job.state.value}: its files can be fetched once it has succeeded"
        )
    steps = (job.result or {}).get("steps", [])
    written = [
        f["value"]
        for step in steps
        for f in step.get("figures", [])
        if f.get("kind") == "file" and f.get("label") == label
    ]
    if not written:
        raise NotFound(f"job #{job_id} ({job.kind}) wrote no {label} file")
    path = Path(str(written[-1]))
    if not path.is_file():
        raise NotFound(
            f"the {label} file of job #{job_id} ({path}) is not on this server: the worker "
            f"that ran it ({job.worker}) keeps it on its own machine"
        )
    return path

"""The worker's side of the job table: claim, report progress, finish, recover.

Each function runs in the caller's transaction (the worker owns it) and only flushes. Every
change a worker makes is conditional on the job still being *its* running job: a worker that
was presumed dead and comes back finds its job gone and writes nothing.

Claiming never hands one job to two workers: on PostgreSQL the oldest queued row is locked
with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a worker skips rows another is claiming, without
waiting); on SQLite the claim is one ``UPDATE ... WHERE state = 'queued'`` inside the write
transaction, which holds the database's only write lock.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import NoticeKind
from oneplan.db.audit import utc_text
from oneplan.db.jobs import Job
from oneplan.errors import OneplanError, Problem, ValidationFailed
from oneplan.services.inbox.service import notify
from oneplan.services.jobs.schemas import ClaimedJob, JobState
from oneplan.services.jobs.service import add_log, changed

#: A stopped worker's job that never began to store is queued again at most this many times.
MAX_ATTEMPTS = 3


class JobLost(Exception):
    """The job is no longer this worker's (recovered after a missed heartbeat): stop quietly."""


class JobCancelled(Exception):
    """The owner or an administrator asked the job to stop."""


def _running(job_id: int, worker: str) -> list[sa.ColumnElement[bool]]:
    return [Job.id == job_id, Job.worker == worker, Job.state == JobState.running.value]


def claim_next(session: Session, worker: str, now: datetime | None = None) -> ClaimedJob | None:
    """Take the oldest queued job for ``worker``; None when nothing waits."""
    now = now or datetime.now(UTC)
    oldest = sa.select(Job.id).where(Job.state == JobState.queued.value).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        job_id = session.scalar(oldest.with_for_update(skip_locked=True))
        if job_id is None:
            return None
        target: Any = job_id
    else:
        target = oldest.scalar_subquery()
    row = session.execute(
        sa.update(Job)
        .where(Job.id == target, Job.state == JobState.queued.value)
        .values(
            state=JobState.running.value,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            message="started",
            version=Job.version + 1,
        )
        .returning(Job.id, Job.kind, Job.parameters, Job.owner, Job.attempts)
    ).first()
    if row is None:
        return None
    add_log(session, row.id, f"started by worker {worker} (attempt {row.attempts})", now)
    session.flush()
    return ClaimedJob(
        id=row.id, kind=row.kind, parameters=row.parameters, owner=row.owner, attempts=row.attempts
    )


def heartbeat(session: Session, job_id: int, worker: str, now: datetime | None = None) -> bool:
    """Say the worker is alive; False when the job is no longer its own."""
    return bool(
        changed(
            session,
            sa.update(Job)
            .where(*_running(job_id, worker))
            .values(heartbeat_at=now or datetime.now(UTC)),
        )
    )


def enter_phase(
    session: Session,
    job_id: int,
    worker: str,
    *,
    step: str,
    phase: str,
    progress: float,
    message: str,
) -> None:
    """Record that the job enters ``phase`` of ``step``; raise `JobCancelled` if it was asked to
    stop, `JobLost` if it is no longer this worker's. Entering ``store`` marks the job as having
    stored: in the store's own transaction, so the mark and the store commit together."""
    state = session.execute(
        sa.select(Job.cancel_requested).where(*_running(job_id, worker))
    ).first()
    if state is None:
        raise JobLost(job_id)
    if state.cancel_requested:
        raise JobCancelled(job_id)
    values: dict[str, Any] = {
        "step": step,
        "phase": phase,
        "progress": min(max(progress, 0.0), 1.0),
        "message": message[:300],
        "heartbeat_at": datetime.now(UTC),
        "version": Job.version + 1,
    }
    if phase == "store":
        values["stored"] = True
    session.execute(sa.update(Job).where(*_running(job_id, worker)).values(**values))
    add_log(session, job_id, message)
    session.flush()


def finish(
    session: Session,
    job_id: int,
    worker: str,
    state: JobState,
    *,
    message: str,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> bool:
    """Write the job's end; False (and nothing written) when it is no longer this worker's."""
    now = datetime.now(UTC)
    done = changed(
        session,
        sa.update(Job)
        .where(*_running(job_id, worker))
        .values(
            state=state.value,
            progress=1.0 if state is JobState.succeeded else Job.progress,
            message=message[:300],
            result=result,
            error=error,
            finished_at=now,
            heartbeat_at=now,
            version=Job.version + 1,
        ),
    )
    if done:
        add_log(session, job_id, message, now)
        session.flush()
        tell_owner(session, job_id, state, message)
    return bool(done)


def tell_owner(session: Session, job_id: int, state: JobState, message: str) -> None:
    """The job's owner hears that it succeeded or failed, in the transaction that ends it (a
    cancelled job was stopped by someone who knows)."""
    if state not in (JobState.succeeded, JobState.failed):
        return
    job = session.execute(sa.select(Job.owner, Job.kind).where(Job.id == job_id)).one()
    kind = NoticeKind.job_succeeded if state is JobState.succeeded else NoticeKind.job_failed
    notify(
        session,
        [job.owner],
        kind,
        f"Job #{job_id} ({job.kind}) {state.value}",
        caused_by=job.owner,
        body=f"{message}\nIts log: oneplan job log {job_id}",
        about=("job", str(job_id)),
    )


def error_of(error: BaseException, where: str) -> dict[str, Any]:
    """An error as the job stores it: its kind, its message and the problems it carries, each
    located by file, row and column when the error knew them (``where`` names the step
    otherwise)."""
    if isinstance(error, ValidationFailed):
        problems = error.problems
        message = f"{len(problems)} problem(s) found; nothing was changed"
    else:
        message = str(error) or type(error).__name__
        problems = [Problem(where, None, None, message)]
    return {
        "kind": type(error).__name__,
        "message": message,
        "problems": [
            {"file": p.file, "row": p.row, "column": p.column, "message": p.message}
            for p in problems
        ],
        "expected": isinstance(error, OneplanError),
    }


def trace_of(error: BaseException) -> str:
    """The traceback of an unexpected error, for the job's log."""
    return "".join(traceback.format_exception(error)).rstrip()


@dataclass(frozen=True)
class Recovered:
    """A running job whose worker stopped answering, and what became of it."""

    job_id: int
    worker: str
    state: JobState
    reason: str


def recover_stale(
    session: Session,
    timeout: timedelta,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[Recovered]:
    """Find running jobs whose worker gave no heartbeat for ``timeout``; queue again those that
    never began to store (nothing of theirs was written: running them again is safe) and have
    been tried fewer than ``max_attempts`` times, and fail the others with the reason. No job is
    left running for a worker that is gone."""
    now = now or datetime.now(UTC)
    stale = (
        sa.select(Job)
        .where(Job.state == JobState.running.value, Job.heartbeat_at < now - timeout)
        .order_by(Job.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    recovered = []
    for job in session.scalars(stale).all():
        worker = job.worker or "?"
        seen = utc_text(job.heartbeat_at) if job.heartbeat_at else "never"
        where = f"in {job.phase or 'start'} of step {job.step}" if job.step else "before any step"
        stopped = f"worker stopped: {worker} gave no heartbeat since {seen} ({where})"
        if not job.stored and job.attempts < max_attempts:
            state, reason = JobState.queued, f"{stopped}; nothing was stored, so it is queued again"
            values: dict[str, Any] = {
                "worker": None,
                "heartbeat_at": None,
                "started_at": None,
                "step": None,
                "phase": None,
                "progress": 0.0,
            }
        else:
            why = (
                "it had begun to store, so it is not run again: look at what it stored and "
                "submit it again"
                if job.stored
                else f"it was tried {job.attempts} times"
            )
            state, reason = JobState.failed, f"{stopped}; {why}"
            values = {
                "finished_at": now,
                "error": {
                    "kind": "WorkerStopped",
                    "message": reason,
                    "problems": [
                        {"file": f"job {job.id}", "row": None, "column": None, "message": reason}
                    ],
                    "expected": True,
                },
            }
        session.execute(
            sa.update(Job)
            .where(Job.id == job.id, Job.state == JobState.running.value, Job.worker == job.worker)
            .values(state=state.value, message=reason[:300], version=Job.version + 1, **values)
        )
        add_log(session, job.id, reason, now)
        tell_owner(session, job.id, state, reason)
        recovered.append(Recovered(job.id, worker, state, reason))
    session.flush()
    return recovered

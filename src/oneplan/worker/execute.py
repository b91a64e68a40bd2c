"""Run one claimed job: its steps in order, through the same phased runs the commands use.

Progress is written at each phase boundary (before a step's load, its compute and its store),
and that is where a cancelled job stops: a load or a compute is never cut in half, and a store
that began always finishes. The mark "this job began to store" commits in the store's own
transaction, so recovery can tell a job that wrote nothing from one that may have.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import OneplanError
from oneplan.runner import run_phased
from oneplan.services.cycle.schemas import StepOutcome
from oneplan.services.cycle.steps import Step
from oneplan.services.jobs.kinds import job_kind, parameters_of, planned_steps
from oneplan.services.jobs.queue import (
    JobCancelled,
    JobLost,
    enter_phase,
    error_of,
    finish,
    trace_of,
)
from oneplan.services.jobs.schemas import ClaimedJob, JobState
from oneplan.services.jobs.service import add_log
from oneplan.services.users.actors import local_actor

PHASES = ("load", "compute", "store")
DOING = {"load": "reading", "compute": "computing", "store": "storing"}


class _StepWatch:
    """Reports one step's phases on the job's row and stops the run where it must."""

    def __init__(
        self,
        engine: sa.Engine,
        job: ClaimedJob,
        worker: str,
        step: Step,
        position: tuple[int, int],
        lost: threading.Event,
    ) -> None:
        self.engine, self.job, self.worker, self.step = engine, job, worker, step
        self.index, self.count = position
        self.lost = lost

    def _enter(self, session: Session, phase: str) -> None:
        if self.lost.is_set():
            raise JobLost(self.job.id)
        done = (self.index + PHASES.index(phase) / len(PHASES)) / self.count
        enter_phase(
            session,
            self.job.id,
            self.worker,
            step=self.step.name,
            phase=phase,
            progress=done,
            message=f"step {self.index + 1} of {self.count}, {self.step.name}: "
            f"{DOING[phase]} ({self.step.title})",
        )

    def entering(self, phase: str) -> None:
        with unit_of_work(self.engine) as session:
            self._enter(session, phase)

    def storing(self, session: Session) -> None:
        self._enter(session, "store")


def _describe(outcome: StepOutcome) -> str:
    figures = ", ".join(f"{f.label} {f.value}{f.unit and ' ' + f.unit}" for f in outcome.figures)
    return f"{outcome.name}: done in {outcome.seconds:.1f} s" + (f": {figures}" if figures else "")


def _end(
    engine: sa.Engine,
    job: ClaimedJob,
    worker: str,
    state: JobState,
    message: str,
    *,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    trace: str | None = None,
) -> JobState | None:
    with unit_of_work(engine) as session:
        if not finish(session, job.id, worker, state, message=message, result=result, error=error):
            return None
        if trace:
            add_log(session, job.id, trace)
    return state


def run_job(
    engine: sa.Engine,
    job: ClaimedJob,
    worker: str,
    settings: Settings,
    lost: threading.Event | None = None,
) -> JobState | None:
    """Run a job ``worker`` has claimed and store how it ended; the state it ended in, or None
    when it was taken from this worker (presumed dead) and so left to its recovery."""
    lost = lost or threading.Event()
    outcomes: list[dict[str, Any]] = []
    versions: dict[str, int] = {}
    where = f"job {job.id}"
    try:
        with unit_of_work(engine, write=False) as session:
            # the owner's grants now, not when it was queued: a revoked grant stops the job
            actor = local_actor(session, job.owner)
        kind = job_kind(job.kind)
        steps, request = planned_steps(kind, parameters_of(kind, job.parameters), settings)
        for index, step in enumerate(steps):
            where = f"job {job.id}, step {step.name}"
            started = time.perf_counter()
            watch = _StepWatch(engine, job, worker, step, (index, len(steps)), lost)
            done = run_phased(engine, step.run(actor, request), watch)
            outcome = StepOutcome(
                name=step.name,
                title=step.title,
                seconds=time.perf_counter() - started,
                figures=step.figures(done),
                rows=step.rows(done) if step.rows is not None else None,
            )
            unused = {"rows"} if outcome.rows is None else None
            outcomes.append(outcome.model_dump(mode="json", exclude=unused))
            version = getattr(done, "version_id", None)
            if isinstance(version, int):
                versions[step.name] = version
            with unit_of_work(engine) as session:
                add_log(session, job.id, _describe(outcome))
    except JobLost:
        return None
    except JobCancelled:
        finished = f" after {', '.join(o['name'] for o in outcomes)}" if outcomes else ""
        return _end(
            engine,
            job,
            worker,
            JobState.cancelled,
            f"cancelled{finished}; what was stored stays",
            result={"steps": outcomes, "versions": versions},
        )
    except Exception as error:  # any failure ends the job as failed, with its reason kept
        stored = error_of(error, where)
        trace = None if isinstance(error, OneplanError) else trace_of(error)
        return _end(
            engine,
            job,
            worker,
            JobState.failed,
            f"failed: {stored['message'].splitlines()[0]}",
            result={"steps": outcomes, "versions": versions} if outcomes else None,
            error=stored,
            trace=trace,
        )
    return _end(
        engine,
        job,
        worker,
        JobState.succeeded,
        f"succeeded: {len(outcomes)} step(s)",
        result={"steps": outcomes, "versions": versions},
    )

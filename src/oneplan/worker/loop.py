"""The worker loop: recover stopped workers' jobs, claim the oldest queued job, run it while a
heartbeat says the worker is alive, and wait a little when nothing is queued."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from oneplan.config import Settings, get_settings
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict
from oneplan.services.jobs.queue import Recovered, claim_next, heartbeat, recover_stale
from oneplan.services.jobs.schemas import ClaimedJob, JobState
from oneplan.worker.execute import run_job

log = logging.getLogger("oneplan.worker")

#: Seconds between a running job's heartbeats.
HEARTBEAT_EVERY = 10.0
#: Seconds without a heartbeat after which a running job's worker is taken for stopped.
STALE_AFTER = 120.0
#: Seconds an idle worker waits before it looks for a job again.
POLL = 1.0
#: Seconds between a worker's looks for stopped workers' jobs (a look is a write transaction).
RECOVER_EVERY = 5.0


def worker_name() -> str:
    """A name no other worker has: host, process and a random tag (threads share a process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _Heartbeat:
    """A thread that keeps the job's heartbeat fresh while it runs; it sets ``lost`` when the
    job was taken from this worker."""

    def __init__(self, engine: sa.Engine, job_id: int, worker: str, every: float) -> None:
        self.engine, self.job_id, self.worker, self.every = engine, job_id, worker, every
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with unit_of_work(self.engine) as session:
                    alive = heartbeat(session, self.job_id, self.worker)
            except (Conflict, sa.exc.OperationalError) as error:
                # a long store holds the lock, or the server blinked: beat again later
                log.warning("heartbeat of job %s missed: %s", self.job_id, error)
                continue
            if not alive:
                self.lost.set()
                return

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Worker:
    """One worker: `run_once` runs at most one job, `run` loops until told to stop."""

    engine: sa.Engine
    settings: Settings = field(default_factory=get_settings)
    name: str = field(default_factory=worker_name)
    heartbeat_every: float = HEARTBEAT_EVERY
    stale_after: float = STALE_AFTER
    recover_every: float = RECOVER_EVERY
    _recovered_at: float = field(default=-math.inf, init=False, repr=False)
    _mailed_at: float = field(default=-math.inf, init=False, repr=False)

    def recover(self) -> list[Recovered]:
        """Queue again or fail the jobs of workers that stopped answering (docs/jobs.md)."""
        self._recovered_at = time.monotonic()
        with unit_of_work(self.engine) as session:
            recovered = recover_stale(session, timedelta(seconds=self.stale_after))
        for job in recovered:
            log.warning("job %s: %s", job.job_id, job.reason)
        return recovered

    def claim(self) -> ClaimedJob | None:
        with unit_of_work(self.engine) as session:
            return claim_next(session, self.name)

    def run_once(self) -> tuple[int, JobState | None] | None:
        """Recover (when the last look is ``recover_every`` seconds old), then claim and run the
        oldest queued job: its id and the state it ended in (None: taken from this worker);
        None when no job was queued."""
        if time.monotonic() - self._recovered_at >= self.recover_every:
            self.recover()
        job = self.claim()
        if job is None:
            return None
        log.info("job %s (%s of %s) claimed by %s", job.id, job.kind, job.owner, self.name)
        with _Heartbeat(self.engine, job.id, self.name, self.heartbeat_every) as beat:
            state = run_job(self.engine, job, self.name, self.settings, beat.lost)
        log.info("job %s ended: %s", job.id, state)
        return job.id, state

    def send_mail(self) -> None:
        """Send the mail outbox when e-mail is on and ``mail_every_s`` seconds have passed
        since the last time (docs/cycle.md); a failure is logged, the messages wait."""
        from oneplan.worker.mail import mail_on, send_outbox

        if not mail_on(self.settings):
            return
        if time.monotonic() - self._mailed_at < self.settings.mail_every_s:
            return
        self._mailed_at = time.monotonic()
        report = send_outbox(self.engine, self.settings, sender=self.name)
        for error in report.errors:
            log.warning("e-mail not sent: %s", error)

    def run(self, stop: threading.Event, poll: float = POLL) -> None:
        """Run jobs until ``stop`` is set; an error of the database is logged and waited out,
        never the end of the worker."""
        while not stop.is_set():
            try:
                ran = self.run_once()
                if ran is None:
                    self.send_mail()
            except Exception:  # the database went away for a moment: try again after a wait
                log.exception("worker %s: could not look for jobs", self.name)
                ran = None
            if ran is None:
                stop.wait(poll)


@dataclass
class WorkerPool:
    """Workers running in threads of this process; `stop` ends them."""

    workers: list[Worker]
    threads: list[threading.Thread]
    stopping: threading.Event

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Ask every worker to stop after its current job and wait up to ``timeout`` seconds;
        True when all stopped. A job still running when the process exits is recovered by
        the next worker once its heartbeat is stale."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self.threads)


def start_in_process_workers(
    engine: sa.Engine, n: int = 1, settings: Settings | None = None, poll: float = POLL
) -> WorkerPool:
    """Start ``n`` workers in daemon threads of this process (the server's, for example) and
    return the handle that stops them: ``pool = start_in_process_workers(engine, 2)`` when the
    server starts, ``pool.stop()`` when it stops.
    """
    stopping = threading.Event()
    chosen = settings or get_settings()
    workers = [Worker(engine, chosen) for _ in range(n)]
    threads = [
        threading.Thread(
            target=worker.run, args=(stopping, poll), name=f"oneplan-worker-{i}", daemon=True
        )
        for i, worker in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    return WorkerPool(workers, threads, stopping)

"""A worker killed with SIGKILL in the middle of a job: the job is not lost. Nothing was
stored, so the next worker queues it again once the heartbeat is stale, and it then runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.jobs import Job
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.jobs.schemas import JobState
from oneplan.services.jobs.service import show_job, submit_job
from oneplan.worker import Worker

ONEPLAN = Path(sys.executable).with_name("oneplan")


def test_a_worker_killed_mid_job_leaves_the_job_to_be_run_again(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    settings = Settings(user=actor.name)
    with unit_of_work(engine) as session:
        job = submit_job(session, actor, "demand", {"fresh": True}, settings=settings)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ONEPLAN_DATABASE_URL": url, "ONEPLAN_USER": actor.name}
    worker = subprocess.Popen(
        [str(ONEPLAN), "worker", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, phase = time.monotonic() + 120, None
    while time.monotonic() < deadline and phase != "compute":
        time.sleep(0.02)
        with engine.connect() as connection:
            phase = connection.execute(sa.select(Job.phase).where(Job.id == job.id)).scalar()
    worker.send_signal(signal.SIGKILL)  # in the middle of the forecast
    worker.wait(timeout=30)
    assert phase == "compute"
    with unit_of_work(engine, write=False) as session:
        orphan = show_job(session, actor, job.id)
    assert orphan.state is JobState.running  # nobody has noticed yet
    time.sleep(0.3)
    [recovered] = Worker(engine, settings, stale_after=0.2).recover()
    assert recovered.state is JobState.queued
    assert "worker stopped" in recovered.reason and "in compute of step demand" in recovered.reason
    done = Worker(engine, settings).run_once()
    assert done == (job.id, JobState.succeeded)
    with unit_of_work(engine, write=False) as session:
        finished = show_job(session, actor, job.id)
    assert finished.attempts == 2 and finished.result is not None
    assert isinstance(finished.result["versions"]["demand"], int)


def test_a_worker_told_to_stop_finishes_its_job_first(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        job = submit_job(session, actor, "demand", {"fresh": True}, settings=Settings())
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ONEPLAN_DATABASE_URL": url, "ONEPLAN_USER": actor.name}
    worker = subprocess.Popen(
        [str(ONEPLAN), "worker", "--poll", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline, phase = time.monotonic() + 120, None
    while time.monotonic() < deadline and phase != "compute":
        time.sleep(0.02)
        with engine.connect() as connection:
            phase = connection.execute(sa.select(Job.phase).where(Job.id == job.id)).scalar()
    worker.send_signal(signal.SIGTERM)  # as a service manager stops it
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output.decode()
    assert b"worker stopped" in output
    with unit_of_work(engine, write=False) as session:
        assert show_job(session, actor, job.id).state is JobState.succeeded

"""Jobs on SQLite and PostgreSQL: a job runs the same service the command runs, stores a
located problem when it fails, stops when cancelled, is claimed by one worker only, and a job
whose worker stopped is queued again or failed with the reason, never left running."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.jobs import Job, JobLogLine
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.cycle.steps import Step
from oneplan.services.jobs import kinds
from oneplan.services.jobs.kinds import JobKind
from oneplan.services.jobs.queue import MAX_ATTEMPTS, claim_next, finish, recover_stale
from oneplan.services.jobs.schemas import JobOut, JobQuery, JobState, NoParameters
from oneplan.services.jobs.service import cancel_job, job_log, list_jobs, show_job, submit_job
from oneplan.services.permissions import Grant, Role
from oneplan.services.phases import PhasedRun
from oneplan.services.supply.service import supply_run
from oneplan.worker import Worker, start_in_process_workers

SETTINGS = Settings(database_url="sqlite://", user="tester")


def submit(engine: sa.Engine, actor: Actor, kind: str, parameters: Any = None) -> JobOut:
    with unit_of_work(engine) as session:
        return submit_job(session, actor, kind, parameters, settings=SETTINGS)


def show(engine: sa.Engine, actor: Actor, job_id: int) -> JobOut:
    with unit_of_work(engine, write=False) as session:
        return show_job(session, actor, job_id)


def worker(engine: sa.Engine, **options: Any) -> Worker:
    return Worker(engine, SETTINGS, **options)


def test_a_supply_job_stores_the_version_the_direct_run_stores(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    prepare.store_consensus(engine)
    job = submit(engine, actor, "supply")
    assert job.state is JobState.queued and job.owner == actor.name
    assert worker(engine).run_once() == (job.id, JobState.succeeded)
    done = show(engine, actor, job.id)
    assert done.state is JobState.succeeded and done.progress == 1.0
    assert done.started_at is not None and done.finished_at is not None
    assert done.result is not None and done.error is None
    version = done.result["versions"]["supply"]
    [step] = done.result["steps"]
    assert step["name"] == "supply" and step["figures"][0] == {
        "label": "version",
        "value": version,
        "kind": "version",
        "unit": "",
    }
    # the direct call finds the identical plan already stored: the very same version
    direct = run_phased(engine, supply_run(actor))
    assert direct.reused and direct.version_id == version
    with unit_of_work(engine, write=False) as session:
        lines = [line.line for line in job_log(session, actor, job.id)]
        actions = [e.action for e in events(session, actor, "job", str(job.id))]
    assert lines[0].startswith("queued by tester") and lines[-1] == "succeeded: 1 step(s)"
    assert any("supply: storing" in line for line in lines)
    assert actions == ["job.submit"]


def test_a_failing_job_stores_its_problems_located_by_file_row_and_column(
    engine: sa.Engine, demo_csv: Path, tmp_path: Path, actor: Actor
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(demo_csv, bad)
    items = pd.read_csv(bad / "items.csv", dtype=str, keep_default_na=False)
    items.loc[1, "lifecycle_status"] = "zombie"
    items.to_csv(bad / "items.csv", index=False)
    job = submit(engine, actor, "cycle", {"data_path": str(bad), "steps": ["validate", "import"]})
    assert worker(engine).run_once() == (job.id, JobState.failed)
    failed = show(engine, actor, job.id)
    assert failed.error is not None and failed.error["kind"] == "ValidationFailed"
    located = [p for p in failed.error["problems"] if p["column"] == "lifecycle_status"]
    assert located and located[0]["row"] == 3 and located[0]["file"].startswith("items.csv")
    assert "zombie" in located[0]["message"]
    assert failed.message.startswith("failed:") and failed.step == "validate"
    assert failed.result is None  # no step finished


def test_a_missing_package_or_a_bad_parameter_is_refused_and_nothing_queued(
    engine: sa.Engine, tmp_path: Path, actor: Actor
) -> None:
    with pytest.raises(ValidationFailed, match="nowhere: no such folder or file"):
        submit(engine, actor, "cycle", {"data_path": str(tmp_path / "nowhere")})
    with pytest.raises(ValidationFailed) as refused:
        submit(engine, actor, "demand", {"horizon": 0, "colour": "red"})
    columns = {p.column for p in refused.value.problems}
    assert columns == {"horizon", "colour"}
    with pytest.raises(NotFound, match="the kinds are"):
        submit(engine, actor, "everything")
    with unit_of_work(engine, write=False) as session:
        assert list_jobs(session, actor).total == 0


def test_a_viewer_cannot_submit_a_supply_run(engine: sa.Engine, actor: Actor) -> None:
    viewer = Actor("vera", frozenset({Grant(Role.viewer)}))
    with pytest.raises(PermissionDenied, match=r"vera \(viewer\) may not run supply"):
        submit(engine, viewer, "supply")
    with pytest.raises(PermissionDenied, match="may not import data"):
        submit(
            engine, Actor("ann", frozenset({Grant(Role.finance)})), "cycle", {"steps": ["import"]}
        )
    job = submit(engine, viewer, "ping")  # reading is all a ping needs
    otto = Actor("otto", frozenset({Grant(Role.supply_planner)}))
    with (
        pytest.raises(PermissionDenied, match=r"only its owner \(vera\) or an administrator"),
        unit_of_work(engine) as session,
    ):
        cancel_job(session, otto, job.id)
    with unit_of_work(engine) as session:
        assert cancel_job(session, actor, job.id).state is JobState.cancelled  # an administrator


def test_a_queued_job_cancelled_never_runs(engine: sa.Engine, actor: Actor) -> None:
    job = submit(engine, actor, "ping")
    with unit_of_work(engine) as session:
        cancelled = cancel_job(session, actor, job.id)
    assert cancelled.state is JobState.cancelled and cancelled.version > job.version
    assert worker(engine).run_once() is None
    with pytest.raises(Conflict, match="already cancelled"), unit_of_work(engine) as session:
        cancel_job(session, actor, job.id)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Kinds of two steps that wait at a gate the test opens: ``gated`` in its first step's
    load, ``gated-late`` in its second step's compute. They record the phases that ran."""
    gate, reached, ran = threading.Event(), threading.Event(), []

    def phase(label: str, waits: bool) -> Any:
        def run(*_: Any) -> str:
            ran.append(label)
            if waits:
                reached.set()
                assert gate.wait(30)
            return label

        return run

    def step(name: str, waits_in: str = "") -> Step:
        def build(actor: Actor, request: Any) -> PhasedRun[Any, Any, Any]:
            return PhasedRun(
                load=phase(f"{name} load", waits_in == "load"),
                compute=phase(f"{name} compute", waits_in == "compute"),
                store=phase(f"{name} store", False),
            )

        return Step(name, f"the {name} step", build, lambda result: [])

    for name, steps in (
        ("gated", lambda p: [step("first", "load"), step("second")]),
        ("gated-late", lambda p: [step("first"), step("second", "compute")]),
    ):
        monkeypatch.setitem(kinds.KINDS, name, JobKind(name, "waits", NoParameters, steps))
    return {"gate": gate, "reached": reached, "ran": ran}


def test_a_running_job_cancelled_stops_at_the_next_phase_boundary(
    engine: sa.Engine, actor: Actor, gated: dict[str, Any]
) -> None:
    job = submit(engine, actor, "gated")
    ended: list[Any] = []
    thread = threading.Thread(target=lambda: ended.append(worker(engine).run_once()))
    thread.start()
    assert gated["reached"].wait(30)
    running = show(engine, actor, job.id)
    assert running.state is JobState.running and (running.step, running.phase) == ("first", "load")
    with unit_of_work(engine) as session:
        asked = cancel_job(session, actor, job.id)
    assert asked.state is JobState.running and asked.cancel_requested
    gated["gate"].set()
    thread.join(30)
    assert ended == [(job.id, JobState.cancelled)]
    assert gated["ran"] == ["first load"]  # the load finished; nothing after it ran
    stopped = show(engine, actor, job.id)
    assert stopped.state is JobState.cancelled and stopped.result == {"steps": [], "versions": {}}


def test_in_process_workers_run_every_job_and_stop(engine: sa.Engine, actor: Actor) -> None:
    jobs = [submit(engine, actor, "ping").id for _ in range(6)]
    pool = start_in_process_workers(engine, 2, SETTINGS, poll=0.05)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with unit_of_work(engine, write=False) as session:
                page = list_jobs(session, actor, JobQuery(states=[JobState.succeeded]))
            if page.total == len(jobs):
                break
            time.sleep(0.05)
    finally:
        assert pool.stop(30)
    assert sorted(j.id for j in page.items) == jobs


def _claims(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql(
            sa.select(JobLogLine.job_id, JobLogLine.line).where(
                JobLogLine.line.like("started by worker%")
            ),
            connection,
        )


def test_many_workers_never_claim_the_same_job(engine: sa.Engine, actor: Actor) -> None:
    """50 jobs, 4 workers in threads, each with its own connections: each job runs once."""
    jobs = [submit(engine, actor, "ping").id for _ in range(50)]
    workers = [worker(engine) for _ in range(4)]
    ran: dict[str, list[int]] = {w.name: [] for w in workers}
    start = threading.Barrier(len(workers))

    def drain(one: Worker) -> None:
        start.wait()
        while (done := one.run_once()) is not None:
            ran[one.name].append(done[0])

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    every = sorted(job for taken in ran.values() for job in taken)
    assert every == jobs  # each job exactly once
    claims = _claims(engine)
    assert len(claims) == 50 and claims["job_id"].is_unique
    with unit_of_work(engine, write=False) as session:
        states = session.execute(sa.select(Job.state, Job.attempts, Job.worker)).all()
    assert {(s, a) for s, a, _ in states} == {("succeeded", 1)}
    assert {w for _, _, w in states} <= set(ran)


def _claim_as(engine: sa.Engine, name: str) -> int:
    with unit_of_work(engine) as session:
        claimed = claim_next(session, name)
    assert claimed is not None
    return claimed.id


def _age(engine: sa.Engine, job_id: int, seconds: float, **values: Any) -> None:
    old = datetime.now(UTC) - timedelta(seconds=seconds)
    with unit_of_work(engine) as session:
        session.execute(sa.update(Job).where(Job.id == job_id).values(heartbeat_at=old, **values))


def test_a_stopped_workers_job_is_queued_again_when_it_stored_nothing(
    engine: sa.Engine, actor: Actor
) -> None:
    job = submit(engine, actor, "ping")
    _claim_as(engine, "gone")
    _age(engine, job.id, 30, step="ping", phase="compute")
    assert worker(engine, stale_after=60).recover() == []  # 30 s is not stale yet
    _age(engine, job.id, 300)
    [recovered] = worker(engine, stale_after=60).recover()
    assert recovered.state is JobState.queued
    again = show(engine, actor, job.id)
    assert again.state is JobState.queued and again.worker is None
    assert again.message.startswith("worker stopped: gone gave no heartbeat since")
    assert "in compute of step ping" in again.message and "queued again" in again.message
    # the stopped worker comes back: its job is no longer its own, and it writes nothing
    with unit_of_work(engine) as session:
        assert not finish(session, job.id, "gone", JobState.succeeded, message="late")
    assert worker(engine).run_once() == (job.id, JobState.succeeded)
    assert show(engine, actor, job.id).attempts == 2


def test_a_stopped_workers_job_that_began_to_store_fails_with_the_reason(
    engine: sa.Engine, actor: Actor
) -> None:
    stored, tired = submit(engine, actor, "ping"), submit(engine, actor, "ping")
    _claim_as(engine, "gone")
    _age(engine, stored.id, 300, step="supply", phase="store", stored=True)
    _claim_as(engine, "gone too")
    _age(engine, tired.id, 300, attempts=MAX_ATTEMPTS)
    with unit_of_work(engine) as session:
        recovered = recover_stale(session, timedelta(seconds=60))
    assert [r.state for r in recovered] == [JobState.failed, JobState.failed]
    failed = show(engine, actor, stored.id)
    assert failed.state is JobState.failed and failed.finished_at is not None
    assert failed.error is not None and failed.error["kind"] == "WorkerStopped"
    assert failed.error["message"].startswith("worker stopped: gone gave no heartbeat")
    assert "in store of step supply" in failed.error["message"]
    assert "had begun to store" in failed.error["message"]
    assert f"tried {MAX_ATTEMPTS} times" in show(engine, actor, tired.id).message


def test_a_live_worker_keeps_its_job_by_its_heartbeat(
    engine: sa.Engine, actor: Actor, gated: dict[str, Any]
) -> None:
    job = submit(engine, actor, "gated")
    live = worker(engine, heartbeat_every=0.05)
    thread = threading.Thread(target=live.run_once)
    thread.start()
    assert gated["reached"].wait(30)
    first = show(engine, actor, job.id).heartbeat_at
    # Forty heartbeats in the window a recovery looks back on: a loaded machine may delay a
    # few, not all of them.
    time.sleep(2.5)
    assert worker(engine, stale_after=2.0).recover() == []
    assert show(engine, actor, job.id).heartbeat_at > first  # type: ignore[operator]
    gated["gate"].set()
    thread.join(30)
    assert show(engine, actor, job.id).state is JobState.succeeded
    assert gated["ran"] == [
        "first load",
        "first compute",
        "first store",
        "second load",
        "second compute",
        "second store",
    ]


def test_jobs_are_listed_newest_first_with_filters_and_pages(
    engine: sa.Engine, actor: Actor
) -> None:
    other = Actor.administrator("olga")
    ids = [submit(engine, who, "ping").id for who in (actor, other, actor, other, actor)]
    worker(engine).run_once()

    def page(**query: Any) -> list[int]:
        with unit_of_work(engine, write=False) as session:
            return [j.id for j in list_jobs(session, actor, JobQuery(**query)).items]

    assert page() == ids[::-1]
    assert page(owner="olga") == [ids[3], ids[1]]
    assert page(states=[JobState.succeeded]) == [ids[0]]
    assert page(limit=2, offset=2) == [ids[2], ids[1]]
    assert page(kind="supply") == []


def test_a_job_runs_with_the_grants_its_owner_holds_when_it_starts(
    engine: sa.Engine,
) -> None:
    from oneplan.services.users import service as users

    root = Actor.administrator("root")
    with unit_of_work(engine) as session:
        users.create_user(session, root, "alice", password="x" * 12, grants=[Grant(Role.admin)])
    alice = Actor("alice", frozenset({Grant(Role.admin)}))
    sam = Actor("sam", frozenset({Grant(Role.supply_planner)}))
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "sam", password="y" * 12, grants=list(sam.grants))
    job = submit(engine, sam, "supply")
    with unit_of_work(engine) as session:
        users.revoke(session, alice, "sam", Role.supply_planner)
    assert worker(engine).run_once() == (job.id, JobState.failed)
    failed = show(engine, alice, job.id)
    assert failed.error is not None and failed.error["kind"] == "PermissionDenied"
    assert "sam (no role) may not run supply" in failed.error["message"]


def test_a_cycle_cancelled_in_a_later_step_keeps_what_the_earlier_steps_stored(
    engine: sa.Engine, actor: Actor, gated: dict[str, Any]
) -> None:
    job = submit(engine, actor, "gated-late")
    ended: list[Any] = []
    thread = threading.Thread(target=lambda: ended.append(worker(engine).run_once()))
    thread.start()
    assert gated["reached"].wait(30)
    assert show(engine, actor, job.id).progress == pytest.approx(0.5 + 0.5 / 3)
    with unit_of_work(engine) as session:
        cancel_job(session, actor, job.id)
    gated["gate"].set()
    thread.join(30)
    assert ended == [(job.id, JobState.cancelled)]
    assert gated["ran"] == [
        "first load",
        "first compute",
        "first store",
        "second load",
        "second compute",
    ]
    stopped = show(engine, actor, job.id)
    assert [s["name"] for s in stopped.result["steps"]] == ["first"]  # type: ignore[index]
    assert stopped.message == "cancelled after first; what was stored stays"

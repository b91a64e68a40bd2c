"""What the job queue costs: jobs queued, claimed, and run to the end per second.

    .venv/bin/python bench/jobs.py [--jobs 500] [--workers 1 4] [--url sqlite:///...|postgresql+psycopg://...]

Queues ``--jobs`` ``ping`` jobs (a kind that does nothing, so only the queue is measured), then
for each count of ``--workers``: claims them all without running them (claims per second), and
queues them again and lets that many worker threads run them to the end (recovery look-up,
claim, the owner's actor, progress at each phase, the log, the finish: jobs per second). A
scratch SQLite file by default; a PostgreSQL URL gets a scratch schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.jobs.queue import claim_next
from oneplan.services.jobs.service import submit_job
from oneplan.worker import Worker


def queue(engine: sa.Engine, settings: Settings, count: int) -> float:
    actor = Actor.administrator("bench")
    started = time.perf_counter()
    for _ in range(count):
        with unit_of_work(engine) as session:
            submit_job(session, actor, "ping", None, settings=settings)
    return count / (time.perf_counter() - started)


def in_threads(workers: int, work: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def claim_all(engine: sa.Engine, workers: int, count: int) -> float:
    taken: list[int] = []

    def claim(n: int) -> None:
        while True:
            with unit_of_work(engine) as session:
                job = claim_next(session, f"bench-{n}")
            if job is None:
                return
            taken.append(job.id)

    seconds = in_threads(workers, claim)
    assert len(taken) == len(set(taken)) == count, "a job was claimed twice or not at all"
    return count / seconds


def run_all(engine: sa.Engine, settings: Settings, workers: int, count: int) -> float:
    ran: list[int] = []
    pool = [Worker(engine, settings) for _ in range(workers)]

    def drain(n: int) -> None:
        while (done := pool[n].run_once()) is not None:
            ran.append(done[0])

    seconds = in_threads(workers, drain)
    assert len(ran) == len(set(ran)) == count, "a job ran twice or not at all"
    return count / seconds


def measure(url: str, jobs: int, workers: list[int]) -> None:
    settings = Settings(database_url=url, user="bench")
    engine = create_db_engine(url, settings)
    migrate.upgrade(engine)
    kind = engine.dialect.name
    for n in workers:
        queued = queue(engine, settings, jobs)
        claimed = claim_all(engine, n, jobs)
        queue(engine, settings, jobs)
        finished = run_all(engine, settings, n, jobs)
        print(
            f"{kind}, {n} worker(s): queued {queued:,.0f}/s, claimed {claimed:,.0f}/s, "
            f"run to the end {finished:,.0f}/s ({jobs} jobs)"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    if args.url and args.url.startswith("postgresql"):
        schema = f"bench_jobs_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            measure(f"{args.url}?options=-csearch_path%3D{schema}", args.jobs, args.workers)
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
        return
    with tempfile.TemporaryDirectory() as folder:
        measure(args.url or f"sqlite:///{Path(folder) / 'bench.db'}", args.jobs, args.workers)


if __name__ == "__main__":
    main()

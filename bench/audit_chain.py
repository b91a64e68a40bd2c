"""What the hash chain costs: audit events written per second, and how fast `verify` walks them.

    .venv/bin/python bench/audit_chain.py [--events 5000] [--url sqlite:///...]

Writes ``--events`` events, one transaction each (the way changes write them), into a scratch
SQLite file (or the database at ``--url``, which it migrates), then verifies the chain and
prints both rates. Also times one argon2id password hash, the cost of a log-in.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.audit.verify import verify_chain
from oneplan.services.users.credentials import hash_password, verify_password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_db_engine(url, Settings(database_url=url, user="bench"))
        migrate.upgrade(engine)
        actor = Actor.administrator("bench")
        started = time.perf_counter()
        for number in range(args.events):
            with unit_of_work(engine) as session:
                detail = {"from": "draft", "to": "proposed", "reason": "bench " * 5}
                record(session, actor, "plan.propose", "plan_version", number, detail)
        written = time.perf_counter() - started
        started = time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            check = verify_chain(session, actor)
        walked = time.perf_counter() - started
        assert check.broken is None and check.events >= args.events
        print(f"write: {args.events / written:,.0f} events/s (one transaction each)")
        print(f"verify: {check.events / walked:,.0f} events/s ({check.events:,} in {walked:.2f} s)")
        started = time.perf_counter()
        stored = hash_password("correct horse battery staple")
        hashed = time.perf_counter() - started
        started = time.perf_counter()
        verify_password(stored, "correct horse battery staple")
        checked = time.perf_counter() - started
        print(f"argon2id: hash {hashed * 1000:.0f} ms, check {checked * 1000:.0f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()

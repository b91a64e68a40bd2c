"""Kill imports with SIGKILL at random moments and check that each left all or nothing.

    .venv/bin/python bench/crash_imports.py [--trials 40] [--items 1000] [--postgres]

Builds the demo company at ``--items`` items, times one whole import in a child process, then
for each trial starts an import into a fresh database, kills it after a random share of that
time (0 to 110 %), and checks: no partial import (no import recorded and no rows, or the
import recorded with every row), SQLite's integrity check, and that the next import succeeds.
Prints the count of each outcome; any partial import or failed check stops it with exit 1.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from oneplan.datapack import package_schema, write_package
from oneplan.db import migrate
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.demo import build_demo_company

ONEPLAN = Path(sys.executable).with_name("oneplan")
SERVER = os.environ.get(
    "ONEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fresh_database(folder: Path, postgres: bool) -> str:
    if not postgres:
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
    schema = f"crash_{uuid.uuid4().hex[:10]}"
    with sa.create_engine(SERVER).begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    return f"{SERVER}?options=-csearch_path%3D{schema}"


def import_into(url: str, package: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ONEPLAN_DATABASE_URL": url, "ONEPLAN_USER": "crash"}
    return subprocess.Popen(
        [str(ONEPLAN), "import", str(package)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def counts(engine: sa.Engine) -> tuple[int, int]:
    with unit_of_work(engine, write=False) as session:
        imports = session.execute(sa.text("SELECT count(*) FROM imports")).scalar_one()
        items = session.execute(sa.text("SELECT count(*) FROM items")).scalar_one()
    return int(imports), int(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outcomes = {"nothing imported": 0, "fully imported": 0}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        package = folder / "package"
        frames = build_demo_company(items=args.items, seed=3)
        write_package(frames, package, format="csv", schema=package_schema())
        items = len(frames["items"])
        rows = sum(len(f) for f in frames.values())
        url = fresh_database(folder, args.postgres)
        migrate.upgrade(create_db_engine(url))
        started = time.perf_counter()
        import_into(url, package).wait()
        whole = time.perf_counter() - started
        print(f"{rows:,} rows; one whole import in a child process: {whole:.1f} s")
        for trial in range(args.trials):
            url = fresh_database(folder, args.postgres)
            engine = create_db_engine(url)
            migrate.upgrade(engine)
            running = import_into(url, package)
            time.sleep(whole * rng.uniform(0.0, 1.1))
            running.send_signal(signal.SIGKILL)
            running.wait()
            found = counts(engine)
            if found == (0, 0):
                outcomes["nothing imported"] += 1
            elif found == (1, items):
                outcomes["fully imported"] += 1
            else:
                sys.exit(f"trial {trial}: a partial import: {found}")
            if not args.postgres:
                with engine.connect() as connection:
                    check = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
                if check != "ok":
                    sys.exit(f"trial {trial}: integrity check says {check}")
            if import_into(url, package).wait() != 0 or counts(engine)[1] != items:
                sys.exit(f"trial {trial}: the next import failed")
            engine.dispose()
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.trials} kills on {database}: {outcomes}; 0 partial imports, next import ok")


if __name__ == "__main__":
    main()

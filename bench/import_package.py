"""Import benchmark: a data package of N items with 48 months of history into SQLite and PostgreSQL.

    .venv/bin/python bench/import_package.py --items 20000

Each import runs in a child process, so its peak memory (max RSS) is its own. Prints, per database:
the first import (everything inserted), the re-import of the same package (nothing changes) and the
peak memory. PostgreSQL uses a scratch schema on ONEPLAN_BENCH_POSTGRES_URL (default: the local
server's `test` database) and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "ONEPLAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def import_once(url: str, package: Path, schema: str | None) -> dict[str, float]:
    from oneplan.config import Settings
    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine, unit_of_work
    from oneplan.services.actor import Actor
    from oneplan.services.data.service import import_package, read_package_files

    settings = Settings(database_url=url, user="bench")
    if schema:
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = create_db_engine(url, settings)
    migrate.upgrade(engine)
    started = time.perf_counter()  # reading the files is part of an import, as in `oneplan import`
    files = read_package_files(package, settings)
    with unit_of_work(engine) as session:
        report = import_package(
            session,
            Actor.administrator(settings.user),
            files,
            lock_timeout_s=settings.sqlite_busy_timeout_s,
        )
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "inserted": report.inserted,
        "updated": report.updated,
        "peak_mib": peak_mib,
    }


def run_child(url: str, package: Path, schema: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", url, str(package), schema or ""]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "PACKAGE", "SCHEMA"))
    args = parser.parse_args()
    if args.child:
        url, package, schema = args.child
        print(json.dumps(import_once(url, Path(package), schema or None)))
        return

    from oneplan.datapack import package_schema, write_package
    from oneplan.demo import build_demo_company

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        frames = build_demo_company(items=args.items)
        package = root / "package"
        write_package(frames, package, format="csv", schema=package_schema())
        rows = sum(len(f) for f in frames.values())
        history = len(frames["sales_history"])
        print(
            f"package: {args.items:,} items, {rows:,} rows ({history:,} sales history rows), "
            f"built and written in {time.perf_counter() - started:.1f} s"
        )
        targets = [("SQLite", f"sqlite:///{root / 'bench.db'}", None)]
        if not args.skip_postgres:
            targets.append(("PostgreSQL", POSTGRES_URL, f"bench_{uuid.uuid4().hex[:8]}"))
        print(
            f"{'database':<12}{'import s':>10}{'re-import s':>13}{'inserted':>12}"
            f"{'updated':>9}{'peak MiB':>10}"
        )
        for name, url, schema in targets:
            admin = sa.create_engine(url)
            if schema:
                with admin.begin() as connection:
                    connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                first = run_child(url, package, schema)
                again = run_child(url, package, schema)
            finally:
                if schema:
                    with admin.begin() as connection:
                        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()
            peak = max(first["peak_mib"], again["peak_mib"])
            print(
                f"{name:<12}{first['seconds']:>10.1f}{again['seconds']:>13.1f}"
                f"{int(first['inserted']):>12,}{int(again['updated']):>9,}{peak:>10.0f}"
            )


if __name__ == "__main__":
    main()

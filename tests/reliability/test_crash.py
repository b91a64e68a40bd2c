"""An import killed with SIGKILL at any moment leaves the database as it was or fully imported,
never half; the database stays sound and the next import works. A few trials here, timed
into the writing; `bench/crash_imports.py` runs many more at random moments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from oneplan.db import migrate
from oneplan.db.session import unit_of_work

ONEPLAN = Path(sys.executable).with_name("oneplan")


@pytest.fixture(scope="module")
def big_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo company large enough that writing it takes a moment (about 40,000 rows)."""
    from oneplan.datapack import package_schema, write_package
    from oneplan.demo import build_demo_company

    path = tmp_path_factory.mktemp("crash") / "package"
    write_package(
        build_demo_company(items=400, seed=3), path, format="csv", schema=package_schema()
    )
    return path


def start_import(engine: sa.Engine, package: Path) -> subprocess.Popen[bytes]:
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ONEPLAN_DATABASE_URL": url, "ONEPLAN_USER": "crash"}
    return subprocess.Popen(
        [str(ONEPLAN), "import", str(package)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def state(engine: sa.Engine) -> tuple[int, int]:
    """(imports recorded, items stored)."""
    with unit_of_work(engine, write=False) as session:
        imports = session.execute(sa.text("SELECT count(*) FROM imports")).scalar_one()
        items = session.execute(sa.text("SELECT count(*) FROM items")).scalar_one()
    return int(imports), int(items)


def test_an_import_killed_midway_leaves_all_or_nothing(
    db_kind: str, make_engine: Any, big_package: Path, prepare: Any
) -> None:
    expected_items = sum(1 for _ in (big_package / "items.csv").open()) - 1
    timing = make_engine(db_kind)
    migrate.upgrade(timing)
    started = time.perf_counter()
    assert start_import(timing, big_package).wait(timeout=300) == 0
    whole = time.perf_counter() - started
    assert state(timing) == (1, expected_items)
    for share in (0.55, 0.8):  # start-up and reading come first; these land in the writing
        engine = make_engine(db_kind)
        migrate.upgrade(engine)
        running = start_import(engine, big_package)
        time.sleep(whole * share)
        running.send_signal(signal.SIGKILL)
        running.wait(timeout=30)
        imports, items = state(engine)
        assert (imports, items) in ((0, 0), (1, expected_items)), (share, imports, items)
        if db_kind == "sqlite":
            with engine.connect() as connection:
                check = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            assert check == "ok"
        prepare.import_demo(engine, big_package)  # the next import works
        assert state(engine)[1] == expected_items

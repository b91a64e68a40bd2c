"""Shared fixtures: a real SQLite file and a real PostgreSQL schema per test.

PostgreSQL tests use ONEPLAN_TEST_POSTGRES_URL (default: the local server's `test` database). Each
test gets a schema of its own, so tests can run in parallel. When the server cannot be reached the
tests skip on a developer's machine but FAIL under CI=true: a green CI must mean they ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine
from oneplan.services.actor import Actor

# Command output is checked as text: give rich one wide, fixed line width whether or not the
# tests run in a terminal, so no message is wrapped differently on a developer's machine and in CI.
os.environ["COLUMNS"] = "200"

POSTGRES_URL = os.environ.get(
    "ONEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        probe = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
        with probe.connect():
            pass
        probe.dispose()
        return None
    except Exception as error:  # any failure to connect means "unreachable" here
        return f"{type(error).__name__}: {error}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable ({problem})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'oneplan.db'}", user="tester")


EngineFactory = Callable[[str], sa.Engine]


@pytest.fixture
def make_engine(
    request: pytest.FixtureRequest, tmp_path: Path, settings: Settings
) -> Iterator[EngineFactory]:
    """Makes empty databases of a kind ("sqlite" or "postgresql"), each dropped after the test.

    Both kinds go through `create_db_engine`, the code production uses; a PostgreSQL database is
    a schema of its own on the test server, selected through the URL's search_path option."""
    engines: list[sa.Engine] = []
    schemas: list[str] = []

    def make(kind: str) -> sa.Engine:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'oneplan-{len(engines)}.db'}"
        else:
            server = request.getfixturevalue("postgres_server")
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with sa.create_engine(server).begin() as connection:
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
            schemas.append(schema)
            url = f"{server}?options=-csearch_path%3D{schema}"
        engine = create_db_engine(url, settings)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
    if schemas:
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            for schema in schemas:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def sqlite_engine(make_engine: EngineFactory) -> sa.Engine:
    return make_engine("sqlite")


@pytest.fixture
def postgres_engine(make_engine: EngineFactory) -> sa.Engine:
    return make_engine("postgresql")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs twice: on SQLite and on PostgreSQL."""
    kind: str = request.param
    return kind


@pytest.fixture
def engine(db_kind: str, make_engine: EngineFactory) -> sa.Engine:
    """An empty, migrated database of each kind: the same test runs on SQLite and PostgreSQL."""
    db = make_engine(db_kind)
    migrate.upgrade(db)
    return db


@pytest.fixture(scope="session")
def demo_frames() -> dict[str, pd.DataFrame]:
    """A small demo company (30 items), built once per test session."""
    from oneplan.demo import build_demo_company

    return build_demo_company(items=30, seed=11)


@pytest.fixture(scope="session")
def demo_csv(
    tmp_path_factory: pytest.TempPathFactory, demo_frames: dict[str, pd.DataFrame]
) -> Path:
    """The small demo company written as a folder of CSV files (read-only: copy it to change it)."""
    from oneplan.datapack import package_schema, write_package

    path = tmp_path_factory.mktemp("demo") / "package"
    write_package(demo_frames, path, format="csv", schema=package_schema())
    return path


# --- the shared set-up: the demo company imported, a demand plan by hand, the base supply plan


@pytest.fixture
def actor() -> Actor:
    """Who the tests act as."""
    return Actor.administrator("tester")


@pytest.fixture(scope="session")
def hand_consensus(demo_frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A demand plan made by hand (no forecast, so it is fast): each of the 18 plan months
    repeats the same month of the last year of history."""
    keys = ["item", "location", "period"]
    history = demo_frames["sales_history"]
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    months = pd.date_range("2027-01-01", periods=18, freq="MS")
    copies = [last.assign(period=last["period"] + pd.DateOffset(months=k)) for k in (12, 24)]
    frame = pd.concat(copies, ignore_index=True)
    return frame[frame["period"].isin(months)][[*keys, "quantity"]].reset_index(drop=True)


@pytest.fixture
def consensus_by_hand(hand_consensus: pd.DataFrame) -> pd.DataFrame:
    """The hand-made demand plan, a copy a test may change."""
    return hand_consensus.copy()


class Preparation:
    """The steps most service and command tests start from, each callable alone."""

    def __init__(self, package: Path, consensus: pd.DataFrame, actor: Actor) -> None:
        self.package, self.consensus, self.actor = package, consensus, actor

    def import_demo(self, engine: sa.Engine, package: Path | None = None) -> int:
        """Import the demo package (or another one); returns the import's number."""
        from oneplan.db.session import unit_of_work
        from oneplan.services.data.service import import_package, read_package_files

        files = read_package_files(package or self.package, Settings(user=self.actor.name))
        with unit_of_work(engine) as session:
            return import_package(session, self.actor, files).import_id

    def store_consensus(
        self, engine: sa.Engine, consensus: pd.DataFrame | None = None, cycle: str = "2027-01"
    ) -> int:
        """Store a demand plan version holding only a consensus; returns its id."""
        from oneplan.db.session import unit_of_work
        from oneplan.services.versions.store import save_version

        frame = self.consensus if consensus is None else consensus
        with unit_of_work(engine) as session:
            version = save_version(
                session,
                self.actor,
                cycle=cycle,
                kind="demand",
                name="consensus by hand",
                frames={"consensus": frame},
                settings={},
                summary={},
                input_hash="-",
            )
            return version.id

    def run_supply(self, engine: sa.Engine) -> Any:
        """Run the supply step on what is stored; returns its result."""
        from oneplan.runner import run_phased
        from oneplan.services.supply.service import supply_run

        return run_phased(engine, supply_run(self.actor))

    def plan(self, engine: sa.Engine) -> None:
        """All three: the demo imported, the hand-made consensus stored, supply planned."""
        self.import_demo(engine)
        self.store_consensus(engine)
        self.run_supply(engine)


@pytest.fixture
def prepare(demo_csv: Path, hand_consensus: pd.DataFrame, actor: Actor) -> Preparation:
    return Preparation(demo_csv, hand_consensus, actor)


@pytest.fixture
def planned(
    engine: sa.Engine, prepare: Preparation, hand_consensus: pd.DataFrame
) -> tuple[sa.Engine, pd.DataFrame]:
    """The demo imported, the hand-made demand plan stored, and the base supply plan run."""
    prepare.plan(engine)
    return engine, hand_consensus

"""Shared fixtures: a real SQLite file and a real PostgreSQL schema per test.

PostgreSQL tests use ONEPLAN_TEST_POSTGRES_URL (default: the local server's `test` database). Each
test gets a schema of its own, so tests can run in parallel. When the server cannot be reached the
tests skip on a developer's machine but FAIL under CI=true: a green CI must mean they ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine

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


@pytest.fixture
def sqlite_engine(settings: Settings) -> Iterator[sa.Engine]:
    engine = create_db_engine(settings.database_url, settings)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_server: str, settings: Settings) -> Iterator[sa.Engine]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = sa.create_engine(postgres_server, connect_args={"options": f"-csearch_path={schema}"})
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    """An empty, migrated database of each kind: the same test runs on SQLite and PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    db: sa.Engine = request.getfixturevalue(name)
    migrate.upgrade(db)
    return db


@pytest.fixture
def bare_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """An empty SQLite database with no schema at all."""
    db: sa.Engine = request.getfixturevalue("sqlite_engine")
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

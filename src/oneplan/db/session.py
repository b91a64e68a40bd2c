"""Database engines and transactions. Callers own the transaction; services only flush.

Front ends (a CLI command, an API request, a page, a job worker) open the transaction with
`unit_of_work`, or run a long service in phases with `oneplan.runner.run_phased`. No service
calls these.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from oneplan.config import Settings, get_settings
from oneplan.errors import Conflict


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_db_engine(url: str | None = None, settings: Settings | None = None) -> sa.Engine:
    """An engine with oneplan's connection settings: SQLite in WAL mode with foreign keys on and a
    busy timeout, so several users can read while one writes; PostgreSQL as configured."""
    settings = settings or get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        _create_private(sa.engine.make_url(url).database)
        timeout = settings.sqlite_busy_timeout_s
        engine = sa.create_engine(url, connect_args={"timeout": timeout})
        _configure_sqlite(engine, timeout)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only (0600): it holds the company's plans.
    SQLite gives its -wal and -shm files the same permissions."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _configure_sqlite(engine: sa.Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "Serializable
        # isolation / Savepoints / Transactional DDL" in SQLAlchemy's SQLite notes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writer takes the write lock up front (IMMEDIATE): a second writer waits for the busy
        # timeout instead of failing half-way through; readers never wait in WAL mode, and a
        # read transaction sees one snapshot from its first read to its end.
        write = conn.get_execution_options().get("oneplan_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _bind(engine: sa.Engine, write: bool) -> sa.Engine:
    if write:
        return engine.execution_options(oneplan_write=True)
    if engine.dialect.name == "postgresql":
        # Every table read in one snapshot, even while an import commits in the middle.
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine


@contextmanager
def unit_of_work(engine: sa.Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any error.

    ``write=False`` gives a read-only snapshot: every query in the block sees the database as
    it was at the first one (PostgreSQL: REPEATABLE READ, READ ONLY; SQLite: a WAL read
    transaction). A writer that waits longer than the lock timeout, loses a race on a unique
    key or updates a row someone changed since it was read, raises `Conflict` with nothing
    changed.
    """
    factory = sessionmaker(bind=_bind(engine, write), expire_on_commit=False)
    try:
        with factory() as session, session.begin():
            yield session
    except sa.exc.OperationalError as error:
        if not _waited_too_long(error):
            raise
        raise Conflict(
            "another change held the database for longer than the lock timeout; nothing was "
            "changed, try again when it is done"
        ) from error
    except StaleDataError as error:
        # An update that found the row at another version than it read (`version_id_col`).
        raise Conflict(
            "someone else changed the same thing at the same moment; nothing was changed: "
            "look at the current state and try again"
        ) from error
    except sa.exc.IntegrityError as error:
        if not _unique_clash(error):
            raise
        raise Conflict(
            "someone else saved the same thing at the same moment; nothing was changed: look "
            "at the current state and try again"
        ) from error


def _waited_too_long(error: sa.exc.OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "lock timeout" in text or "deadlock" in text


def _unique_clash(error: sa.exc.IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text

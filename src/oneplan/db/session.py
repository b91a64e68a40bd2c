"""Engines and units of work. The caller (a CLI command or an API request) owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from oneplan.config import Settings, get_settings


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_db_engine(url: str | None = None, settings: Settings | None = None) -> sa.Engine:
    """An engine with oneplan's connection settings: SQLite in WAL mode with foreign keys on and a
    busy timeout, so several users can read while one writes; PostgreSQL as configured."""
    settings = settings or get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        timeout = settings.sqlite_busy_timeout_s
        engine = sa.create_engine(url, connect_args={"timeout": timeout})
        _configure_sqlite(engine, timeout)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


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
        # timeout instead of failing half-way through; readers never wait in WAL mode.
        write = conn.get_execution_options().get("oneplan_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def unit_of_work(engine: sa.Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any error."""
    bind = engine.execution_options(oneplan_write=write)
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session

"""SQLite is opened for many readers and one writer at a time, with references enforced."""

from __future__ import annotations

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import create_db_engine, unit_of_work


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(settings: Settings) -> None:
    engine = create_db_engine(
        settings.database_url, settings.model_copy(update={"sqlite_busy_timeout_s": 7})
    )
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    engine.dispose()


def test_unit_of_work_commits_or_rolls_back(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (text VARCHAR)")
    with unit_of_work(sqlite_engine) as session:
        session.execute(sa.text("INSERT INTO notes VALUES ('kept')"))
    try:
        with unit_of_work(sqlite_engine) as session:
            session.execute(sa.text("INSERT INTO notes VALUES ('lost')"))
            raise RuntimeError("something failed")
    except RuntimeError:
        pass
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT text FROM notes").scalars().all() == ["kept"]

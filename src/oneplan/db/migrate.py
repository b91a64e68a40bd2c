"""Schema migrations with Alembic, run from inside the package (no alembic.ini to find).

Alembic is imported only to migrate: checking that a database is up to date (every command does
it) reads the revision with one query, so commands start fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    """The database's schema revision; None for a database without oneplan's schema."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        found = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        return None if found is None else str(found)


def head_revision() -> str:
    """The newest migration's revision: the migration files are numbered in order (``0005_...py``),
    each revising the one before; the revision is read from the newest file's
    ``revision: str = "..."`` line, as a revision may carry a letter after its number."""
    newest = max((MIGRATIONS / "versions").glob("[0-9]*_*.py"), key=lambda p: p.name)
    found = re.search(r'^revision: str = "([^"]+)"', newest.read_text(), re.MULTILINE)
    return found.group(1) if found else newest.name.split("_", 1)[0]

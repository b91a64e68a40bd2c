"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from oneplan.db import migrate
from oneplan.db.models import PACKAGE_MODELS, Base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest) -> sa.Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    db: sa.Engine = request.getfixturevalue(name)
    return db


def test_upgrade_from_empty_creates_every_table(empty_engine: sa.Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert {model.__tablename__ for model in PACKAGE_MODELS} <= tables
    assert "imports" in tables


def test_migrations_match_the_models(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_empty_and_up_again(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert not {m.__tablename__ for m in PACKAGE_MODELS} & set(
        sa.inspect(empty_engine).get_table_names()
    )
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_database_refuses_what_validation_refuses(engine: sa.Engine) -> None:
    """CHECK constraints mirror the package's bounds, so no path can store a negative stock."""
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO families (code, name, category, created_at, created_by, "
                "updated_at, updated_by) VALUES ('F', 'F', 'C', CURRENT_TIMESTAMP, 'x', "
                "CURRENT_TIMESTAMP, 'x')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO locations (code, name, kind, region, created_at, created_by, "
                "updated_at, updated_by) VALUES ('L', 'L', 'moon_base', 'R', CURRENT_TIMESTAMP, "
                "'x', CURRENT_TIMESTAMP, 'x')"
            )
        )

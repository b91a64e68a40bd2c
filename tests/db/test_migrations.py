"""The schema comes from the migrations, and the migrations match the models."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from oneplan.db import migrate
from oneplan.db.models import PACKAGE_MODELS, Base


@pytest.fixture
def empty_engine(db_kind: str, make_engine: Callable[[str], sa.Engine]) -> sa.Engine:
    return make_engine(db_kind)


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


def test_check_constraints_match_the_models(empty_engine: sa.Engine) -> None:
    """Alembic does not compare CHECK constraints, so compare their names here: a bound changed
    in the models without a migration would let the database disagree with validation."""
    migrate.upgrade(empty_engine)
    inspector = sa.inspect(empty_engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == {str(name) for name in expected}, table.name


INSERT_FAMILY = (
    "INSERT INTO families (code, name, category, created_at, created_by, updated_at, updated_by) "
    "VALUES ('F', 'F', 'C', CURRENT_TIMESTAMP, 'x', CURRENT_TIMESTAMP, 'x')"
)
INSERT_ITEM = (
    "INSERT INTO items (code, description, uom, family, lifecycle_status, created_at, created_by, "
    "updated_at, updated_by) VALUES ('I', 'I', 'EA', 'F', 'active', CURRENT_TIMESTAMP, 'x', "
    "CURRENT_TIMESTAMP, 'x')"
)
INSERT_LOCATION = (
    "INSERT INTO locations (code, name, kind, region, created_at, created_by, updated_at, "
    "updated_by) VALUES ('L', 'L', '{kind}', 'R', CURRENT_TIMESTAMP, 'x', CURRENT_TIMESTAMP, 'x')"
)


def test_database_refuses_a_choice_validation_refuses(engine: sa.Engine) -> None:
    """CHECK constraints mirror the package's choices, whatever path a row takes."""
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(INSERT_LOCATION.format(kind="moon_base")))


def test_database_refuses_a_negative_stock(engine: sa.Engine) -> None:
    """...and the package's bounds: no path can store a negative quantity on hand."""
    with engine.begin() as connection:
        for sql in (INSERT_FAMILY, INSERT_ITEM, INSERT_LOCATION.format(kind="plant")):
            connection.execute(sa.text(sql))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO inventory (item, location, on_hand, as_of, created_at, created_by, "
                "updated_at, updated_by) VALUES ('I', 'L', -1, '2026-12-31', CURRENT_TIMESTAMP, "
                "'x', CURRENT_TIMESTAMP, 'x')"
            )
        )


def test_the_newest_migration_file_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert (
        migrate.head_revision()
        == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    )

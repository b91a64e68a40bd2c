"""Every multi-table read sees one snapshot: a write committed in the middle of it is not seen,
so an export or a plan run never mixes data from before and after an import."""

from __future__ import annotations

import sqlalchemy as sa

from oneplan.db.session import unit_of_work


def count(session: object, table: str) -> int:
    return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())  # type: ignore[attr-defined]


def test_a_read_sees_the_database_as_it_was_at_its_first_query(
    engine: sa.Engine, prepare: object
) -> None:
    prepare.import_demo(engine)  # type: ignore[attr-defined]
    with unit_of_work(engine, write=False) as reading:
        families = count(reading, "families")
        # another user commits a change while the read is under way
        with unit_of_work(engine) as writing:
            writing.execute(
                sa.text(
                    "INSERT INTO families (code, name, category, created_at, created_by, "
                    "updated_at, updated_by) VALUES ('NEW', 'New', 'Garden', "
                    "CURRENT_TIMESTAMP, 'other', CURRENT_TIMESTAMP, 'other')"
                )
            )
        # the rest of the read still sees the database as it was
        assert count(reading, "families") == families
    with unit_of_work(engine, write=False) as later:
        assert count(later, "families") == families + 1


def test_a_read_only_unit_of_work_refuses_to_write_on_postgresql(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        return  # SQLite's read transaction is the snapshot; the write lock is taken by writers
    import pytest

    with pytest.raises(sa.exc.InternalError), unit_of_work(engine, write=False) as session:
        session.execute(sa.text("CREATE TABLE nope (x int)"))

"""Importing a data package: all or nothing, idempotent, with provenance, on both databases."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.datapack import package_schema
from oneplan.db import bulk
from oneplan.db.models import Base
from oneplan.errors import ValidationFailed
from oneplan.services.imports import import_package


def table_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t.name: bulk.count_rows(connection, t) for t in Base.metadata.sorted_tables}


def test_import_writes_every_row_with_provenance(
    engine: sa.Engine, demo_csv: Path, demo_frames: dict[str, pd.DataFrame], settings: Settings
) -> None:
    report = import_package(engine, demo_csv, settings=settings)
    counts = table_counts(engine)
    for name, frame in demo_frames.items():
        assert counts[name] == len(frame), name
        assert report.counts.get(name, bulk.UpsertCount(0, 0)).inserted == len(frame)
    assert report.updated == 0
    with engine.connect() as connection:
        stamp = connection.execute(
            sa.text("SELECT DISTINCT import_id, created_by, updated_by FROM items")
        ).all()
    assert stamp == [(report.import_id, "tester", "tester")]


def test_reimporting_the_same_package_changes_nothing(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    first = import_package(engine, demo_csv, settings=settings)
    query = sa.text("SELECT code, updated_at, import_id FROM items ORDER BY code")
    with engine.connect() as connection:
        before = connection.execute(query).all()
    again = import_package(
        engine, demo_csv, settings=Settings(**{**settings.model_dump(), "user": "other"})
    )
    assert (again.inserted, again.updated) == (0, 0)
    with engine.connect() as connection:
        assert connection.execute(query).all() == before
        assert all(row.import_id == first.import_id for row in connection.execute(query))


def test_a_changed_value_updates_only_its_row(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    import_package(engine, demo_csv, settings=settings)
    changed = tmp_path / "changed"
    shutil.copytree(demo_csv, changed)
    items = pd.read_csv(changed / "items.csv", dtype=str, keep_default_na=False)
    code = items.loc[0, "code"]
    items.loc[0, "description"] = "Renamed in the ERP"
    items.to_csv(changed / "items.csv", index=False)
    report = import_package(
        engine, changed, settings=Settings(**{**settings.model_dump(), "user": "erp"})
    )
    assert report.counts["items"].updated == 1
    assert report.inserted == 0
    assert report.updated == 1
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT code, description, updated_by FROM items")).all()
    assert {r.code for r in rows if r.updated_by == "erp"} == {code}
    assert {r.description for r in rows if r.code == code} == {"Renamed in the ERP"}


def test_bad_package_changes_nothing(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    import_package(engine, demo_csv, settings=settings)
    before = table_counts(engine)
    bad = tmp_path / "bad"
    shutil.copytree(demo_csv, bad)
    history = pd.read_csv(bad / "sales_history.csv", dtype=str, keep_default_na=False)
    history.loc[3, "quantity"] = "-5"
    history.loc[4, "item"] = "NO-SUCH-ITEM"
    history.to_csv(bad / "sales_history.csv", index=False)
    with pytest.raises(ValidationFailed) as caught:
        import_package(engine, bad, settings=settings)
    messages = [str(p) for p in caught.value.problems]
    assert any("sales_history.csv, row 5, column quantity" in m for m in messages), messages
    assert any("sales_history.csv, row 6, column item" in m for m in messages), messages
    assert table_counts(engine) == before


def test_failure_half_way_rolls_everything_back(
    engine: sa.Engine, demo_csv: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error after several tables were written leaves no trace of any of them."""
    real = bulk.upsert_frame
    written: list[str] = []

    def failing(
        connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, stamp: bulk.Stamp
    ) -> bulk.UpsertCount:
        if len(written) == 5:
            raise RuntimeError("disk full")
        written.append(table.name)
        return real(connection, table, frame, stamp)

    monkeypatch.setattr("oneplan.services.imports.upsert_frame", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_package(engine, demo_csv, settings=settings)
    assert len(written) == 5
    assert set(table_counts(engine).values()) == {0}


def test_concurrent_imports_wait_for_each_other(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    """Two imports at once: the second waits for the first; both land whole, once."""
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(import_package(engine, demo_csv, settings=settings))
        except Exception as error:  # recorded and asserted on below
            outcomes.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 2
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    inserted = sorted(o.inserted for o in outcomes)  # type: ignore[attr-defined]
    assert inserted[0] == 0 and inserted[1] > 0
    schema = package_schema()
    counts = table_counts(engine)
    assert counts["imports"] == 2
    assert counts["items"] == len(pd.read_csv(demo_csv / "items.csv"))
    assert "items" in schema

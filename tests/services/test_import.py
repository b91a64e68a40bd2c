"""Importing a data package: all or nothing, idempotent, with provenance, on both databases."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import bulk
from oneplan.db.models import Base
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.errors import Conflict, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.data.schemas import ImportReport, TableCount
from oneplan.services.data.service import IMPORT_LOCK, import_package, read_package_files


def imported(engine: sa.Engine, path: Path, settings: Settings) -> ImportReport:
    """Read the package, then import it in one write transaction, as a front end does."""
    files = read_package_files(path, settings)
    with unit_of_work(engine) as session:
        return import_package(
            session,
            Actor.administrator(settings.user),
            files,
            lock_timeout_s=settings.sqlite_busy_timeout_s,
        )


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table; not the audit chain's head, the one row every migrated database holds."""
    with engine.connect() as connection:
        return {
            t.name: bulk.count_rows(connection, t)
            for t in Base.metadata.sorted_tables
            if t.name != "audit_chain"
        }


def test_import_writes_every_row_with_provenance(
    engine: sa.Engine, demo_csv: Path, demo_frames: dict[str, pd.DataFrame], settings: Settings
) -> None:
    report = imported(engine, demo_csv, settings)
    counts = table_counts(engine)
    for name, frame in demo_frames.items():
        assert counts[name] == len(frame), name
        assert report.counts.get(name, TableCount(inserted=0, updated=0)).inserted == len(frame)
    assert report.updated == 0
    with engine.connect() as connection:
        stamp = connection.execute(
            sa.text("SELECT DISTINCT import_id, created_by, updated_by FROM items")
        ).all()
    assert stamp == [(report.import_id, "tester", "tester")]


def test_reimporting_the_same_package_changes_nothing(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    first = imported(engine, demo_csv, settings)
    query = sa.text("SELECT code, updated_at, import_id FROM items ORDER BY code")
    with engine.connect() as connection:
        before = connection.execute(query).all()
    again = imported(engine, demo_csv, Settings(**{**settings.model_dump(), "user": "other"}))
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == first.inserted
    with engine.connect() as connection:
        assert connection.execute(query).all() == before
        assert all(row.import_id == first.import_id for row in connection.execute(query))


def test_a_changed_value_updates_only_its_row(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    imported(engine, demo_csv, settings)
    changed = tmp_path / "changed"
    shutil.copytree(demo_csv, changed)
    items = pd.read_csv(changed / "items.csv", dtype=str, keep_default_na=False)
    code = items.loc[0, "code"]
    items.loc[0, "description"] = "Renamed in the ERP"
    items.to_csv(changed / "items.csv", index=False)
    report = imported(engine, changed, Settings(**{**settings.model_dump(), "user": "erp"}))
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
    imported(engine, demo_csv, settings)
    before = table_counts(engine)
    bad = tmp_path / "bad"
    shutil.copytree(demo_csv, bad)
    history = pd.read_csv(bad / "sales_history.csv", dtype=str, keep_default_na=False)
    history.loc[3, "quantity"] = "-5"
    history.loc[4, "item"] = "NO-SUCH-ITEM"
    history.to_csv(bad / "sales_history.csv", index=False)
    with pytest.raises(ValidationFailed) as caught:
        imported(engine, bad, settings)
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
        connection: sa.Connection,
        table: sa.Table,
        frame: pd.DataFrame,
        stamp: bulk.Stamp,
        updated: list[str] | None = None,
    ) -> bulk.UpsertCount:
        if len(written) == 5:
            raise RuntimeError("disk full")
        written.append(table.name)
        return real(connection, table, frame, stamp, updated)

    monkeypatch.setattr("oneplan.services.data.service.upsert_frame", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        imported(engine, demo_csv, settings)
    assert len(written) == 5
    assert set(table_counts(engine).values()) == {0}


@contextmanager
def writer_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the lock an import takes, as another import in progress would."""
    writer = engine.execution_options(oneplan_write=True)
    with writer.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
        yield


def test_a_second_import_waits_for_the_first(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    outcomes: list[object] = []

    def run() -> None:
        try:
            outcomes.append(imported(engine, demo_csv, settings))
        except Exception as error:  # recorded and asserted on below
            outcomes.append(error)

    waiting = threading.Thread(target=run)
    with writer_lock(engine):
        waiting.start()
        waiting.join(timeout=2)
        assert waiting.is_alive(), "the import did not wait for the lock"
        assert table_counts(engine)["items"] == 0
    waiting.join(timeout=120)
    assert len(outcomes) == 1 and not isinstance(outcomes[0], Exception), outcomes
    assert table_counts(engine)["items"] == len(pd.read_csv(demo_csv / "items.csv"))


def test_an_import_that_waits_too_long_fails_cleanly(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    impatient = settings.model_copy(update={"sqlite_busy_timeout_s": 0.3})
    # SQLite waits as long as its connection says; PostgreSQL as long as the import says.
    hurried = create_db_engine(engine.url.render_as_string(hide_password=False), impatient)
    with writer_lock(engine), pytest.raises(Conflict, match="held the database"):
        imported(hurried, demo_csv, impatient)
    hurried.dispose()
    assert set(table_counts(engine).values()) == {0}


def test_columns_missing_from_a_file_keep_what_the_database_holds(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    """A sales history file without revenue updates quantities and leaves revenue alone."""
    imported(engine, demo_csv, settings)
    history = pd.read_csv(demo_csv / "sales_history.csv", dtype=str, keep_default_na=False)
    history.loc[0, "quantity"] = "12345"
    partial = tmp_path / "partial"
    partial.mkdir()
    history.drop(columns=["revenue"]).to_csv(partial / "sales_history.csv", index=False)
    query = sa.text("SELECT count(revenue) FROM sales_history")
    with engine.connect() as connection:
        revenues = connection.execute(query).scalar_one()
    report = imported(engine, partial, settings)
    assert (report.inserted, report.updated) == (0, 1)
    with engine.connect() as connection:
        assert connection.execute(query).scalar_one() == revenues
        assert (
            connection.execute(sa.text("SELECT max(quantity) FROM sales_history")).scalar_one()
            == 12345
        )


def test_a_partial_package_validates_against_a_database_that_holds_data(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    from oneplan.services.data.service import checks_against_database, validate_files

    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(demo_csv / "sales_history.csv", partial / "sales_history.csv")
    files, actor = read_package_files(partial, settings), Actor.administrator("tester")
    with unit_of_work(engine, write=False) as session:
        assert not checks_against_database(session, actor)  # an empty database adds nothing
        with pytest.raises(
            ValidationFailed, match="rows refer to items that are not in this package"
        ):
            validate_files(session, actor, files)
    imported(engine, demo_csv, settings)
    with unit_of_work(engine, write=False) as session:
        assert checks_against_database(session, actor)
        _, report = validate_files(session, actor, files)
    assert report.against_database and report.rows == {"sales_history": report.total_rows}
    assert not checks_against_database(None, actor)
    with pytest.raises(ValidationFailed):
        validate_files(None, actor, files)


def snapshot_package(demo_csv: Path, folder: Path) -> Path:
    """This month's open orders and stock only: half the stock rows, a third of the orders."""
    folder.mkdir()
    stock = pd.read_csv(demo_csv / "inventory.csv", dtype=str, keep_default_na=False)
    stock.iloc[::2].to_csv(folder / "inventory.csv", index=False)
    orders = pd.read_csv(demo_csv / "customer_orders.csv", dtype=str, keep_default_na=False)
    orders.iloc[::3].to_csv(folder / "customer_orders.csv", index=False)
    return folder


def replace_import(
    engine: sa.Engine, path: Path, settings: Settings, replace: list[str]
) -> ImportReport:
    files = read_package_files(path, settings)
    with unit_of_work(engine) as session:
        return import_package(session, Actor.administrator(settings.user), files, replace=replace)


def test_replace_deletes_the_rows_a_snapshot_no_longer_holds(
    engine: sa.Engine, demo_csv: Path, settings: Settings, tmp_path: Path
) -> None:
    from oneplan.services.audit.service import events

    imported(engine, demo_csv, settings)
    before = table_counts(engine)
    package = snapshot_package(demo_csv, tmp_path / "month-end")
    kept_stock = len(pd.read_csv(package / "inventory.csv"))
    kept_orders = len(pd.read_csv(package / "customer_orders.csv"))
    plain = imported(engine, package, settings)  # without replace: nothing is deleted
    logs = {"imports", "audit_events"}  # each import adds its own record
    assert plain.deleted == 0
    assert {k: v for k, v in table_counts(engine).items() if k not in logs} == {
        k: v for k, v in before.items() if k not in logs
    }

    report = replace_import(engine, package, settings, ["inventory", "customer_orders"])
    counts = table_counts(engine)
    assert (counts["inventory"], counts["customer_orders"]) == (kept_stock, kept_orders)
    assert report.counts["inventory"].deleted == before["inventory"] - kept_stock
    assert report.counts["customer_orders"].deleted == before["customer_orders"] - kept_orders
    assert report.deleted == report.counts["inventory"].deleted + (
        report.counts["customer_orders"].deleted
    )
    assert report.replaced == ["customer_orders", "inventory"]
    untouched = set(before) - {"inventory", "customer_orders", "imports", "audit_events"}
    assert {k: counts[k] for k in untouched} == {k: before[k] for k in untouched}
    with unit_of_work(engine, write=False) as session:
        done = events(session, Actor.administrator("x"), "import", report.import_id)[0]
    assert done.detail["replaced"] == ["customer_orders", "inventory"]
    assert done.detail["tables"]["inventory"]["deleted"] == before["inventory"] - kept_stock
    again = replace_import(engine, package, settings, ["inventory", "customer_orders"])
    assert again.deleted == 0 and again.inserted == 0  # the snapshot is what the database holds


@pytest.mark.parametrize(
    ("replace", "named"),
    [
        (["items"], "items cannot be replaced: rows of customer_orders, demand"),
        (["locations"], "locations cannot be replaced"),
        (["sales_history"], "the package holds no sales_history table"),
        (["stock"], "'stock' is not a table of the data package"),
    ],
)
def test_replace_is_refused_where_it_would_break_references_or_empty_a_table(
    engine: sa.Engine,
    demo_csv: Path,
    settings: Settings,
    tmp_path: Path,
    replace: list[str],
    named: str,
) -> None:
    imported(engine, demo_csv, settings)
    before = table_counts(engine)
    package = snapshot_package(demo_csv, tmp_path / "month-end")
    with pytest.raises(ValidationFailed, match=named) as caught:
        replace_import(engine, package, settings, replace)
    assert caught.value.problems[0].column == "replace"
    assert table_counts(engine) == before

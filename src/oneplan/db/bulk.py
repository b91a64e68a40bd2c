"""Bulk upsert of whole frames: one statement per table, never one ORM object per row; and the
deletion of the rows a snapshot table no longer holds.

SQLite gets `executemany` of an `INSERT ... ON CONFLICT DO UPDATE`; PostgreSQL gets `COPY` into a
temporary table and one `INSERT ... SELECT ... ON CONFLICT DO UPDATE`. Either way a row whose values
did not change is not touched: re-importing the same package changes nothing, provenance included.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from oneplan.db.base import PROVENANCE_COLUMNS


@dataclass(frozen=True)
class Stamp:
    """The provenance written on every inserted or changed row."""

    import_id: int
    user: str
    at: datetime


@dataclass(frozen=True)
class UpsertCount:
    inserted: int
    updated: int
    unchanged: int = 0


def _key_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _upsert_sql(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    updated: Sequence[str],
    source: str,
) -> str:
    """INSERT every given column; on a key that exists, change only the `updated` columns, and
    only when one of them differs (so an unchanged row keeps its provenance)."""
    quote = connection.dialect.identifier_preparer.quote
    distinct = "IS DISTINCT FROM" if connection.dialect.name == "postgresql" else "IS NOT"
    name = quote(table.name)
    key = _key_columns(table)
    values = [c for c in updated if c not in key]
    changed = " OR ".join(f"{name}.{quote(c)} {distinct} excluded.{quote(c)}" for c in values)
    sets = [f"{quote(c)} = excluded.{quote(c)}" for c in values]
    sets += [f"{c} = excluded.{c}" for c in ("updated_at", "updated_by", "import_id")]
    all_columns = ", ".join(quote(c) for c in (*columns, *PROVENANCE_COLUMNS))
    update = f"DO UPDATE SET {', '.join(sets)} WHERE {changed}" if values else "DO NOTHING"
    conflict = ", ".join(quote(c) for c in key)
    return f"INSERT INTO {name} ({all_columns}) {source} ON CONFLICT ({conflict}) {update}"


def _dates_as_text(frame: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """Dates as ISO text, the form both databases read; rows in key order, which keeps the
    B-tree inserts of the primary key append-mostly."""
    out = frame.sort_values(_key_columns(table), ignore_index=True)
    for name in out.columns:
        if isinstance(table.c[name].type, sa.Date):
            dates = pd.to_datetime(out[name])
            out[name] = dates.dt.strftime("%Y-%m-%d")  # NaT stays missing
    return out


def count_rows(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def upsert_frame(
    connection: sa.Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    stamp: Stamp,
    updated: Sequence[str] | None = None,
) -> UpsertCount:
    """Insert new rows and update changed ones of `table`, keyed by its primary key.

    `updated` names the columns an existing row may change (default: all of the frame's); a
    column the file did not carry must not overwrite what the database holds."""
    if frame.empty:
        return UpsertCount(0, 0)
    before = count_rows(connection, table)
    columns = list(frame.columns)
    sql_updated = columns if updated is None else [c for c in columns if c in set(updated)]
    values = _dates_as_text(frame, table)
    if connection.dialect.name == "postgresql":
        touched = _upsert_postgresql(connection, table, columns, sql_updated, values, stamp)
    else:
        touched = _upsert_generic(connection, table, columns, sql_updated, values, stamp)
    inserted = count_rows(connection, table) - before
    changed = max(touched - inserted, 0)
    return UpsertCount(inserted, changed, unchanged=len(frame) - inserted - changed)


def _upsert_generic(
    connection: sa.Connection,
    table: sa.Table,
    columns: list[str],
    updated: list[str],
    values: pd.DataFrame,
    stamp: Stamp,
) -> int:
    placeholders = ", ".join("?" for _ in (*columns, *PROVENANCE_COLUMNS))
    sql = _upsert_sql(connection, table, columns, updated, f"VALUES ({placeholders})")
    # The text form SQLAlchemy itself writes for DateTime on SQLite: naive UTC, microseconds.
    at = stamp.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    tail = np.array([stamp.import_id, at, stamp.user, at, stamp.user], dtype=object)
    cells = values.to_numpy(dtype=object)
    cells[pd.isna(cells)] = None
    rows = np.hstack([cells, np.tile(tail, (len(values), 1))])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows.tolist())
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _upsert_postgresql(
    connection: sa.Connection,
    table: sa.Table,
    columns: list[str],
    updated: list[str],
    values: pd.DataFrame,
    stamp: Stamp,
) -> int:
    quote = connection.dialect.identifier_preparer.quote
    staging = quote(f"staging_{table.name}")
    column_list = ", ".join(quote(c) for c in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {column_list} FROM {quote(table.name)} WITH NO DATA"
        )
        buffer = io.BytesIO()
        arrow = pa.Table.from_pandas(values, preserve_index=False)
        pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False))
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        provenance = "%(import_id)s, %(at)s, %(user)s, %(at)s, %(user)s"
        source = f"SELECT {column_list}, {provenance} FROM {staging}"
        cursor.execute(
            _upsert_sql(connection, table, columns, updated, source),
            {"import_id": stamp.import_id, "at": stamp.at, "user": stamp.user},
        )
        touched = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        return int(touched)


def _key_text(frame: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """Key columns as text both databases agree on (dates ISO), to match rows by key."""
    out = pd.DataFrame(index=frame.index)
    for name in _key_columns(table):
        column = frame[name]
        if isinstance(table.c[name].type, sa.Date):
            out[name] = pd.to_datetime(column).dt.strftime("%Y-%m-%d")
        else:
            out[name] = column.astype(str)
    return out


def delete_missing(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Delete the rows of `table` whose key is not among the frame's (the table then holds
    what the frame holds, as a snapshot); returns how many were deleted. Rows are matched by
    the primary key and deleted by it, in the caller's transaction."""
    keys = _key_columns(table)
    held = pd.DataFrame(
        connection.execute(sa.select(*(table.c[k] for k in keys))).all(), columns=keys
    )
    if held.empty:
        return 0
    kept = _key_text(frame, table).drop_duplicates()
    matched = _key_text(held, table).merge(kept, on=keys, how="left", indicator=True)
    gone = held[(matched["_merge"] == "left_only").to_numpy()].copy()
    if gone.empty:
        return 0
    for name in keys:  # the values as the database gave them, dates as dates
        if isinstance(table.c[name].type, sa.Date):
            gone[name] = pd.to_datetime(gone[name]).dt.date
    where = sa.and_(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
    rows = [
        {f"key_{k}": value for k, value in zip(keys, row, strict=True)}
        for row in gone.itertuples(index=False)
    ]
    connection.execute(sa.delete(table).where(where), rows)
    return len(gone)

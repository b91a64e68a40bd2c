"""Bulk upsert of whole frames: one statement per table, never one ORM object per row.

SQLite gets `executemany` of an `INSERT ... ON CONFLICT DO UPDATE`; PostgreSQL gets `COPY` into a
temporary table and one `INSERT ... SELECT ... ON CONFLICT DO UPDATE`. Either way a row whose values
did not change is not touched: re-importing the same package changes nothing, provenance included.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

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


def _key_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _upsert_sql(table: sa.Table, columns: list[str], source: str, distinct: str) -> str:
    key = _key_columns(table)
    values = [c for c in columns if c not in key]
    changed = " OR ".join(f"{table.name}.{c} {distinct} excluded.{c}" for c in values)
    sets = [f"{c} = excluded.{c}" for c in values]
    sets += [f"{c} = excluded.{c}" for c in ("updated_at", "updated_by", "import_id")]
    all_columns = [*columns, *PROVENANCE_COLUMNS]
    update = f"DO UPDATE SET {', '.join(sets)} WHERE {changed}" if values else "DO NOTHING"
    return (
        f"INSERT INTO {table.name} ({', '.join(all_columns)}) {source} "
        f"ON CONFLICT ({', '.join(key)}) {update}"
    )


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
    connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, stamp: Stamp
) -> UpsertCount:
    """Insert new rows and update changed ones of `table`, keyed by its primary key."""
    if frame.empty:
        return UpsertCount(0, 0)
    before = count_rows(connection, table)
    columns = list(frame.columns)
    values = _dates_as_text(frame, table)
    if connection.dialect.name == "postgresql":
        touched = _upsert_postgresql(connection, table, columns, values, stamp)
    else:
        touched = _upsert_generic(connection, table, columns, values, stamp)
    inserted = count_rows(connection, table) - before
    return UpsertCount(inserted=inserted, updated=max(touched - inserted, 0))


def _upsert_generic(
    connection: sa.Connection,
    table: sa.Table,
    columns: list[str],
    values: pd.DataFrame,
    stamp: Stamp,
) -> int:
    placeholders = ", ".join("?" for _ in (*columns, *PROVENANCE_COLUMNS))
    sql = _upsert_sql(table, columns, f"VALUES ({placeholders})", "IS NOT")
    at = stamp.at.isoformat(sep=" ")
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
    values: pd.DataFrame,
    stamp: Stamp,
) -> int:
    staging = f"staging_{table.name}"
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table.name} WITH NO DATA"
        )
        buffer = io.BytesIO()
        arrow = pa.Table.from_pandas(values, preserve_index=False)
        pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False))
        copy_sql = f"COPY {staging} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with cursor.copy(copy_sql) as copy:
            copy.write(buffer.getvalue())
        provenance = "%(import_id)s, %(at)s, %(user)s, %(at)s, %(user)s"
        source = f"SELECT {', '.join(columns)}, {provenance} FROM {staging}"
        cursor.execute(
            _upsert_sql(table, columns, source, "IS DISTINCT FROM"),
            {"import_id": stamp.import_id, "at": stamp.at, "user": stamp.user},
        )
        touched = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        return int(touched)

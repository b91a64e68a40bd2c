"""Export what the database holds as a data package, in the same shape import reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

import oneplan.db.models  # noqa: F401  (registers every table on Base.metadata)
from oneplan.datapack import PackageSchema, canonical_frame, package_schema, write_package
from oneplan.datapack.write import Format
from oneplan.db.base import Base


def read_tables(
    connection: sa.Connection, schema: PackageSchema, names: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Package tables as frames with the package's columns and dtypes, sorted by key."""
    frames = {}
    for table in schema.tables:
        if names is not None and table.name not in names:
            continue
        db_table = Base.metadata.tables[table.name]
        columns = [db_table.c[c.name] for c in table.columns]
        frames[table.name] = canonical_frame(pd.read_sql(sa.select(*columns), connection), table)
    return frames


def export_package(engine: sa.Engine, path: Path, fmt: Format = "csv") -> dict[str, int]:
    """Write every package table to `path`; returns the rows written per table."""
    schema = package_schema()
    with engine.connect() as connection:
        frames = read_tables(connection, schema)
    write_package(frames, path, format=fmt, schema=schema)
    return {name: len(frame) for name, frame in frames.items()}

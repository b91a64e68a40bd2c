"""Import a data package: validate everything first, then upsert it all in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from oneplan.config import Settings, get_settings
from oneplan.datapack import (
    PackageSchema,
    RawPackage,
    ReadLimits,
    package_schema,
    read_package,
    validate_package,
)
from oneplan.db.base import Base
from oneplan.db.bulk import Stamp, UpsertCount, upsert_frame
from oneplan.db.models import Import
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, ValidationFailed
from oneplan.services import audit

# Any constant works: it only has to be the same for every oneplan process on the server.
IMPORT_LOCK = 0x6F6E65706C616E


@dataclass(frozen=True)
class ImportReport:
    import_id: int
    source: str
    format: str
    content_hash: str
    counts: dict[str, UpsertCount] = field(default_factory=dict)

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts.values())


def file_digest(path: Path) -> str:
    """SHA-256 over the package's files (names and bytes), independent of the folder's location."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def package_format(path: Path) -> str:
    if path.is_file():
        return path.suffix.lstrip(".").lower()
    return "parquet" if any(path.glob("*.parquet")) else "csv"


def known_keys(connection: sa.Connection, schema: PackageSchema) -> dict[str, set[str]]:
    """Key values the database already holds, for every table some column refers to."""
    referenced = {c.reference[0] for t in schema.tables for c in t.columns if c.reference}
    keys: dict[str, set[str]] = {}
    for table in schema.tables:
        if len(table.key) != 1 or table.name not in referenced:
            continue
        column = Base.metadata.tables[table.name].c[table.key[0]]
        keys[table.name] = set(connection.execute(sa.select(column)).scalars())
    return keys


def read_path(path: Path, schema: PackageSchema, settings: Settings) -> RawPackage:
    limits = ReadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_uncompressed_bytes=settings.max_xlsx_uncompressed_bytes,
    )
    return read_package(path, schema, limits)


def validate_path(
    path: Path, engine: sa.Engine | None = None, settings: Settings | None = None
) -> dict[str, pd.DataFrame]:
    """Read and validate a package; raise `ValidationFailed` naming every problem.

    With an engine, references may also point at rows the database already holds."""
    schema = package_schema()
    raw = read_path(path, schema, settings or get_settings())
    keys: dict[str, set[str]] = {}
    if engine is not None:
        with engine.connect() as connection:
            keys = known_keys(connection, schema)
    frames, problems = validate_package(raw, schema, known_keys=keys)
    if problems:
        raise ValidationFailed(problems)
    return frames


def import_package(
    engine: sa.Engine,
    path: Path,
    *,
    settings: Settings | None = None,
    on_table: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import the package at `path` all or nothing; a second import waits for the first.

    `on_table(name, done, total)` is called before each table is written, for progress bars."""
    settings = settings or get_settings()
    schema = package_schema()
    raw = read_path(path, schema, settings)
    digest = file_digest(path)
    fmt = package_format(path)
    now = datetime.now(UTC)
    try:
        return _write(engine, path, raw, schema, settings, digest, fmt, now, on_table)
    except sa.exc.OperationalError as error:
        if not _is_lock_timeout(error):
            raise
        waited = settings.sqlite_busy_timeout_s
        raise Conflict(
            f"another import has been writing for over {waited:g} s; nothing was changed, "
            "try again when it is done"
        ) from error


def _is_lock_timeout(error: sa.exc.OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "lock timeout" in text


def _write(
    engine: sa.Engine,
    path: Path,
    raw: RawPackage,
    schema: PackageSchema,
    settings: Settings,
    digest: str,
    fmt: str,
    now: datetime,
    on_table: Callable[[str, int, int], None] | None,
) -> ImportReport:
    with unit_of_work(engine, write=True) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # One import at a time; a second waits as long as a second writer on SQLite would.
            wait_ms = int(settings.sqlite_busy_timeout_s * 1000)
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
        else:
            # Rows may reference rows later in the same table (an item's like item).
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        frames, problems = validate_package(raw, schema, known_keys=known_keys(connection, schema))
        if problems:
            raise ValidationFailed(problems)
        record = Import(
            source=str(path),
            format=fmt,
            content_hash=digest,
            status="done",
            started_at=now,
            finished_at=None,
            started_by=settings.user,
            row_counts=None,
        )
        session.add(record)
        session.flush()
        stamp = Stamp(import_id=record.id, user=settings.user, at=now)
        counts = {}
        names = [t.name for t in schema.tables if t.name in frames]  # parents first
        for done, name in enumerate(names):
            if on_table is not None:
                on_table(name, done, len(names))
            present = list(raw.tables[name].frame.columns)  # absent ones keep what the DB holds
            target = Base.metadata.tables[name]
            counts[name] = upsert_frame(connection, target, frames[name], stamp, updated=present)
        record.finished_at = datetime.now(UTC)
        record.row_counts = {
            name: {"inserted": c.inserted, "updated": c.updated} for name, c in counts.items()
        }
        audit.record(
            session,
            settings.user,
            "import.done",
            "import",
            record.id,
            {"source": str(path), "format": fmt, "tables": record.row_counts},
            at=now,
        )
        return ImportReport(record.id, str(path), fmt, digest, counts)

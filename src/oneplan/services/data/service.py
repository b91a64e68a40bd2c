"""Validate, import and export data packages.

An import validates the whole package first and writes it all or nothing, in the caller's write
transaction; a second import waits for the first (a PostgreSQL advisory lock; SQLite's write
lock). Reading the files happens before, outside any transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

import oneplan.db.models  # noqa: F401  (registers every table on Base.metadata)
from oneplan.config import Settings
from oneplan.datapack import (
    PackageSchema,
    RawPackage,
    ReadLimits,
    canonical_frame,
    package_schema,
    read_package,
    validate_raw,
    write_package,
)
from oneplan.db.base import Base
from oneplan.db.bulk import Stamp, delete_missing, upsert_frame
from oneplan.db.models import Import
from oneplan.errors import Notice, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.data.schemas import (
    ImportInfo,
    ImportPage,
    ImportReport,
    Left,
    TableCount,
    ValidationReport,
)
from oneplan.services.permissions import Permission, require, require_some
from oneplan.services.scope import require_whole_read

# Any constant works: it only has to be the same for every oneplan process on the server.
IMPORT_LOCK = 0x6F6E65706C616E


@dataclass(frozen=True)
class PackageFiles:
    """A package as read from its files, before any judgement of its values."""

    raw: RawPackage
    source: str
    format: str
    content_hash: str


def file_digest(path: Path) -> str:
    """SHA-256 over the package's files (names and bytes), independent of the folder's location."""
    digest = hashlib.sha256()
    # a link is never followed: reading refuses it, and its target is not hashed either
    if path.is_file():
        files = [path]
    else:
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.is_symlink())
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


def require_package(path: Path) -> None:
    """Refuse a package path that does not exist, naming it whole (``ValidationFailed``)."""
    if not path.exists():
        raise ValidationFailed([Problem(str(path), None, None, "no such folder or file")])


def read_limits(settings: Settings) -> ReadLimits:
    """The limits a package is read within, from the settings."""
    return ReadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_uncompressed_bytes=settings.max_xlsx_uncompressed_bytes,
    )


def read_package_files(path: Path, settings: Settings, source: str | None = None) -> PackageFiles:
    """Read a package's files (folder or .xlsx) within the size limits; no database needed.

    ``source`` is what the import's provenance names (default: the path). A path that does not
    exist is refused before anything is read."""
    require_package(path)
    raw = read_package(path, package_schema(), read_limits(settings))
    return PackageFiles(raw, source or str(path), package_format(path), file_digest(path))


def read_tables(session: Session, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Package tables as frames with the package's columns and dtypes, sorted by key."""
    schema = package_schema()
    connection = session.connection()
    frames = {}
    for table in schema.tables:
        if names is not None and table.name not in names:
            continue
        db_table = Base.metadata.tables[table.name]
        columns = [db_table.c[c.name] for c in table.columns]
        frames[table.name] = canonical_frame(pd.read_sql(sa.select(*columns), connection), table)
    return frames


def known_keys(session: Session, schema: PackageSchema) -> dict[str, set[str]]:
    """Key values the database already holds, for every table some column refers to."""
    referenced = {c.reference[0] for t in schema.tables for c in t.columns if c.reference}
    keys: dict[str, set[str]] = {}
    for table in schema.tables:
        if len(table.key) != 1 or table.name not in referenced:
            continue
        column = Base.metadata.tables[table.name].c[table.key[0]]
        keys[table.name] = set(session.execute(sa.select(column)).scalars())
    return keys


def checks_against_database(session: Session | None, actor: Actor) -> bool:
    """Whether a package is validated against the database: when there is one (``session``)
    and it holds rows that references can point at (items, locations, families...). A
    partial package, such as this month's sales alone, then names codes the database holds;
    an empty database adds nothing, so the package is checked alone."""
    if session is None:
        return False
    return any(known_keys(session, package_schema()).values())


def validate_files(
    session: Session | None, actor: Actor, files: PackageFiles
) -> tuple[dict[str, pd.DataFrame], ValidationReport]:
    """Validate a package; raise `ValidationFailed` naming every problem.

    With a session (`checks_against_database`), references may also point at rows the
    database already holds; without one the package is checked alone. The report says which.
    """
    schema = package_schema()
    keys = known_keys(session, schema) if session is not None else {}
    result = validate_raw(files.raw, schema, known_keys=keys)
    if result.problems:
        raise ValidationFailed(result.problems)
    return result.frames, ValidationReport(
        rows={name: len(f) for name, f in result.frames.items()},
        left_out=_left_out(result.warnings),
        against_database=any(keys.values()),
    )


def _left_out(notices: Iterable[Notice]) -> list[Left]:
    return [Left(file=n.file, row=n.row, column=n.column, message=n.message) for n in notices]


def referenced_by(schema: PackageSchema) -> dict[str, list[str]]:
    """For each table, the other tables whose rows refer to its rows (items: customer_orders,
    demand, inventory...)."""
    found: dict[str, set[str]] = {t.name: set() for t in schema.tables}
    for table in schema.tables:
        for column in table.columns:
            if column.reference is not None and column.reference[0] != table.name:
                found[column.reference[0]].add(table.name)
    return {name: sorted(tables) for name, tables in found.items()}


def check_replace(schema: PackageSchema, files: PackageFiles, replace: Sequence[str]) -> list[str]:
    """The tables to replace, in import order, or `ValidationFailed` naming why one cannot be:
    not a package table; a table other tables refer to (deleting its rows could orphan theirs:
    master data such as items and locations is corrected, never replaced); or a table the
    package does not hold (replacing it would empty it; a file with only its header row does,
    on purpose)."""
    problems = []
    referring = referenced_by(schema)
    for name in dict.fromkeys(replace):
        if name not in referring:
            message = f"{name!r} is not a table of the data package"
        elif referring[name]:
            message = (
                f"{name} cannot be replaced: rows of {', '.join(referring[name])} refer to its "
                "rows; import its changed and new rows without --replace (rows are never "
                "deleted from it)"
            )
        elif name not in files.raw.tables:
            message = (
                f"the package holds no {name} table: replacing it would delete every row; give "
                f"the {name} file (only its header row, to empty the table on purpose)"
            )
        else:
            continue
        problems.append(Problem(files.source, None, "replace", message))
    if problems:
        raise ValidationFailed(problems)
    wanted = set(replace)
    return [t.name for t in schema.tables if t.name in wanted]


def import_package(
    session: Session,
    actor: Actor,
    files: PackageFiles,
    *,
    lock_timeout_s: float = 30.0,
    on_table: Callable[[str, int, int], None] | None = None,
    replace: Sequence[str] = (),
) -> ImportReport:
    """Validate against the database and write the package, in the caller's write transaction.

    A second import waits for the first (at most ``lock_timeout_s`` on PostgreSQL; SQLite's
    busy timeout), then fails cleanly. `on_table(name, done, total)` is called before each
    table is written, for progress bars. Any problem: `ValidationFailed`, nothing written.

    Rows are upserted by key and never deleted, except in the tables named in ``replace``
    (snapshots such as ``inventory`` and ``customer_orders``): there the rows the package does
    not hold are deleted, in the same transaction, counted per table and in the audit event.
    The actor needs ``import_data`` over the whole company.
    `check_replace` says which tables can be replaced.
    """
    require(actor, Permission.import_data)
    schema = package_schema()
    replaced = check_replace(schema, files, replace)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One import at a time; a second waits as long as a second writer on SQLite would.
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_s * 1000)}")
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
    else:
        # Rows may reference rows later in the same table (an item's like item).
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    now = datetime.now(UTC)
    result = validate_raw(files.raw, schema, known_keys=known_keys(session, schema))
    if result.problems:
        raise ValidationFailed(result.problems)
    frames = result.frames
    entry = Import(
        source=files.source,
        format=files.format,
        content_hash=files.content_hash,
        status="done",
        started_at=now,
        finished_at=None,
        started_by=actor.name,
        row_counts=None,
    )
    session.add(entry)
    session.flush()
    stamp = Stamp(import_id=entry.id, user=actor.name, at=now)
    counts = {}
    names = [t.name for t in schema.tables if t.name in frames]  # parents first
    for done, name in enumerate(names):
        if on_table is not None:
            on_table(name, done, len(names))
        present = list(files.raw.tables[name].frame.columns)  # absent ones keep what the DB holds
        target = Base.metadata.tables[name]
        counted = upsert_frame(connection, target, frames[name], stamp, updated=present)
        deleted = delete_missing(connection, target, frames[name]) if name in replaced else 0
        counts[name] = TableCount(
            inserted=counted.inserted,
            updated=counted.updated,
            unchanged=counted.unchanged,
            deleted=deleted,
        )
    entry.finished_at = datetime.now(UTC)
    entry.row_counts = {
        name: {"inserted": c.inserted, "updated": c.updated}
        | ({"deleted": c.deleted} if name in replaced else {})
        for name, c in counts.items()
    }
    detail: dict[str, Any] = {
        "source": files.source,
        "format": files.format,
        "tables": entry.row_counts,
    }
    if replaced:
        detail["replaced"] = replaced
    record(session, actor, "import.done", "import", entry.id, detail, at=now)
    return ImportReport(
        import_id=entry.id,
        source=files.source,
        format=files.format,
        content_hash=files.content_hash,
        counts=counts,
        left_out=_left_out(result.warnings),
        replaced=replaced,
    )


def export_package(session: Session, actor: Actor, path: Path, fmt: str = "csv") -> dict[str, int]:
    """Write every package table to `path` from one consistent read; rows written per table.

    The package holds every family at every location: a grant limited to some may not take it
    (`oneplan.services.scope.require_whole_read`)."""
    require_whole_read(actor)
    schema = package_schema()
    frames = read_tables(session)
    write_package(frames, path, format=fmt, schema=schema)  # type: ignore[arg-type]
    return {name: len(frame) for name, frame in frames.items()}


def list_imports(session: Session, actor: Actor, *, limit: int = 50, offset: int = 0) -> ImportPage:
    """Past imports, newest first, with their provenance: what was read (source, format and
    the hash of its files), who imported it, when, and the rows written per table."""
    require_some(actor, Permission.read)
    total = session.scalar(sa.select(sa.func.count()).select_from(Import)) or 0
    found = session.scalars(
        sa.select(Import).order_by(Import.id.desc()).limit(limit).offset(offset)
    )
    return ImportPage(
        items=[ImportInfo.model_validate(i) for i in found], total=total, limit=limit, offset=offset
    )

"""The data package schema, derived from the SQLAlchemy models (the one source of truth).

A table belongs to the package when ``table.info["package"]`` is true; its columns are every column
except the provenance ones the database fills itself. Constraints come from the column's
nullability, primary key, foreign key and ``column.info`` (min, gt, max, lt, choices, default,
monthly, unit, example); table rules from ``table.info`` (doc, one_of, ordered).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from oneplan.db.base import PROVENANCE_COLUMNS as PROVENANCE_COLUMNS  # never in a package
from oneplan.engines.frames import LARGEST_AMOUNT

if TYPE_CHECKING:
    from sqlalchemy import MetaData

ColumnType = Literal["string", "integer", "number", "date", "boolean", "datetime"]


@dataclass(frozen=True)
class ColumnSchema:
    """One column of a package table, with everything validation and the docs need."""

    name: str
    type: ColumnType
    required: bool = False
    key: bool = False
    reference: tuple[str, str] | None = None  # (table, column) this column points at
    doc: str = ""
    min: float | None = None  # inclusive lower bound
    gt: float | None = None  # exclusive lower bound
    max: float | None = None  # inclusive upper bound
    lt: float | None = None  # exclusive upper bound
    choices: tuple[str, ...] | None = None
    default: str | int | float | bool | None = None
    monthly: bool = False
    unit: str | None = None
    example: str | None = None
    max_length: int | None = None  # most characters a text value may have (the database's limit)


@dataclass(frozen=True)
class TableSchema:
    """One package table: its columns in file order, natural key and row rules."""

    name: str
    doc: str
    columns: tuple[ColumnSchema, ...]
    key: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSchema:
        """The column called `name` (KeyError when the table has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name}")


@dataclass(frozen=True)
class PackageSchema:
    """Every package table, parents before children (the order imports must follow)."""

    tables: tuple[TableSchema, ...]

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def table(self, name: str) -> TableSchema:
        """The table called `name` (KeyError when the package has none)."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"the data package has no table {name}")

    def __contains__(self, name: object) -> bool:
        return any(t.name == name for t in self.tables)


def _column_type(column: sa.Column[Any]) -> ColumnType:
    # Order matters where SQLAlchemy types subclass each other (Text is a String, Double a Float).
    col_type = column.type
    checks: Sequence[tuple[type[Any], ColumnType]] = (
        (sa.Boolean, "boolean"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Integer, "integer"),
        (sa.Float, "number"),
        (sa.Numeric, "number"),
        (sa.String, "string"),
    )
    for sa_type, name in checks:
        if isinstance(col_type, sa_type):
            return name
    raise TypeError(
        f"column {column.table.name}.{column.name} has type {col_type!r}, "
        "which the data package cannot carry"
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


# What the database can store in an integer column: PostgreSQL's INTEGER is 32 bits.
_INTEGER_RANGE = (-(2**31), 2**31 - 1)
_BIG_INTEGER_RANGE = (-(2**63), 2**63 - 1)


def _integer_bounds(column: sa.Column[Any]) -> tuple[float | None, float | None]:
    """The tighter of the declared bounds and what the column's SQL type holds."""
    low, high = _optional_float(column.info.get("min")), _optional_float(column.info.get("max"))
    if _column_type(column) == "number":  # no real quantity, price or cost is larger
        return (
            -LARGEST_AMOUNT if low is None else max(low, -LARGEST_AMOUNT),
            LARGEST_AMOUNT if high is None else min(high, LARGEST_AMOUNT),
        )
    if _column_type(column) != "integer":
        return low, high
    span = _BIG_INTEGER_RANGE if isinstance(column.type, sa.BigInteger) else _INTEGER_RANGE
    return max(low, span[0]) if low is not None else span[0], min(
        high, span[1]
    ) if high is not None else span[1]


def _column_schema(column: sa.Column[Any]) -> ColumnSchema:
    info = column.info
    low, high = _integer_bounds(column)
    references = [(fk.column.table.name, fk.column.name) for fk in column.foreign_keys]
    choices = info.get("choices")
    if choices is None and isinstance(column.type, sa.Enum) and column.type.enums:
        choices = list(column.type.enums)
    example = info.get("example")
    return ColumnSchema(
        name=column.name,
        type=_column_type(column),
        required=not column.nullable,
        key=bool(column.primary_key),
        reference=references[0] if references else None,
        doc=column.comment or "",
        min=low,
        gt=_optional_float(info.get("gt")),
        max=high,
        lt=_optional_float(info.get("lt")),
        choices=tuple(str(c) for c in choices) if choices is not None else None,
        default=info.get("default"),
        monthly=bool(info.get("monthly", False)),
        unit=info.get("unit"),
        example=None if example is None else str(example),
        max_length=getattr(column.type, "length", None)
        if isinstance(column.type, sa.String)
        else None,
    )


def _pairs(groups: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in groups)


def table_schema(table: sa.Table) -> TableSchema:
    """The package view of one SQLAlchemy table."""
    columns = tuple(_column_schema(c) for c in table.columns if c.name not in PROVENANCE_COLUMNS)
    names = {c.name for c in columns}
    one_of = tuple(tuple(str(c) for c in group) for group in table.info.get("one_of", ()))
    ordered = _pairs(table.info.get("ordered", ()))
    for column in [c for group in one_of for c in group] + [c for p in ordered for c in p]:
        if column not in names:
            raise ValueError(f"table {table.name}: rule names unknown column {column}")
    return TableSchema(
        name=table.name,
        doc=str(table.info.get("doc") or table.comment or ""),
        columns=columns,
        key=tuple(c.name for c in columns if c.key),
        one_of=one_of,
        ordered=ordered,
    )


def package_schema(metadata: MetaData | None = None) -> PackageSchema:
    """The data package schema of `metadata` (default: oneplan's own database models).

    >>> import sqlalchemy as sa
    >>> md = sa.MetaData()
    >>> _ = sa.Table("families", md, sa.Column("code", sa.String, primary_key=True),
    ...              sa.Column("name", sa.String, nullable=False), info={"package": True})
    >>> schema = package_schema(md)
    >>> schema.table("families").key, schema.table("families").column("name").required
    (('code',), True)
    """
    if metadata is None:
        import oneplan.db.models  # noqa: F401  (registers the package tables on Base.metadata)
        from oneplan.db.base import Base  # lazy: the schema is usable without the database layer

        metadata = Base.metadata
    tables = tuple(table_schema(t) for t in metadata.sorted_tables if t.info.get("package"))
    return PackageSchema(tables=tables)

"""Declarative base, naming conventions and the provenance every package row carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PROVENANCE_COLUMNS = ("import_id", "created_at", "created_by", "updated_at", "updated_by")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Provenance:
    """Where a row came from: the import that wrote it last, and who created and changed it when."""

    @declared_attr
    def import_id(cls) -> Mapped[int | None]:
        return mapped_column(
            sa.ForeignKey("imports.id"), nullable=True, comment="The import that wrote the row last"
        )

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(100), nullable=False)


def package_table(doc: str, *constraints: Any, **info: Any) -> tuple[Any, ...]:
    """`__table_args__` for a table that belongs to the data package."""
    return (*constraints, {"info": {"package": True, "doc": doc, **info}})


def code(comment: str, **info: Any) -> Mapped[Any]:
    """A natural-key code column (item code, location code...)."""
    return mapped_column(sa.String(64), primary_key=True, comment=comment, info=info)


def ref(target: str, comment: str, *, key: bool = False, required: bool = True, **info: Any) -> Any:
    """A reference to another package table's code.

    Non-key references get an index: the database checks them from the parent's side too (on
    deletes, and on SQLite while deferred references are pending), which scans without one."""
    return mapped_column(
        sa.String(64),
        sa.ForeignKey(target),
        primary_key=key,
        index=not key,
        nullable=not (required or key),
        comment=comment,
        info=info,
    )


def text(comment: str, *, required: bool = False, length: int = 200, **info: Any) -> Any:
    return mapped_column(sa.String(length), nullable=not required, comment=comment, info=info)


def number(comment: str, *, required: bool = True, min: float | None = 0.0, **info: Any) -> Any:
    """A float column; non-negative unless `min=None` is given."""
    if min is not None:
        info = {"min": min, **info}
    return mapped_column(sa.Float, nullable=not required, comment=comment, info=info)


def integer(comment: str, *, required: bool = True, min: int | None = 0, **info: Any) -> Any:
    if min is not None:
        info = {"min": min, **info}
    return mapped_column(sa.Integer, nullable=not required, comment=comment, info=info)


def month(comment: str, *, key: bool = False, required: bool = True, **info: Any) -> Any:
    """A monthly period: the first day of the month."""
    return mapped_column(
        sa.Date,
        primary_key=key,
        nullable=not (required or key),
        comment=comment,
        info={"monthly": True, **info},
    )


def day(comment: str, *, key: bool = False, required: bool = True, **info: Any) -> Any:
    return mapped_column(
        sa.Date, primary_key=key, nullable=not (required or key), comment=comment, info=info
    )

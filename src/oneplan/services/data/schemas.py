"""What validating, importing and exporting a data package report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from oneplan.choices import PackageFormat
from oneplan.errors import Problem
from oneplan.services.moments import Moment

__all__ = [
    "ImportInfo",
    "ImportPage",
    "ImportReport",
    "Left",
    "PackageFormat",
    "TableCount",
    "ValidationReport",
]


class Left(BaseModel):
    """Something in the package that was left out rather than refused (a notes sheet), located
    like a problem: it changed nothing."""

    model_config = ConfigDict(frozen=True)

    file: str
    row: int | None = None
    column: str | None = None
    message: str

    def __str__(self) -> str:  # located in the words a refused problem uses
        return str(Problem(self.file, self.row, self.column, self.message))


class TableCount(BaseModel):
    """Rows of one table an import inserted, updated, left as they were, and (a table it
    replaced) deleted because the package no longer holds them."""

    model_config = ConfigDict(frozen=True)

    inserted: int
    updated: int
    unchanged: int = 0
    deleted: int = 0


class ImportInfo(BaseModel):
    """A past import and its provenance: every row it wrote names its id."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    source: str
    format: str
    content_hash: str
    status: str
    started_at: Moment
    finished_at: Moment | None = None
    started_by: str
    row_counts: dict[str, dict[str, int]] | None = None
    """Rows inserted and updated (and, in a replaced table, deleted) per table."""


class ImportPage(BaseModel):
    """One page of past imports, newest first, and how many there are in all."""

    model_config = ConfigDict(frozen=True)

    items: list[ImportInfo]
    total: int
    limit: int
    offset: int


class ImportReport(BaseModel):
    """One import: its number, what was read, and the rows written per table."""

    model_config = ConfigDict(frozen=True)

    import_id: int
    source: str
    format: str
    content_hash: str
    counts: dict[str, TableCount] = {}
    left_out: list[Left] = []
    replaced: list[str] = []
    """The tables replaced: rows the package does not hold were deleted."""

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts.values())

    @property
    def deleted(self) -> int:
        return sum(c.deleted for c in self.counts.values())


class ValidationReport(BaseModel):
    """A valid package: the rows of each table found, and whether its references were checked
    against the rows the database holds (else against the package alone)."""

    model_config = ConfigDict(frozen=True)

    rows: dict[str, int]
    left_out: list[Left] = []
    against_database: bool = False

    @property
    def tables(self) -> int:
        return len(self.rows)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

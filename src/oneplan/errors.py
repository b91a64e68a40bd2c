"""The package's exception tree: one place maps each kind to an HTTP status or CLI exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class OneplanError(Exception):
    """Base of every error oneplan raises on purpose; the message is meant for the user."""

    exit_code = 1
    http_status = 500


class NotFound(OneplanError):
    exit_code = 3
    http_status = 404


class Conflict(OneplanError):
    """The request clashes with the current state (another import running, an approved plan)."""

    exit_code = 4
    http_status = 409


class PermissionDenied(OneplanError):
    exit_code = 5
    http_status = 403


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    `row` counts the way a spreadsheet user sees it: the header is row 1, the first data row is 2.

    >>> str(Problem("items.csv", 7, "uom", "is empty but required"))
    'items.csv, row 7, column uom: is empty but required'
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class Notice:
    """Something in the input that was left out rather than refused: worth telling the user, but
    it changes nothing and never fails an import. Located like a `Problem`.

    >>> str(Notice("plan.xlsx, sheet Notes", None, None, "ignored: not a table"))
    'plan.xlsx, sheet Notes: ignored: not a table'
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return str(Problem(self.file, self.row, self.column, self.message))


class ValidationFailed(OneplanError):
    """The input has problems; nothing was changed. Carries every problem found."""

    exit_code = 2
    http_status = 422

    def __init__(self, problems: Sequence[Problem], limit: int = 50) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"\n  ... and {more} more" if more > 0 else ""
        count = len(self.problems)
        super().__init__(f"{count} problem(s) found; nothing was changed:\n{shown}{tail}")

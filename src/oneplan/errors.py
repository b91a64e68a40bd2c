"""The package's exception tree, and the one place that maps each kind to an exit code and an
HTTP status.

Engines, services and front ends all raise these classes; services pass them on unchanged, so
the table, row and column an engine knew reach the person who has to fix the input.

    OneplanError                 anything oneplan raises on purpose; the message is for people
    ├── NotFound                 the thing asked for does not exist
    ├── Conflict                 the request clashes with the current state
    │   └── Stale                an edit made on a state that has changed since it was read
    ├── PermissionDenied         the actor may not do this
    │   └── NotAuthenticated     nobody (known) is asking: no session, a wrong password
    ├── TooManyAttempts          too many failed log-ins: wait before trying again
    ├── VersionRequired          a change that must name the version it was made on did not
    └── ValidationFailed         the input has problems; nothing changed (carries every Problem)
        └── InputError           one problem in a frame or argument handed to an engine
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class OneplanError(Exception):
    """Base of every error oneplan raises on purpose; the message is meant for the user."""


class NotFound(OneplanError):
    """The plan version, scenario, file... asked for does not exist."""


class Conflict(OneplanError):
    """The request clashes with the current state (another import running, an approved plan)."""


class Stale(Conflict):
    """An edit names the version of the thing it was made on, and the thing has changed since:
    nothing was changed. Carries the current state (``current``) for the person to look at.

    >>> error = Stale("plan version 4 is at version 3, not 2", current={"state": "approved"})
    >>> error.current
    {'state': 'approved'}
    """

    def __init__(self, message: str, *, current: object = None) -> None:
        super().__init__(message)
        self.current = current


class PermissionDenied(OneplanError):
    """The actor's roles or scope do not allow this."""


class NotAuthenticated(PermissionDenied):
    """Nobody known is asking: no session or token, an ended one, or a wrong password."""


class VersionRequired(OneplanError):
    """A change that must name the version of the thing it was made on (HTTP If-Match) did
    not: nothing was changed."""


class TooManyAttempts(OneplanError):
    """Too many failed log-ins for an account or from an address; ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    `file` names what was read: a file, a sheet, a table or a frame handed to an engine.
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

    def __init__(self, problems: Sequence[Problem], limit: int = 50) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"\n  ... and {more} more" if more > 0 else ""
        count = len(self.problems)
        super().__init__(f"{count} problem(s) found; nothing was changed:\n{shown}{tail}")


class TooLarge(ValidationFailed):
    """An upload larger than the server accepts: refused before it is read; nothing changed."""


class InputError(ValidationFailed, ValueError):
    """A frame or argument an engine cannot use: one problem, located by table, row and column.

    Also a ``ValueError``, as a bad argument is in plain Python.

    >>> error = InputError("is missing", table="demand", column="quantity")
    >>> str(error), error.problems[0].column
    ('demand, column quantity: is missing', 'quantity')
    """

    def __init__(
        self,
        message: str,
        *,
        table: str = "input",
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__([Problem(table, row, column, message)])
        self.table, self.column, self.row = table, column, row

    def __str__(self) -> str:
        return str(self.problems[0])


#: Exit code of the command line per kind (the most specific class wins); 1 for anything else.
EXIT_CODES: dict[type[OneplanError], int] = {
    ValidationFailed: 2,
    NotFound: 3,
    Conflict: 4,
    PermissionDenied: 5,
    TooManyAttempts: 5,
    VersionRequired: 2,
}
#: HTTP status per kind; 500 for anything else.
HTTP_STATUSES: dict[type[OneplanError], int] = {
    ValidationFailed: 422,
    TooLarge: 413,
    NotFound: 404,
    Conflict: 409,
    Stale: 412,
    PermissionDenied: 403,
    NotAuthenticated: 401,
    TooManyAttempts: 429,
    VersionRequired: 428,
}


def _lookup(error: BaseException, table: dict[type[OneplanError], int], default: int) -> int:
    for kind in type(error).__mro__:
        if kind in table:
            return table[kind]
    return default


def exit_code(error: BaseException) -> int:
    """The command line's exit code for ``error``.

    >>> exit_code(InputError("bad")), exit_code(NotFound("x")), exit_code(RuntimeError())
    (2, 3, 1)
    """
    return _lookup(error, EXIT_CODES, 1)


def http_status(error: BaseException) -> int:
    """The HTTP status for ``error``.

    >>> http_status(Conflict("taken")), http_status(Stale("moved")), http_status(ValueError())
    (409, 412, 500)
    """
    return _lookup(error, HTTP_STATUSES, 500)

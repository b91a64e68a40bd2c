"""What every command shares: consoles, error rendering and the database engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console

from oneplan.config import get_settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine
from oneplan.errors import Conflict, OneplanError, ValidationFailed, exit_code

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Show oneplan's own errors as a message and an exit code, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as failed:
            # Every problem, not the shortened message: the user fixes them all in one go.
            count = len(failed.problems)
            errors.print(f"[bold red]error:[/] {count} problem(s) found; nothing was changed:")
            for problem in failed.problems:
                errors.print(f"  - {problem}", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(exit_code(failed)) from None
        except OneplanError as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(exit_code(error)) from None

    return wrapper


def engine(*, create: bool = True) -> sa.Engine:
    """The configured database, created on first use; an outdated schema is refused, not patched."""
    db = create_db_engine(get_settings().database_url)
    current = migrate.current_revision(db)
    if current is None and create:
        migrate.upgrade(db)
    elif current != migrate.head_revision():
        raise Conflict(
            f"the database schema is at revision {current}, this oneplan needs "
            f"{migrate.head_revision()}: run `oneplan db upgrade` first"
        )
    return db

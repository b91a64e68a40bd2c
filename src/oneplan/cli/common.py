"""What every command shares: the consoles, error rendering, the database and the actor.

Commands import their services inside the command function, so ``oneplan --help`` and the
light commands start without loading the planning engines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from oneplan.errors import Conflict, OneplanError, ValidationFailed, exit_code

if TYPE_CHECKING:
    import sqlalchemy as sa
    from rich.status import Status

    from oneplan.config import Settings
    from oneplan.services.actor import Actor

# User text (names, reasons, codes) is never read as markup or emoji codes: what people typed
# is printed as typed. Styles come only from the commands' own `say` labels.
console = Console(emoji=False, highlight=False)
errors = Console(stderr=True, emoji=False, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")

STYLES = {"ok": "green", "note": "yellow", "error": "bold red", "title": "bold"}


def say(text: str, label: str = "", style: str = "ok", *, to: Console = console) -> None:
    """Print ``label`` in a style, then ``text`` exactly as it is (no markup)."""
    line = Text()
    if label:
        line.append(label, style=STYLES.get(style, style))
        line.append(" ")
    line.append(text)
    to.print(line, soft_wrap=True)


def busy(message: str) -> Status:
    """A spinner while a long step runs; ``message`` is shown as typed (a name or a path with
    brackets in it is never read as markup)."""
    return console.status(Text(message))


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Show oneplan's own errors as a message and an exit code, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as failed:
            # Every problem, not the shortened message: the user fixes them all in one go.
            count = len(failed.problems)
            say(f"{count} problem(s) found; nothing was changed:", "error:", "error", to=errors)
            for problem in failed.problems:
                say(f"  - {problem}", to=errors)
            raise typer.Exit(exit_code(failed)) from None
        except OneplanError as error:
            say(str(error), "error:", "error", to=errors)
            raise typer.Exit(exit_code(error)) from None

    return wrapper


def settings() -> Settings:
    from oneplan.config import get_settings

    return get_settings()


def local_user() -> str:
    """The local user's name: ``ONEPLAN_USER`` (default: the login name). The only place
    oneplan reads the user from its settings."""
    return settings().user


def local_actor() -> Actor:
    """The command line's actor: the local user (`local_user`). While the database has no
    users, whoever can open it acts as an administrator; once it has, the local user must be
    an active one and acts with its grants (docs/security.md, "The command line")."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.actor import Actor
    from oneplan.services.users.actors import local_actor as actor_for

    db = existing_database()
    if db is None:
        return Actor.administrator(local_user())
    try:
        with unit_of_work(db, write=False) as session:
            return actor_for(session, local_user())
    finally:
        db.dispose()


def existing_database() -> sa.Engine | None:
    """The configured database if it exists with oneplan's schema, else None (also when its
    server cannot be reached); never creates one (a SQLite file that is not there stays not
    there)."""
    import sqlalchemy as sa

    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine

    url = settings().database_url
    if url.startswith("sqlite"):
        file = sa.engine.make_url(url).database
        if not file or file == ":memory:" or not Path(file).exists():
            return None
    db = create_db_engine(url)
    try:
        current = migrate.current_revision(db)
    except sa.exc.OperationalError:
        return None
    if current is None:
        return None
    if current != migrate.head_revision():
        raise Conflict(
            f"the database schema is at revision {current}, this oneplan needs "
            f"{migrate.head_revision()}: run `oneplan db upgrade` first"
        )
    return db


def database(*, create: bool = True) -> sa.Engine:
    """The configured database, created on first use; an outdated schema is refused, not patched."""
    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine

    db = create_db_engine(settings().database_url)
    current = migrate.current_revision(db)
    if current is None and create:
        migrate.upgrade(db)
    elif current != migrate.head_revision():
        raise Conflict(
            f"the database schema is at revision {current}, this oneplan needs "
            f"{migrate.head_revision()}: run `oneplan db upgrade` first"
        )
    return db

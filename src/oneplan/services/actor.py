"""Who is acting: every service takes an `Actor` explicitly, never a name from the environment.

The command line makes one for the local user (whoever can open the database file is trusted,
see docs/architecture.md); the server will make one from the logged-in user, with the roles and
the scope of their grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from oneplan.errors import Problem, ValidationFailed

#: The longest name the audit trail and every ``created_by`` column hold.
NAME_LENGTH = 100


@dataclass(frozen=True)
class Actor:
    """A person (or a process acting for one) doing something in oneplan.

    >>> Actor("maria").name
    'maria'
    >>> Actor("")
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - user, column name: is empty
    """

    name: str
    roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        name = self.name
        problem = None
        if not name.strip():
            problem = "is empty"
        elif len(name) > NAME_LENGTH:
            problem = f"has {len(name)} characters; at most {NAME_LENGTH} are kept"
        elif any(not c.isprintable() for c in name):
            problem = "holds control characters"
        if problem is not None:
            raise ValidationFailed([Problem("user", None, "name", problem)])

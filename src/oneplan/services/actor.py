"""Who is acting: every service takes an `Actor` explicitly, never a name from the environment.

An actor carries the grants of the person (roles, each over some families and/or locations):
the services check them (`oneplan.services.permissions.require`). The command line makes the
local user's actor (`oneplan.services.users.actors.local_actor`, see docs/security.md); the
server will make one from the logged-in user.
"""

from __future__ import annotations

from dataclasses import dataclass

from oneplan.errors import Problem, ValidationFailed
from oneplan.services.permissions import Grant, Role

#: The longest name the audit trail and every ``created_by`` column hold.
NAME_LENGTH = 100


@dataclass(frozen=True)
class Actor:
    """A person (or a process acting for one) doing something in oneplan.

    >>> Actor("maria").name
    'maria'
    >>> Actor.administrator("maria").roles
    frozenset({<Role.admin: 'admin'>})
    >>> Actor("")
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - user, column name: is empty
    """

    name: str
    grants: frozenset[Grant] = frozenset()

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

    @classmethod
    def administrator(cls, name: str) -> Actor:
        """An actor who may do everything everywhere: the local user of a database that has
        no users yet (docs/security.md)."""
        return cls(name, frozenset({Grant(Role.admin)}))

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)

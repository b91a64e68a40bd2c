"""Who the local user acts as: the actor of a user of the database, or an administrator while
the database has none. Light on purpose: every command makes its actor here, and ``oneplan
plan list`` should not wait for pandas."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.users import User
from oneplan.errors import PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role


def has_users(session: Session) -> bool:
    """Whether the database has any user yet (none: a one-person database, see local_actor)."""
    return session.scalar(sa.select(User.id).limit(1)) is not None


def actor_of(user: User) -> Actor:
    """The actor a user acts as: their name and their grants."""
    grants = frozenset(
        Grant(Role(g.role), frozenset(g.families), frozenset(g.locations)) for g in user.grants
    )
    return Actor(user.name, grants)


def local_actor(session: Session, name: str) -> Actor:
    """The command line's actor for the local user ``name``.

    While the database has no users, whoever can open it acts as an administrator under that
    name, as a one-person tool does. Once it has users, ``name`` must be one of them and
    active, and acts with its own grants (docs/security.md).
    """
    if not has_users(session):
        return Actor.administrator(name)
    user = session.scalars(sa.select(User).where(User.name == name)).first()
    if user is None:
        raise PermissionDenied(
            f"{name!r} is not a user of this database: the local user (ONEPLAN_USER) must be "
            "one of its users; an administrator adds people with `oneplan user create`"
        )
    if not user.active:
        raise PermissionDenied(f"user {name!r} is disabled")
    return actor_of(user)

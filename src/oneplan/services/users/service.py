"""Users: create, list, disable, set a password, grant and revoke roles; the local user's actor.

Every function takes the session and the acting person, checks ``manage_users`` (a person may
change their own password and manage their own tokens), writes an audit event and only flushes.
Two rules keep a database from locking its people out: the first user is an administrator over
everything, and the last such administrator cannot be disabled or lose that grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.users import LoginSession, User, UserGrant
from oneplan.engines.frames import did_you_mean
from oneplan.errors import Conflict, NotFound, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Grant, Permission, Role, require, require_some
from oneplan.services.users.actors import has_users
from oneplan.services.users.credentials import check_password, hash_password
from oneplan.services.users.schemas import GrantInfo, UserInfo
from oneplan.services.versioning import check_version

SUBJECT = "user"


def get_user(session: Session, name: str, *, lock: bool = False) -> User:
    query = sa.select(User).where(User.name == name)
    if lock:
        query = query.with_for_update()
    user = session.scalars(query).first()
    if user is None:
        known = set(session.scalars(sa.select(User.name)))
        raise NotFound(f"there is no user {name!r}{did_you_mean(name, known)}")
    return user


def user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        name=user.name,
        full_name=user.full_name,
        active=user.active,
        has_password=user.password_hash is not None,
        grants=[GrantInfo.model_validate(g) for g in user.grants],
        created_at=user.created_at,
        created_by=user.created_by,
        version=user.version,
    )


def show_user(session: Session, actor: Actor, name: str) -> UserInfo:
    """One user, with their grants and version."""
    require_some(actor, Permission.read)
    return user_info(get_user(session, name))


def own_user(session: Session, actor: Actor) -> UserInfo:
    """The acting person as a user, grants included: anyone may see themselves."""
    return user_info(get_user(session, actor.name))


def list_users(session: Session, actor: Actor) -> list[UserInfo]:
    """Every user, by name."""
    require_some(actor, Permission.read)
    return [user_info(u) for u in session.scalars(sa.select(User).order_by(User.name))]


def create_user(
    session: Session,
    actor: Actor,
    name: str,
    *,
    password: str | None = None,
    full_name: str = "",
    grants: Iterable[Grant] = (),
) -> UserInfo:
    """A new, active user with a password (None: no password log-in, tokens only) and grants.

    The database's first user must hold an unscoped ``admin`` grant: from then on only users
    act on it, and one of them must be able to add the others."""
    require(actor, Permission.manage_users)
    Actor(name)  # the same rules as every name the audit trail records
    grants = list(grants)
    first = not has_users(session)
    if first and not any(g == Grant(Role.admin) for g in grants):
        raise Conflict(
            "the first user must be an administrator over everything (role admin, no families "
            "or locations): once a database has users, only they can act on it"
        )
    if session.scalars(sa.select(User.id).where(User.name == name)).first() is not None:
        raise Conflict(f"a user named {name!r} exists already")
    if password is not None:
        check_password(password, name)
    _check_scopes(session, grants)
    now = datetime.now(UTC)
    user = User(
        name=name,
        full_name=full_name,
        password_hash=hash_password(password) if password is not None else None,
        active=True,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
        updated_by=actor.name,
        password_changed_at=now if password is not None else None,
        grants=[_grant_row(g, actor, now) for g in _unique(grants)],
    )
    session.add(user)
    session.flush()
    detail = {"grants": [str(g) for g in _unique(grants)], "password": password is not None}
    record(session, actor, "user.create", SUBJECT, user.name, detail, at=now)
    return user_info(user)


def disable_user(session: Session, actor: Actor, name: str) -> UserInfo:
    """Disable a user: they can no longer act, locally or through a token; kept as a record."""
    require(actor, Permission.manage_users)
    user = get_user(session, name, lock=True)
    if not user.active:
        raise Conflict(f"user {name!r} is disabled already")
    _keep_an_administrator(session, user, without=list(user.grants))
    user.active = False
    now = _touch(user, actor)
    end_sessions(session, user.id, at=now)
    session.flush()
    record(session, actor, "user.disable", SUBJECT, user.name, {"from": "active", "to": "disabled"})
    return user_info(user)


def set_password(session: Session, actor: Actor, name: str, password: str) -> UserInfo:
    """Set a user's password: one's own, or anyone's with ``manage_users``. Every log-in
    session of the user ends: whoever knew the old password is out."""
    if actor.name != name:
        require(actor, Permission.manage_users)
    user = get_user(session, name, lock=True)
    check_password(password, name)
    user.password_hash = hash_password(password)
    now = _touch(user, actor)
    user.password_changed_at = now
    end_sessions(session, user.id, at=now)
    session.flush()
    record(session, actor, "user.password", SUBJECT, user.name, {"changed": True}, at=now)
    return user_info(user)


def _check_version(user: User, expected: int | None) -> None:
    check_version(f"user {user.name!r}", user.version, expected, lambda: user_info(user))


def grant(
    session: Session, actor: Actor, name: str, given: Grant, *, expected: int | None = None
) -> UserInfo:
    """Give a user a role over some families and/or locations; giving one they hold is refused.
    ``expected``: the user's version the person read (`oneplan.services.versioning`)."""
    require(actor, Permission.manage_users)
    user = get_user(session, name, lock=True)
    _check_version(user, expected)
    if any(_same(row, given) for row in user.grants):
        raise Conflict(f"user {name!r} holds {given} already")
    _check_scopes(session, [given])
    now = _touch(user, actor)
    user.grants.append(_grant_row(given, actor, now))
    session.flush()
    record(session, actor, "user.grant", SUBJECT, user.name, {"grant": str(given)}, at=now)
    return user_info(user)


def revoke(
    session: Session,
    actor: Actor,
    name: str,
    role: Role,
    *,
    families: Iterable[str] | None = None,
    locations: Iterable[str] | None = None,
    expected: int | None = None,
) -> UserInfo:
    """Take a role from a user: every grant of it, or (with ``families`` or ``locations``)
    the one grant of exactly that scope."""
    require(actor, Permission.manage_users)
    user = get_user(session, name, lock=True)
    _check_version(user, expected)
    exact = families is not None or locations is not None
    wanted = Grant(role, frozenset(families or ()), frozenset(locations or ()))
    taken = [g for g in user.grants if (_same(g, wanted) if exact else g.role == role)]
    if not taken:
        raise NotFound(f"user {name!r} holds no grant {wanted if exact else role.value}")
    _keep_an_administrator(session, user, without=taken)
    for row in taken:
        user.grants.remove(row)
    now = _touch(user, actor)
    session.flush()
    detail = {"grants": [str(_grant_of(g)) for g in taken]}
    record(session, actor, "user.revoke", SUBJECT, user.name, detail, at=now)
    return user_info(user)


def end_sessions(session: Session, user_id: int, *, at: datetime, keep: int | None = None) -> int:
    """End the user's open log-in sessions (but ``keep``, the id of one to keep); how many."""
    query = sa.update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    ended = session.execute(query.values(ended_at=at))
    return int(getattr(ended, "rowcount", 0) or 0)


def _touch(user: User, actor: Actor) -> datetime:
    now = datetime.now(UTC)
    user.updated_at, user.updated_by = now, actor.name
    return now


def _grant_of(row: UserGrant) -> Grant:
    return Grant(Role(row.role), frozenset(row.families), frozenset(row.locations))


def _same(row: UserGrant, grant: Grant) -> bool:
    return _grant_of(row) == grant


def _unique(grants: Iterable[Grant]) -> list[Grant]:
    return list(dict.fromkeys(grants))


def _grant_row(grant: Grant, actor: Actor, at: datetime) -> UserGrant:
    return UserGrant(
        role=grant.role.value,
        families=sorted(grant.families),
        locations=sorted(grant.locations),
        created_at=at,
        created_by=actor.name,
    )


def _check_scopes(session: Session, grants: Iterable[Grant]) -> None:
    """Refuse a grant over a family or location the master data does not hold."""
    grants = list(grants)
    if not any(g.families or g.locations for g in grants):
        return
    tables = read_tables(session, ["families", "locations"])
    problems = []
    for column, table in (("families", "families"), ("locations", "locations")):
        known = set(tables[table]["code"])
        for grant in grants:
            for code in sorted(getattr(grant, column)):
                if code not in known:
                    message = f"{code!r} is not in {table}{did_you_mean(code, known)}"
                    problems.append(Problem("grant", None, column, message))
    if problems:
        raise ValidationFailed(problems)


def _keep_an_administrator(session: Session, user: User, without: list[UserGrant]) -> None:
    """Refuse a change that leaves no active user holding an unscoped admin grant."""
    if not user.active or not any(_same(g, Grant(Role.admin)) for g in without):
        return
    others = session.scalars(
        sa.select(UserGrant).join(User).where(User.active, User.id != user.id)
    ).all()
    if not any(_same(g, Grant(Role.admin)) for g in others):
        raise Conflict(
            f"{user.name!r} is the last active administrator over everything: grant admin to "
            "someone else first"
        )

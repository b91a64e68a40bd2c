"""Personal API tokens: made for a user, shown once, kept as a hash, expiring, revocable; and
how a person proves who they are (a password or a token) to get their actor.

The server will call `authenticate_password` at log-in and `authenticate_token` on a request
that carries a token; both refuse in the same words whatever was wrong, so that a refusal does
not tell which names exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.users import ApiToken, User
from oneplan.errors import Conflict, NotFound, PermissionDenied, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.permissions import Permission, require
from oneplan.services.users.actors import actor_of
from oneplan.services.users.credentials import SHOWN, new_token, token_digest, verify_password
from oneplan.services.users.schemas import NewToken, TokenInfo
from oneplan.services.users.service import get_user

SUBJECT = "api_token"
#: How long a token lives unless told otherwise, and the longest it may.
DEFAULT_DAYS, LONGEST_DAYS = 90, 366
#: How stale a token's "last used" may get before a request writes it again.
USED_EVERY = timedelta(minutes=1)
REFUSED = "wrong user name, password or token, or the user is disabled"


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at  # SQLite keeps no zone


def _own_or_manager(actor: Actor, name: str) -> None:
    if actor.name != name:
        require(actor, Permission.manage_users)


def create_token(
    session: Session, actor: Actor, name: str, label: str, *, days: int = DEFAULT_DAYS
) -> NewToken:
    """A new token for user ``name`` (one's own, or anyone's with ``manage_users``), valid for
    ``days`` days; the token itself is in the result only, never stored."""
    _own_or_manager(actor, name)
    problems = []
    if not label.strip() or len(label) > 100:
        problems.append(Problem("token", None, "label", "must be 1 to 100 characters"))
    if not 1 <= days <= LONGEST_DAYS:
        problems.append(Problem("token", None, "days", f"{days} is not 1 to {LONGEST_DAYS}"))
    if problems:
        raise ValidationFailed(problems)
    user = get_user(session, name)
    if not user.active:
        raise Conflict(f"user {name!r} is disabled")
    token, now = new_token(), datetime.now(UTC)
    row = ApiToken(
        user_id=user.id,
        label=label.strip(),
        token_hash=token_digest(token),
        prefix=token[:SHOWN],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    detail = {"user": name, "label": row.label, "prefix": row.prefix, "days": days}
    record(session, actor, "token.create", SUBJECT, row.id, detail, at=now)
    return NewToken(token=token, info=TokenInfo.model_validate(row))


def list_tokens(session: Session, actor: Actor, name: str) -> list[TokenInfo]:
    """A user's tokens, newest first, revoked and expired ones included."""
    _own_or_manager(actor, name)
    user = get_user(session, name)
    rows = session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )
    return [TokenInfo.model_validate(r) for r in rows]


def revoke_token(session: Session, actor: Actor, name: str, token_id: int) -> TokenInfo:
    """Revoke one of a user's tokens at once; it is kept as a record."""
    _own_or_manager(actor, name)
    user = get_user(session, name)
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None or row.user_id != user.id:
        raise NotFound(f"user {name!r} has no token {token_id}")
    if row.revoked_at is not None:
        raise Conflict(f"token {token_id} is revoked already")
    row.revoked_at = datetime.now(UTC)
    session.flush()
    record(session, actor, "token.revoke", SUBJECT, row.id, {"user": name, "label": row.label})
    return TokenInfo.model_validate(row)


def authenticate_password(session: Session, name: str, password: str) -> Actor:
    """The actor of the active user ``name`` whose password this is; `PermissionDenied`
    otherwise. A hash made with older parameters is replaced (flushed)."""
    user = session.scalars(sa.select(User).where(User.name == name)).first()
    ok, newer = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.active:
        raise PermissionDenied(REFUSED)
    if newer is not None:
        user.password_hash = newer
        session.flush()
    return actor_of(user)


def authenticate_token(session: Session, token: str) -> Actor:
    """The actor of the token's user when the token is known, not revoked, not expired and its
    user active; `PermissionDenied` otherwise. Its last use is stamped (flushed) when the stamp
    is a minute old or more."""
    actor, due = check_token(session, token)
    if due is not None:
        stamp_token_use(session, due)
    return actor


def check_token(session: Session, token: str) -> tuple[Actor, int | None]:
    """`authenticate_token` without writing: the actor, and the token's id when its last use is
    due to be stamped (`stamp_token_use`), so that a read can run in a read-only transaction."""
    row, user = _valid_token(session, token)
    return actor_of(user), row.id if _use_due(row, datetime.now(UTC)) else None


def stamp_token_use(session: Session, token_id: int) -> None:
    """Write that the token was used now (flushed)."""
    row = session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = datetime.now(UTC)
        session.flush()


def _valid_token(session: Session, token: str) -> tuple[ApiToken, User]:
    row = session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).first()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now:
        raise PermissionDenied(REFUSED)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise PermissionDenied(REFUSED)
    return row, user


def _use_due(row: ApiToken, now: datetime) -> bool:
    # "Last used" is for people deciding which tokens to revoke: to the minute is enough, and
    # a write on every request would make every read a writer.
    return row.last_used_at is None or now - _aware(row.last_used_at) >= USED_EVERY

"""Log-in sessions of the server, and the throttle on failed log-ins.

A log-in with a name and password starts a session: a random id (256 bits) that the browser
keeps in a cookie, stored here only as its SHA-256, with a CSRF token (also random, also kept
as a hash) that every change made with the cookie must carry in a header. A session ends at
log-out, after its lifetime or an idle spell, when the user's password changes and when the
user is disabled. Each log-in makes a new id: an id planted before the log-in is worth nothing.

Failed log-ins are stored (one row per account and per address), so the limit holds across
the server's workers: past ``failures_per_account`` failures for a name, or
``failures_per_address`` from one address, within ``window_minutes``, log-ins are refused
(`TooManyAttempts`) until the oldest failure leaves the window.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.users import LoginFailure, LoginSession, User
from oneplan.errors import NotAuthenticated, PermissionDenied, TooManyAttempts
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.users.actors import actor_of
from oneplan.services.users.credentials import token_digest
from oneplan.services.users.tokens import REFUSED, authenticate_password

SUBJECT = "user"
#: How often a session's last use is written: not on every request.
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginPolicy:
    """How long sessions live and how many failed log-ins are let through."""

    hours: float = 12
    idle_minutes: float = 120
    failures_per_account: int = 5
    failures_per_address: int = 50
    window_minutes: float = 15


@dataclass(frozen=True)
class Started:
    """A session just started: the id and CSRF token are here only, never stored."""

    session_id: str
    csrf_token: str
    expires_at: datetime
    actor: Actor
    row_id: int


@dataclass(frozen=True)
class Resolved:
    """The session a request's cookie names: who it is, and the hash its CSRF token must match."""

    actor: Actor
    row_id: int
    user_id: int
    csrf_hash: str
    #: Whether its last use is due to be written (`mark_seen`) and was not.
    seen_due: bool = False


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at  # SQLite keeps no zone


def _keys(name: str, address: str) -> tuple[str, str]:
    return f"account:{name}"[:200], f"address:{address}"[:200]


def check_throttle(
    session: Session, name: str, address: str, policy: LoginPolicy, now: datetime
) -> None:
    """Refuse (`TooManyAttempts`, with the seconds to wait) a log-in for an account or from an
    address that failed too often within the window."""
    since = now - timedelta(minutes=policy.window_minutes)
    account, client = _keys(name, address)
    for key, limit, what in (
        (account, policy.failures_per_account, "for this account"),
        (client, policy.failures_per_address, "from this address"),
    ):
        found = session.execute(
            sa.select(sa.func.count(), sa.func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > since
            )
        ).one()
        count, oldest = int(found[0]), found[1]
        if count >= limit and oldest is not None:
            wait = _aware(oldest) + timedelta(minutes=policy.window_minutes) - now
            seconds = max(1, int(wait.total_seconds()) + 1)
            raise TooManyAttempts(
                f"too many failed log-ins {what}: try again in {seconds} seconds",
                retry_after=seconds,
            )


def record_failure(
    session: Session, name: str, address: str, policy: LoginPolicy, now: datetime | None = None
) -> None:
    """Count a failed log-in against the account and the address; forget failures that left
    the window."""
    now = now or datetime.now(UTC)
    since = now - timedelta(minutes=policy.window_minutes)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.at <= since))
    session.add_all(LoginFailure(key=key, at=now) for key in _keys(name, address))
    session.flush()


def log_in(
    session: Session, name: str, password: str, address: str, policy: LoginPolicy
) -> Started:
    """Start a session for the active user ``name`` whose password this is.

    `TooManyAttempts` when the account or address failed too often; `NotAuthenticated`, in the
    same words whatever was wrong, otherwise. The caller records the failure (`record_failure`)
    in a transaction of its own: this one rolls back."""
    now = datetime.now(UTC)
    check_throttle(session, name, address, policy, now)
    try:
        actor = authenticate_password(session, name, password)
    except PermissionDenied as refused:
        raise NotAuthenticated(REFUSED) from refused
    user = session.scalars(sa.select(User).where(User.name == name)).one()
    account, _ = _keys(name, address)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.key == account))
    started = start_session(session, user, address, policy, now)
    record(session, actor, "session.start", SUBJECT, name, {"client": address}, at=now)
    return started


def start_session(
    session: Session, user: User, address: str, policy: LoginPolicy, now: datetime
) -> Started:
    """A new session for ``user`` (who has proven who they are), with fresh random ids."""
    session_id, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        session_hash=token_digest(session_id),
        csrf_hash=token_digest(csrf_token),
        client=address[:100],
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=policy.hours),
    )
    session.add(row)
    session.flush()
    return Started(session_id, csrf_token, row.expires_at, actor_of(user), row.id)


def resolve_session(
    session: Session, session_id: str, policy: LoginPolicy, *, stamp: bool = True
) -> Resolved:
    """The session the id names, when it is open, within its lifetime and not idle too long,
    and its user active; `NotAuthenticated` otherwise. Its last use is written now and then;
    ``stamp=False`` leaves that to the caller (`Resolved.seen_due`, `mark_seen`), so a read can
    run in a read-only transaction."""
    row = session.scalars(
        sa.select(LoginSession).where(LoginSession.session_hash == token_digest(session_id))
    ).first()
    now = datetime.now(UTC)
    idle = timedelta(minutes=policy.idle_minutes)
    if (
        row is None
        or row.ended_at is not None
        or _aware(row.expires_at) <= now
        or _aware(row.last_seen_at) + idle <= now
    ):
        raise NotAuthenticated("not logged in, or the session has ended: log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("not logged in, or the session has ended: log in again")
    due = now - _aware(row.last_seen_at) >= SEEN_EVERY
    if due and stamp:
        mark_seen(session, row.id)
    return Resolved(actor_of(user), row.id, user.id, row.csrf_hash, seen_due=due and not stamp)


def mark_seen(session: Session, row_id: int) -> None:
    """Write that the session was used now (flushed): the idle time counts from here."""
    row = session.get(LoginSession, row_id)
    if row is not None:
        row.last_seen_at = datetime.now(UTC)
        session.flush()


def csrf_matches(resolved: Resolved, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (compared in constant time)."""
    return token is not None and hmac.compare_digest(token_digest(token), resolved.csrf_hash)


def log_out(session: Session, resolved: Resolved) -> None:
    """End the session the request came with."""
    row = session.get(LoginSession, resolved.row_id)
    now = datetime.now(UTC)
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.flush()
        record(session, resolved.actor, "session.end", SUBJECT, resolved.actor.name, {}, at=now)

"""Who is visiting a page, and how a page calls a service on their behalf.

A page reads the log-in session cookie when it is built. Every action later (a click, a typed
number) resolves that session again in its own transaction, so a log-out, a disabled user or an
expired session stops the page's next action, not only its next load. Services run in a worker
thread: a slow read never freezes the other people's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from nicegui import run
from sqlalchemy.orm import Session
from starlette.requests import Request

from oneplan.api.deps import SESSION_COOKIE, policy_of
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import NotAuthenticated
from oneplan.services.actor import Actor
from oneplan.services.permissions import ROLE_PERMISSIONS, Permission

T = TypeVar("T")


@dataclass
class Site:
    """What every page needs: the database and the settings (one per server process)."""

    engine: sa.Engine
    settings: Settings


_site: Site | None = None


def configure(engine: sa.Engine, settings: Settings) -> None:
    """Point the pages at ``engine`` (the server does this once, at start)."""
    global _site
    _site = Site(engine, settings)


def site() -> Site:
    if _site is None:
        raise RuntimeError("the web pages are not configured: call oneplan.web.visitor.configure")
    return _site


@dataclass(frozen=True)
class Visitor:
    """A logged-in person on a page: their actor as of the page's load, and their session."""

    actor: Actor
    session_id: str

    @property
    def name(self) -> str:
        return self.actor.name

    def may(self, permission: Permission) -> bool:
        """Whether any of the visitor's grants gives ``permission`` (somewhere in its scope):
        what the navigation shows. The services still decide each action."""
        return any(permission in ROLE_PERMISSIONS[grant.role] for grant in self.actor.grants)

    def _resolve(self, session: Session) -> Actor:
        from oneplan.services.users.sessions import resolve_session

        return resolve_session(session, self.session_id, policy_of(site().settings)).actor

    def call_now(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``service(session, actor, *args, **kwargs)`` in one transaction, in this thread."""
        with unit_of_work(site().engine) as session:
            return service(session, self._resolve(session), *args, **kwargs)

    async def call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`call_now` in a worker thread, so the page stays responsive."""
        result: T = await run.io_bound(self.call_now, service, *args, **kwargs)  # type: ignore[assignment]
        return result


def visitor_of(request: Request) -> Visitor | None:
    """The logged-in visitor of ``request``, or None (no cookie, or a session that ended)."""
    from oneplan.services.users.sessions import resolve_session

    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    try:
        with unit_of_work(site().engine) as session:
            actor = resolve_session(session, session_id, policy_of(site().settings)).actor
    except NotAuthenticated:
        return None
    return Visitor(actor, session_id)

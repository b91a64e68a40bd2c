"""What routes ask for: the request's transaction (`SessionDep`) and who is asking
(`CurrentActor`), typed so that a route says what it needs in its signature.

A request is one transaction: it commits when the route returns and rolls back when it raises,
before the answer is sent, so a 200 means the change is stored. A person is known by an API
token (``Authorization: Bearer op_...``, for scripts) or by the session cookie a log-in set;
a change made with the cookie must also carry the session's CSRF token in ``X-CSRF-Token``,
which another site cannot read, so it cannot make a logged-in browser change anything. Such a
change whose ``Origin`` header names another site is refused as well (a second lock: a browser
always says where a page's request comes from, and no page of another site is ours).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import NotAuthenticated, PermissionDenied, VersionRequired
from oneplan.services.actor import Actor
from oneplan.services.users.sessions import LoginPolicy, Resolved

SESSION_COOKIE = "oneplan_session"
CSRF_COOKIE = "oneplan_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The session a log-in (POST /auth/login) started; changes also need the "
    "X-CSRF-Token header.",
)
bearer_token = HTTPBearer(auto_error=False, description="A personal API token, op_...")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def engine_of(request: Request) -> sa.Engine:
    engine: sa.Engine = request.app.state.engine
    return engine


def policy_of(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        hours=settings.session_hours,
        idle_minutes=settings.session_idle_minutes,
        failures_per_account=settings.login_failures_per_account,
        failures_per_address=settings.login_failures_per_address,
        window_minutes=settings.login_window_minutes,
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def request_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed when the route returns, rolled back on an error.
    A read (GET, HEAD, OPTIONS) gets a read-only snapshot: on SQLite it does not queue for the
    write lock behind every change, on PostgreSQL it cannot change anything by mistake."""
    write = request.method not in SAFE_METHODS
    with unit_of_work(engine_of(request), write=write) as session:
        yield session


# scope="function": the transaction ends before the answer is sent, and an error at commit
# (a stale row, a lock held too long) becomes the answer.
SessionDep = Annotated[Session, Depends(request_session, scope="function")]
EngineDep = Annotated[sa.Engine, Depends(engine_of)]
SettingsDep = Annotated[Settings, Depends(settings_of)]

NOT_LOGGED_IN = (
    "not logged in: log in with POST /auth/login, or send an API token as "
    "'Authorization: Bearer op_...'"
)


def own_origin(request: Request) -> str:
    """The origin the server is reached at: the scheme and host of the request (behind a
    proxy, as `oneplan serve` reads them from its X-Forwarded-Proto and Host)."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def check_origin(request: Request) -> None:
    """Refuse a change whose Origin header is present and is not the server's own origin."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.strip().rstrip("/").lower() != own_origin(request):
        raise PermissionDenied(
            f"a change made with a log-in session must come from this server's own pages: "
            f"the request's Origin is {origin!r}, not {own_origin(request)!r} (scripts send an "
            f"API token instead of the cookie)"
        )


def current_actor(
    request: Request,
    session: SessionDep,
    cookie: Annotated[str | None, Depends(session_cookie)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)],
) -> Actor:
    """Who is asking: the token's user, or the logged-in user of the session cookie."""
    from oneplan.services.users.sessions import csrf_matches, mark_seen, resolve_session
    from oneplan.services.users.tokens import (
        REFUSED,
        authenticate_token,
        check_token,
        stamp_token_use,
    )

    # A change stamps "last used" within the request's transaction; a read cannot write in its
    # snapshot, so when a stamp is due (once a minute at most) a short transaction writes it.
    read = request.method in SAFE_METHODS
    if bearer is not None:
        try:
            if not read:
                return authenticate_token(session, bearer.credentials)
            actor, due = check_token(session, bearer.credentials)
        except PermissionDenied as refused:
            raise NotAuthenticated(REFUSED) from refused
        if due is not None:
            with unit_of_work(engine_of(request)) as writer:
                stamp_token_use(writer, due)
        return actor
    if cookie is None:
        raise NotAuthenticated(NOT_LOGGED_IN)
    resolved = resolve_session(session, cookie, policy_of(settings_of(request)), stamp=not read)
    if resolved.seen_due:
        with unit_of_work(engine_of(request)) as writer:
            mark_seen(writer, resolved.row_id)
    if request.method not in SAFE_METHODS:
        check_origin(request)
    if request.method not in SAFE_METHODS and not csrf_matches(
        resolved, request.headers.get(CSRF_HEADER)
    ):
        raise PermissionDenied(
            f"a change made with a log-in session must carry the session's CSRF token in the "
            f"{CSRF_HEADER} header (the log-in answer and the {CSRF_COOKIE} cookie hold it)"
        )
    request.state.login = resolved
    return resolved.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def login_of(request: Request) -> Resolved | None:
    """The log-in session the request came with, if it came with one (not a token)."""
    found: Resolved | None = getattr(request.state, "login", None)
    return found


def etag(version: int) -> str:
    """The ETag of a thing at ``version``.

    >>> etag(3)
    '"3"'
    """
    return f'"{version}"'


def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The ETag of the state the change is made on (from a GET); required.",
        ),
    ] = None,
) -> int | None:
    """The version an edit was made on, from If-Match; `VersionRequired` (428) without one.
    ``*`` (any version) gives None; a tag that is no version of ours can match nothing.

    >>> if_match('"4"'), if_match("*"), if_match('W/"4"')
    (4, None, -1)
    """
    if value is None:
        raise VersionRequired(
            "this change needs an If-Match header with the ETag of the state it was made on: "
            "read the thing first (GET), then send its ETag"
        )
    value = value.strip()
    if value == "*":
        return None
    if value.startswith('"') and value.endswith('"') and value[1:-1].isdigit():
        return int(value[1:-1])
    return -1  # weak or foreign tags never match (strong comparison, RFC 9110 13.1.1)


IfMatch = Annotated[int | None, Depends(if_match)]

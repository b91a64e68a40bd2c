"""Log in, log out, change one's password; who am I; one's own API tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from oneplan.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentActor,
    EngineDep,
    SessionDep,
    SettingsDep,
    client_address,
    login_of,
    policy_of,
)
from oneplan.api.problems import KINDS, problem
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import NotAuthenticated, PermissionDenied
from oneplan.services.permissions import ROLE_PERMISSIONS, Permission
from oneplan.services.users.schemas import NewToken, NewTokenRequest, TokenInfo, UserInfo
from oneplan.services.users.sessions import LoginPolicy, Started

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    name: str = Field(max_length=100)
    password: str = Field(max_length=1024)


class LoggedIn(BaseModel):
    """A log-in: the session id is in the HttpOnly cookie only; ``csrf_token`` goes in the
    X-CSRF-Token header of every change."""

    user: UserInfo
    csrf_token: str
    expires_at: datetime


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class Me(BaseModel):
    user: UserInfo
    permissions: list[Permission]


def set_session_cookies(response: Response, started: Started, settings: Settings) -> None:
    seconds = int((started.expires_at - datetime.now(UTC)).total_seconds())
    common = {"max_age": seconds, "secure": settings.secure_cookies, "samesite": "lax"}
    response.set_cookie(SESSION_COOKIE, started.session_id, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, started.csrf_token, httponly=False, **common)  # type: ignore[arg-type]


def _logged_in(session: SessionDep, started: Started) -> LoggedIn:
    from oneplan.services.users.service import own_user

    user = own_user(session, started.actor)
    return LoggedIn(user=user, csrf_token=started.csrf_token, expires_at=started.expires_at)


@router.post("/auth/login", responses={401: {}, 429: {}})
def log_in(
    body: LoginRequest,
    request: Request,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
) -> LoggedIn:
    """Start a session: a new session id in an HttpOnly, SameSite=Lax cookie (any id the
    browser held before ends), and the CSRF token for the changes that follow."""
    from oneplan.services.users.service import own_user
    from oneplan.services.users.sessions import log_in, record_failure

    policy, address = policy_of(settings), client_address(request)
    try:
        with unit_of_work(engine) as session:
            started = log_in(session, body.name, body.password, address, policy)
            user = own_user(session, started.actor)
    except NotAuthenticated:
        with unit_of_work(engine) as session:  # the failure counts even though the rest rolled back
            record_failure(session, body.name, address, policy)
        raise
    end_previous_session(request, engine, settings)
    set_session_cookies(response, started, settings)
    return LoggedIn(user=user, csrf_token=started.csrf_token, expires_at=started.expires_at)


def end_previous_session(request: Request, engine: EngineDep, settings: Settings) -> None:
    """End the session the browser came with, if any: a log-in always starts afresh."""
    from oneplan.services.users.sessions import log_out, resolve_session

    old = request.cookies.get(SESSION_COOKIE)
    if not old:
        return
    try:
        with unit_of_work(engine) as session:
            log_out(session, resolve_session(session, old, policy_of(settings)))
    except NotAuthenticated:
        pass


@router.post("/auth/logout", status_code=204)
def log_out(request: Request, response: Response, session: SessionDep, actor: CurrentActor) -> None:
    """End the session the request came with and clear its cookies (a token is unchanged)."""
    from oneplan.services.users.sessions import log_out

    login = login_of(request)
    if login is not None:
        log_out(session, login)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


def _count_failure(engine: EngineDep, name: str, address: str, policy: LoginPolicy) -> None:
    from oneplan.services.users.sessions import record_failure

    with unit_of_work(engine) as session:
        record_failure(session, name, address, policy)


@router.post("/auth/password", response_model=LoggedIn, responses={403: {}, 429: {}})
def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    engine: EngineDep,
) -> LoggedIn | JSONResponse:
    """Change one's own password (the current one is asked again, and a wrong one counts as a
    failed log-in). Every session of the user ends, this one too; a new one starts for this
    browser."""
    from oneplan.services.users.service import get_user, set_password
    from oneplan.services.users.sessions import check_throttle, start_session
    from oneplan.services.users.tokens import authenticate_password

    policy, address = policy_of(settings), client_address(request)
    check_throttle(session, actor.name, address, policy, datetime.now(UTC))
    try:
        authenticate_password(session, actor.name, body.current_password)
    except PermissionDenied:
        # Counted once this request's transaction is over (SQLite has one writer at a time).
        wrong = problem(
            request, 403, "the current password is wrong", kind=f"{KINDS}permission-denied"
        )
        wrong.background = BackgroundTask(_count_failure, engine, actor.name, address, policy)
        return wrong
    set_password(session, actor, actor.name, body.new_password)
    user = get_user(session, actor.name)
    started = start_session(session, user, address, policy, datetime.now(UTC))
    set_session_cookies(response, started, settings)
    return _logged_in(session, started)


@router.get("/me", tags=["me"])
def me(session: SessionDep, actor: CurrentActor) -> Me:
    """Who is asking: the user, their grants, and what their roles allow."""
    from oneplan.services.users.service import own_user

    allowed = {p for grant in actor.grants for p in ROLE_PERMISSIONS[grant.role]}
    return Me(
        user=own_user(session, actor),
        permissions=[p for p in Permission if p in allowed],
    )


@router.get("/me/tokens", tags=["me"])
def list_my_tokens(session: SessionDep, actor: CurrentActor) -> list[TokenInfo]:
    """One's API tokens, newest first (never the tokens themselves)."""
    from oneplan.services.users.tokens import list_tokens

    return list_tokens(session, actor, actor.name)


@router.post("/me/tokens", tags=["me"], status_code=201)
def create_my_token(body: NewTokenRequest, session: SessionDep, actor: CurrentActor) -> NewToken:
    """A new API token for oneself: shown in this answer once, stored only as a hash."""
    from oneplan.services.users.tokens import create_token

    return create_token(session, actor, actor.name, body.label, days=body.days)


@router.delete("/me/tokens/{token_id}", tags=["me"])
def revoke_my_token(token_id: int, session: SessionDep, actor: CurrentActor) -> TokenInfo:
    """Revoke one of one's tokens at once."""
    from oneplan.services.users.tokens import revoke_token

    return revoke_token(session, actor, actor.name, token_id)

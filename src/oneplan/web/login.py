"""Log-in and log-out for the pages: plain HTML form posts, so the browser stores the same
HttpOnly session cookie the API's ``POST /auth/login`` sets, by the same service.

A failed log-in returns to the form with the reason; a successful one goes to the page the
person asked for (only a path of this site, never another site's address).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from oneplan.api.deps import CSRF_COOKIE, SESSION_COOKIE, client_address, policy_of
from oneplan.api.routes.auth import end_previous_session, set_session_cookies
from oneplan.db.session import unit_of_work
from oneplan.errors import NotAuthenticated, PermissionDenied, TooManyAttempts
from oneplan.web.paths import APP, LOGIN, page_url
from oneplan.web.visitor import site

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the web application, else its home page.

    >>> safe_next("/app/demand?family=Hoses"), safe_next("https://evil.example/"), safe_next("//x")
    ('/app/demand?family=Hoses', '/app/', '/app/')
    """
    if target and target.startswith(APP + "/") and not target.startswith("//"):
        return target
    return page_url("/")


def _back_to_form(reason: str, target: str) -> RedirectResponse:
    return RedirectResponse(
        f"{page_url(LOGIN)}?failed={quote(reason)}&next={quote(target)}", status_code=303
    )


def _same_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


@router.post(APP + LOGIN)
def log_in_form(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Check the name and password (the API's rules: throttle, new session id) and set the
    session cookies."""
    from oneplan.services.users.sessions import log_in, record_failure

    target = safe_next(next)
    if not _same_site(request):
        return _back_to_form("the log-in form must be sent from this site", target)
    settings, engine = site().settings, site().engine
    policy, address = policy_of(settings), client_address(request)
    try:
        with unit_of_work(engine) as session:
            started = log_in(session, name, password, address, policy)
    except TooManyAttempts as refused:
        return _back_to_form(str(refused), target)
    except (NotAuthenticated, PermissionDenied):
        with unit_of_work(engine) as session:
            record_failure(session, name, address, policy)
        return _back_to_form("unknown name or wrong password", target)
    end_previous_session(request, engine, settings)
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, started, settings)
    return response


@router.post(APP + "/logout")
def log_out_form(
    request: Request, csrf: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    """End the session (the form carries its CSRF token) and clear the cookies."""
    from oneplan.services.users.sessions import csrf_matches, log_out, resolve_session

    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        try:
            with unit_of_work(site().engine) as session:
                resolved = resolve_session(session, session_id, policy_of(site().settings))
                if csrf_matches(resolved, csrf):
                    log_out(session, resolved)
        except NotAuthenticated:
            pass
    response = RedirectResponse(page_url(LOGIN), status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response

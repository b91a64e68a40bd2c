"""Errors as RFC 9457 problem documents (``application/problem+json``), from one handler.

The status comes from `oneplan.errors.http_status`, the one table of the package; a
`ValidationFailed` carries its problems, each located by file, row and column, and a request
the API cannot parse is told the same way (``file`` names the part of the request: body, query,
path or header). A stale edit (412) carries the thing's current state and its ETag.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from oneplan.errors import (
    NotAuthenticated,
    OneplanError,
    Problem,
    Stale,
    TooManyAttempts,
    ValidationFailed,
    http_status,
)

MEDIA_TYPE = "application/problem+json"
#: What every kind of problem's ``type`` starts with.
KINDS = "urn:oneplan:problem:"
log = logging.getLogger("oneplan.api")


class ProblemItem(BaseModel):
    """One thing wrong with the input, located as precisely as the input allows."""

    file: str
    row: int | None
    column: str | None
    message: str


class ProblemDocument(BaseModel):
    """An error (RFC 9457): what kind, the status, what happened, and every problem found."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    problems: list[ProblemItem] = []
    current: dict[str, Any] | None = None


def _kind(error: OneplanError) -> str:
    """``urn:oneplan:problem:not-found`` for `NotFound`: a stable name clients can test."""
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()
    return f"{KINDS}{words}"


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    kind: str = "about:blank",
    problems: list[Problem] | None = None,
    current: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    document = ProblemDocument(
        type=kind,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        problems=[ProblemItem(**vars(p)) for p in problems or []],
        current=jsonable_encoder(current) if current is not None else None,
    )
    body = document.model_dump(mode="json")
    if current is None:
        del body["current"]
    return JSONResponse(
        body,
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


async def oneplan_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OneplanError)
    status = http_status(error)
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    current = None
    detail = str(error)
    if isinstance(error, ValidationFailed):
        problems = error.problems
        detail = f"{len(problems)} problem(s) found; nothing was changed"
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="oneplan"'
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Stale) and isinstance(error.current, BaseModel):
        current = error.current
        version = getattr(current, "version", None)
        if version is not None:
            headers["ETag"] = f'"{version}"'
    if status >= 500:
        log.exception("oneplan error answered %s", status, exc_info=error)
    return problem(
        request,
        status,
        detail,
        kind=_kind(error),
        problems=problems,
        current=current,
        headers=headers,
    )


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for found in error.errors():
        where = [str(part) for part in found.get("loc", ())]
        part = where[0] if where else "request"
        column = ".".join(where[1:]) or None
        problems.append(Problem(f"request {part}", None, column, str(found.get("msg", ""))))
    return problem(
        request,
        422,
        f"{len(problems)} problem(s) found in the request; nothing was changed",
        kind="urn:oneplan:problem:validation-failed",
        problems=problems,
    )


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return problem(request, error.status_code, str(error.detail), headers=error.headers)


async def unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(request, 500, "the server met an error it did not expect; see its log")


def install(app: FastAPI) -> None:
    """Answer every error with a problem document."""
    app.add_exception_handler(OneplanError, oneplan_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)

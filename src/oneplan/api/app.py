"""The app factory: `create_app(settings)` builds the API over one database engine.

``oneplan serve`` runs `app_from_environment` (a factory uvicorn calls in each worker), which
reads the settings from the environment like every command does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute

from oneplan import __version__
from oneplan.api import docs, problems
from oneplan.api.headers import SecurityHeaders
from oneplan.api.routes import (
    audit,
    auth,
    comments,
    cycles,
    data,
    demand,
    exports,
    finance,
    health,
    inbox,
    jobs,
    kpis,
    overrides,
    plans,
    scenarios,
    supply,
    users,
)
from oneplan.config import Settings, get_settings

DESCRIPTION = """The oneplan API: the data package, the demand plan and its overrides, the
supply plan's explanations, the financial plan, plan versions, scenarios, users and the audit
trail of one S&OP database, with the rules the command line obeys. Log in with
`POST /auth/login` (a session cookie; changes also send `X-CSRF-Token`) or send a personal API
token as `Authorization: Bearer op_...`. Errors are RFC 9457 problem documents. docs/api.md
has a walk-through."""


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id is its function's name: stable, and what clients call."""
    return route.name


def worker_lifespan(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run ``threads`` job workers in this process while the app serves (none for 0): started
    when it starts, asked to stop after their current job when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if threads < 1:
            yield
            return
        from oneplan.worker import start_in_process_workers

        pool = start_in_process_workers(app.state.engine, threads, app.state.settings)
        try:
            yield
        finally:
            # a job still running is recovered by the next worker once its heartbeat is stale
            await asyncio.to_thread(pool.stop, 10.0)

    return lifespan


def create_app(
    settings: Settings, engine: sa.Engine | None = None, *, worker_threads: int = 0
) -> FastAPI:
    """The API over ``engine`` (default: the settings' database), with ``worker_threads`` job
    workers in the process (the server's `server_worker_threads`; none by default)."""
    from oneplan.db.session import create_db_engine

    app = FastAPI(
        lifespan=worker_lifespan(worker_threads),
        title="oneplan",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        responses={
            "default": {
                "model": problems.ProblemDocument,
                "description": "An error, as an RFC 9457 problem document",
                "content": {problems.MEDIA_TYPE: {}},
            }
        },
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.database_url, settings)
    problems.install(app)
    if settings.api_docs:
        docs.install(app)
    routers = (
        health,
        auth,
        data,
        demand,
        overrides,
        supply,
        finance,
        plans,
        scenarios,
        kpis,  # before cycles: /cycles/kpis is not the cycle of a month
        cycles,
        comments,
        inbox,
        audit,
        users,
        jobs,
        exports,
    )
    for module in routers:
        app.include_router(module.router)
    app.include_router(scenarios.comparison)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app


def app_from_environment() -> FastAPI:
    """The app over the configured database (``oneplan serve``), with its job workers."""
    settings = get_settings()
    return create_app(settings, worker_threads=settings.server_worker_threads)

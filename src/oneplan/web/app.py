"""The server's app: the API with the web pages mounted under ``/app`` (``oneplan serve``).

NiceGUI keeps its pages in one app per process, so the pages are mounted once, by the server;
the API alone (`oneplan.api.app.create_app`) is what the API tests build, many times.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from oneplan.api.app import create_app
from oneplan.config import Settings, get_settings
from oneplan.web.paths import APP, page_url


def mount_pages(app: FastAPI) -> None:
    """Mount the pages on ``app`` (an app `create_app` built). Once per process."""
    from nicegui import ui

    from oneplan.web import login, pages, visitor

    visitor.configure(app.state.engine, app.state.settings)
    app.include_router(login.router)

    @app.get("/", include_in_schema=False)
    def to_the_pages() -> RedirectResponse:
        return RedirectResponse(page_url("/"), status_code=307)

    pages.register()
    ui.run_with(
        app,
        mount_path=APP,
        title="oneplan",
        favicon="📈",
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )


def create_server_app(
    settings: Settings, engine: sa.Engine | None = None, *, worker_threads: int = 0
) -> FastAPI:
    """The API and, unless the settings turn them off, the web pages."""
    app = create_app(settings, engine, worker_threads=worker_threads)
    if settings.web_pages:
        mount_pages(app)
    return app


def app_from_environment() -> FastAPI:
    """The server over the configured database, with its job workers (``oneplan serve``)."""
    settings = get_settings()
    return create_server_app(settings, worker_threads=settings.server_worker_threads)

"""``oneplan serve``: the API server (docs/api.md).

The command checks the database first (created on first use, an outdated schema refused) and
then hands over to uvicorn, which builds the app in each worker from the environment: the
command never imports the API itself, so the command line and the API stay two front ends.
"""

from __future__ import annotations

from typing import Annotated

import typer

from oneplan.cli.common import database, handle_errors, say, settings

APP_FACTORY = "oneplan.web.app:app_from_environment"


@handle_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (ONEPLAN_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (ONEPLAN_PORT, 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (ONEPLAN_WORKERS, 1).")
    ] = None,
) -> None:
    """Serve the API until stopped (Ctrl-C): log in, plans, overrides, scenarios, users, jobs
    (run by ONEPLAN_SERVER_WORKER_THREADS workers in each process, 1 by default)."""
    import uvicorn

    configured = settings()
    database().dispose()
    host = host or configured.host
    port = port or configured.port
    workers = workers or configured.workers
    say(f"oneplan on http://{host}:{port}/app (API docs at /docs); Ctrl-C stops it", "serving:")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``oneplan`` command."""
    app.command("serve")(serve)

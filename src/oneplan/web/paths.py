"""Where the pages live: under ``/app`` of the server, beside the API's own paths.

>>> page_url("/demand")
'/app/demand'
"""

from __future__ import annotations

APP = "/app"
LOGIN = "/login"


def page_url(path: str) -> str:
    """The address a browser uses for the page at ``path`` (a path inside the application)."""
    return APP + path

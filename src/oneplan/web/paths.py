"""Where the pages live: under ``/app`` of the server, beside the API's own paths.

NiceGUI's links and navigation take a path inside the application (``/cycle``) and add the
prefix themselves; `page_url` is for what NiceGUI does not touch: a form's action and an HTTP
redirect.

>>> page_url("/demand")
'/app/demand'
"""

from __future__ import annotations

APP = "/app"
LOGIN = "/login"


def page_url(path: str) -> str:
    """The address a browser uses for the page at ``path`` (a path inside the application)."""
    return APP + path

"""The parts of the demand page: the node's chart, its editable plan grid, the browser of
nodes below it and the read-only lists (accuracy, launches, phase-outs, events, overrides)."""

from __future__ import annotations

from urllib.parse import urlencode

from oneplan.web.paths import page_url


def node_url(level: str, member: str = "") -> str:
    """The deep link of a node of the demand plan, inside the application (for `ui.link`,
    which adds the ``/app`` prefix; `node_href` is the address for plain HTML).

    >>> node_url("family", "HOS"), node_url("item_location", "H-1|DC")
    ('/demand?level=family&node=HOS', '/demand?level=item_location&node=H-1%7CDC')
    """
    query = {"level": level} if level == "total" else {"level": level, "node": member}
    return "/demand?" + urlencode(query)


def node_href(level: str, member: str = "") -> str:
    """The node's address for a plain HTML link.

    >>> node_href("family", "HOS")
    '/app/demand?level=family&node=HOS'
    """
    return page_url(node_url(level, member))

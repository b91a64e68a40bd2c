"""Where the page about an object is: what a notice or a comment links to.

>>> object_page("cycle_step", "2027-03/demand_review"), object_page("scenario", "press down")
('/cycle?month=2027-03', '/scenarios?name=press%20down')
>>> object_page("demand_cell", "family/HOS/2027-03"), object_page("job", "7")
('/demand?level=family&node=HOS', None)
"""

from __future__ import annotations

from urllib.parse import quote


def object_page(kind: str | None, key: str | None) -> str | None:
    """The path (inside the application) of the page that shows the object, if one does."""
    if kind is None or key is None:
        return None
    parts = key.split("/")
    if kind in ("cycle_step", "decision", "issue") and "-" in parts[0]:
        return "/finance" if kind == "issue" else f"/cycle?month={parts[0]}"
    if kind == "decision":
        return "/cycle"
    if kind == "scenario":
        return f"/scenarios?name={quote(key)}"
    if kind == "plan_version":
        return f"/supply?version={quote(key)}"
    if kind in ("family", "item"):
        return f"/demand?level={kind}&node={quote(key)}"
    if kind == "demand_cell" and len(parts) >= 2:
        level, node = (parts[0], parts[1]) if len(parts) > 2 else ("total", "total")
        return f"/demand?level={level}&node={quote(node)}"
    if kind == "resource":
        return "/supply"
    return None

"""Build the demand plan again as a job, from the demand page: the overrides typed since the
last run become part of the stored plan that supply, finance and the pack read."""

from __future__ import annotations

from typing import Any

from oneplan.services.permissions import Permission
from oneplan.web.runs import Replan
from oneplan.web.visitor import Visitor


class Rebuild(Replan):
    """The demand step's card: no options (the forecast is reused while the history is
    unchanged); done, it offers the demand page again, on the new plan."""

    KIND = "demand"
    PERMISSION = Permission.run_demand
    TITLE = "Build the demand plan"
    BUTTON = "Build"

    def __init__(self, visitor: Visitor, node_link: str) -> None:
        """``node_link``: the node the page shows (`oneplan.web.demand.node_url`), shown again
        on the new plan when the run is done."""
        super().__init__(visitor)
        # relative, so the browser keeps the mount path; the page reads the newest plan
        self.LINK = node_link.lstrip("/").replace("{", "{{").replace("}", "}}") + "&built={}"

    def controls(self) -> None:
        return None

    def parameters(self) -> dict[str, Any]:
        return {}

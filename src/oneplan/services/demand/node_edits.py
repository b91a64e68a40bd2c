"""A planner's change to one node and month of the demand plan, typed as a number or a percent.

"1200" sets the node's month to 1,200 units; "+10%" raises it by ten percent. The change is
recorded as an override (`oneplan.services.demand.overrides.add_overrides`, which checks the
person's scope and splits nothing itself: the demand run and the live plan split it to the
item x location cells in proportion). The change names the figure the person saw: if someone
changed the node's month meanwhile, it is refused as `Stale` carrying the figure now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from oneplan.errors import InputError, Stale
from oneplan.services.actor import Actor
from oneplan.services.demand.nodes import LivePlan, find_node, live_plan, node_mask
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.demand.schemas import OverrideOut
from oneplan.services.permissions import Permission, require_some

_ENTRY = re.compile(r"^\s*(?P<number>[+-]?\s*[\d,]*\.?\d+)\s*(?P<percent>%?)\s*$")
#: Figures closer than this (units) are the same figure: the page shows whole units.
SAME_FIGURE = 0.01


def parse_entry(text: str, where: str = "value") -> tuple[str, float]:
    """A typed entry as an override's kind and value.

    >>> parse_entry("1,200"), parse_entry("+10%"), parse_entry(" -5 % ")
    (('absolute', 1200.0), ('relative', 10.0), ('relative', -5.0))
    >>> parse_entry("a lot", "2027-03")
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: demand, column 2027-03: 'a lot' is not a number of units (1200) or a percent change (+10%)
    """  # noqa: E501
    found = _ENTRY.match(str(text))
    if found is None:
        message = f"{text!r} is not a number of units (1200) or a percent change (+10%)"
        raise InputError(message, table="demand", column=where)
    number = float(found["number"].replace(",", "").replace(" ", ""))
    return ("relative", number) if found["percent"] else ("absolute", number)


@dataclass(frozen=True)
class NodeChange:
    """An override recorded from the page, and the node's month before and after it."""

    override: OverrideOut
    before: float
    after: float


def node_month(session: Session, actor: Actor, level: str, member: str, month: str) -> float:
    """The consensus units of a node in a month, with every override of the cycle as it stands."""
    plan = live_plan(session, actor)
    return _figure(plan.cells, level, member, month)


def _figure(cells: pd.DataFrame, level: str, member: str, month: str) -> float:
    mask = node_mask(cells, level, member) & (cells["period"] == pd.Timestamp(f"{month}-01"))
    return float(cells.loc[mask, "consensus"].sum())


def change_node(
    session: Session,
    actor: Actor,
    level: str,
    node: str,
    month: str,
    entry: str,
    reason: str,
    *,
    seen: float | None = None,
) -> NodeChange:
    """Record ``entry`` (units or a percent) as an override of ``node`` at ``level`` in
    ``month`` (YYYY-MM) with ``reason``, under the actor's name and scope.

    ``seen``: the node's month as the person saw it; if it is something else now, `Stale`
    (carrying {"consensus": now, "changed_by": [authors]}) and nothing is recorded."""
    require_some(actor, Permission.override_demand)
    kind, value = parse_entry(entry, month)
    plan = live_plan(session, actor)
    member, title = find_node(plan, level, node)
    before = _figure(plan.cells, level, member, month)
    if seen is not None and abs(before - seen) > SAME_FIGURE:
        raise Stale(
            f"{title} in {month} is {before:,.0f} units now, not {seen:,.0f} as shown; "
            "nothing was changed",
            current={"consensus": before, "changed_by": _authors(plan, level, member, month)},
        )
    fields = {"level": level, "member": member, "period": month, "kind": kind, "value": value}
    override = add_overrides(
        session, actor, [{**fields, "reason": reason}], cycle=plan.version.cycle, source="demand"
    )[0]
    after = value if kind == "absolute" else before * (1 + value / 100.0)
    return NodeChange(override, before, after)


def _authors(plan: LivePlan, level: str, member: str, month: str) -> list[str]:
    """Who changed the node's month, the first first."""
    cells = plan.cells
    mask = node_mask(cells, level, member) & (cells["period"] == pd.Timestamp(f"{month}-01"))
    rows = plan.changes["row"].to_numpy(dtype="int64")
    touched = plan.changes[np.asarray(mask)[rows]]
    return list(dict.fromkeys(touched["author"].astype(str)))

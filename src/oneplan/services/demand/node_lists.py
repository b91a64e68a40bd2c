"""What shapes a node's demand beyond its history: the launches, phase-outs and events of the
items and locations under it, as the data package holds them (read only: they change by import).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.demand.plan import hierarchy_keys
from oneplan.engines.frames import ID_SEPARATOR
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, require_some

PHASE_OUTS = ("phase_out", "obsolete")


@dataclass(frozen=True)
class NodeLists:
    """[item, description, like_item, launch_date, scale, ramp_up_periods],
    [item, description, lifecycle_status, end_date] and [event, kind, item, family, location,
    start_period, end_period, uplift_pct, uplift_quantity, description]."""

    launches: pd.DataFrame
    phase_outs: pd.DataFrame
    events: pd.DataFrame


def node_lists(session: Session, actor: Actor, level: str, member: str) -> NodeLists:
    """The launches, phase-outs and events that reach the node ``level`` ``member``."""
    require_some(actor, Permission.read)
    tables = read_tables(session, ["items", "families", "locations", "launches", "demand_events"])
    items = tables["items"].rename(columns={"code": "item"})
    keyed = hierarchy_keys(items[["item"]].assign(location=""), tables)
    in_node = _items_in(keyed, level, member)
    launches = tables["launches"].merge(
        items[["item", "description", "launch_date"]], on="item", how="left"
    )
    launches = launches[launches["item"].isin(in_node)]
    named = items[
        (items["lifecycle_status"] == "new")
        & items["item"].isin(in_node)
        & ~items["item"].isin(launches["item"])
    ]
    launches = pd.concat(
        [launches, named[["item", "description", "like_item", "launch_date"]]], ignore_index=True
    )
    phase_outs = items[items["lifecycle_status"].isin(PHASE_OUTS) & items["item"].isin(in_node)]
    events = _events(tables, keyed, level, member, in_node)
    return NodeLists(
        launches[
            ["item", "description", "like_item", "launch_date", "scale", "ramp_up_periods"]
        ].reset_index(drop=True),
        phase_outs[["item", "description", "lifecycle_status", "end_date"]].reset_index(drop=True),
        events,
    )


def _items_in(keyed: pd.DataFrame, level: str, member: str) -> set[str]:
    """The items whose demand the node holds (every item for a location or region node)."""
    if level in ("total", "region", "location"):
        return set(keyed["item"])
    if level == "item_location":
        return {member.partition(ID_SEPARATOR)[0]}
    return set(keyed.loc[keyed[level] == member, "item"])


def _events(
    tables: dict[str, pd.DataFrame],
    keyed: pd.DataFrame,
    level: str,
    member: str,
    in_node: set[str],
) -> pd.DataFrame:
    """Events on an item or family of the node, at a location of the node (or everywhere)."""
    events = tables["demand_events"].rename(columns={"code": "event"})
    families = set(keyed.loc[keyed["item"].isin(in_node), "family"])
    product = events["item"].isin(in_node) | events["family"].isin(families)
    product |= events["item"].isna() & events["family"].isna()
    locations = tables["locations"]
    if level == "location":
        places = {member}
    elif level == "region":
        places = set(locations.loc[locations["region"] == member, "code"])
    elif level == "item_location":
        places = {member.partition(ID_SEPARATOR)[2]}
    else:
        places = set(locations["code"])
    place = events["location"].isna() | events["location"].isin(places)
    columns = [
        "event",
        "kind",
        "item",
        "family",
        "location",
        "start_period",
        "end_period",
        "uplift_pct",
        "uplift_quantity",
        "description",
    ]
    chosen = events[np.asarray(product & place, dtype=bool)]
    return chosen.sort_values("start_period", ascending=False)[columns].reset_index(drop=True)

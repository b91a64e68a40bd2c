"""The demand plan node by node, as a planner browses it: any level of the hierarchy (the total,
a region, a location, a category, a family, an item, one item at one location), its months by
layer, its sales history and the statistical forecast's prediction band.

Figures are those of the newest demand version with the cycle's overrides as they stand now
(`oneplan.engines.demand.replay`): an override added a minute ago shows at once, as the next
demand run will plan it, with no run in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import OverrideLevel
from oneplan.db.models import SalesHistory
from oneplan.engines.demand.hierarchy import bottom_id
from oneplan.engines.demand.plan import hierarchy_keys
from oneplan.engines.demand.replay import replay_overrides
from oneplan.engines.frames import ID_SEPARATOR
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.demand.overrides import cycle_overrides
from oneplan.services.demand.service import demand_version
from oneplan.services.permissions import Permission, require_some
from oneplan.services.versions.schemas import VersionInfo

#: Levels from the top down, as the page offers them.
NODE_LEVELS = ("total", "region", "location", "category", "family", "item", "item_location")
#: Where a node's children are: the product side goes category > family > item > item at a
#: location; the location side region > location > item at a location.
CHILD_LEVEL = {
    "total": "category",
    "category": "family",
    "family": "item",
    "item": "item_location",
    "region": "location",
    "location": "item_location",
}
LAYER_TITLES = {
    "statistical": "Statistical forecast",
    "lifecycle": "Launches and phase-outs",
    "events": "Events",
    "consensus": "Consensus",
    "consensus_value": "Consensus value",
}
_MASTER = ["items", "families", "locations", "parameters"]


@dataclass(frozen=True)
class LivePlan:
    """Every cell of the newest demand version with the cycle's overrides replayed now.

    ``cells`` [item, location, family, category, region, period, baseline,
    lifecycle_adjustment, event_uplift, override, consensus, price, value]; ``changes`` [row,
    author, change] each author's part of ``override``; ``overrides`` the cycle's overrides."""

    version: VersionInfo
    cells: pd.DataFrame
    changes: pd.DataFrame
    overrides: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    baseline: pd.DataFrame


def live_plan(session: Session, actor: Actor) -> LivePlan:
    """The newest demand version with its cycle's overrides as they stand now."""
    require_some(actor, Permission.read)
    version, frames = demand_version(session, actor, None, ["consensus", "baseline"])
    tables = read_tables(session, _MASTER)
    stored = frames["consensus"]
    cells = stored[["item", "location", "period"]].copy()
    cells["period"] = pd.to_datetime(cells["period"]).astype("datetime64[ns]")
    # A plan stored without its layers (made elsewhere) is all baseline.
    for layer in ("baseline", "lifecycle_adjustment", "event_uplift"):
        default = stored["quantity"] if layer == "baseline" else 0.0
        cells[layer] = stored[layer] if layer in stored.columns else default
    cells = hierarchy_keys(cells, tables)
    overrides = cycle_overrides(session, version.cycle)
    changes = replay_overrides(cells, overrides)
    override = np.bincount(
        changes["row"].to_numpy(dtype="int64"), changes["change"].to_numpy(), len(cells)
    )
    cells["override"] = override
    cells["consensus"] = (
        cells["baseline"] + cells["lifecycle_adjustment"] + cells["event_uplift"] + override
    )
    price = stored["price"] if "price" in stored.columns else np.nan
    cells["price"] = np.asarray(price, dtype="float64") * np.ones(len(cells))
    cells["value"] = cells["consensus"] * cells["price"]
    baseline = frames.get("baseline", pd.DataFrame(columns=["item", "location", "period"]))
    return LivePlan(version, cells, changes, overrides, tables, baseline)


def node_mask(cells: pd.DataFrame, level: str, member: str) -> np.ndarray:
    """Which cells make up the node ``level`` ``member``."""
    if level == "total":
        return np.ones(len(cells), dtype=bool)
    if level == "item_location":
        item, _, location = member.partition(ID_SEPARATOR)
        return ((cells["item"] == item) & (cells["location"] == location)).to_numpy(dtype=bool)
    return (cells[level] == member).to_numpy(dtype=bool)


def members_of(tables: dict[str, pd.DataFrame], level: str) -> pd.DataFrame:
    """The members of a level with their names: [member, name]."""
    items, families, locations = tables["items"], tables["families"], tables["locations"]
    if level == "total":
        return pd.DataFrame({"member": [""], "name": ["All demand"]})
    if level == "item":
        return pd.DataFrame({"member": items["code"], "name": items["description"]})
    if level == "family":
        return pd.DataFrame({"member": families["code"], "name": families["name"]})
    if level == "location":
        return pd.DataFrame({"member": locations["code"], "name": locations["name"]})
    if level == "category":
        codes = families["category"].drop_duplicates().sort_values()
    elif level == "region":
        codes = locations["region"].drop_duplicates().sort_values()
    else:
        raise NotFound(f"level {level!r} is not one of {', '.join(NODE_LEVELS)}")
    return pd.DataFrame({"member": codes.to_numpy(), "name": codes.to_numpy()})


def find_node(plan: LivePlan, level: str, node: str) -> tuple[str, str]:
    """The member a deep link names by code or by name (case aside), and its title.

    ``NotFound`` names the level and says what to look for instead."""
    if level not in NODE_LEVELS:
        raise NotFound(f"level {level!r} is not one of {', '.join(NODE_LEVELS)}")
    if level == "total":
        return "", "All demand"
    if level == "item_location":
        item, _, location = node.partition(ID_SEPARATOR)
        found = plan.cells[(plan.cells["item"] == item) & (plan.cells["location"] == location)]
        if found.empty:
            raise NotFound(f"item {item!r} at location {location!r} has no demand plan")
        return node, f"{item} at {location}"
    members = members_of(plan.tables, level)
    wanted = node.strip().casefold()
    hit = members[
        (members["member"].str.casefold() == wanted) | (members["name"].str.casefold() == wanted)
    ]
    if hit.empty:
        raise NotFound(f"there is no {level.replace('_', ' ')} {node!r}")
    member, name = str(hit["member"].iloc[0]), str(hit["name"].iloc[0])
    return member, (name if name == member else f"{name} ({member})")


@dataclass(frozen=True)
class NodePage:
    """One page of a level's members with their consensus over the plan, biggest first."""

    level: str
    rows: pd.DataFrame
    """[member, name, units, value] (item_location also item and location)."""
    total: int
    limit: int
    offset: int


def list_nodes(
    session: Session,
    actor: Actor,
    level: str,
    *,
    within: tuple[str, str] | None = None,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
) -> NodePage:
    """The members of ``level`` (under the node ``within``, if given) whose code or name holds
    ``search``, biggest consensus first, ``limit`` of them from ``offset``: a level of 20,000
    items at locations reaches the page 50 rows at a time."""
    plan = live_plan(session, actor)
    return nodes_of(plan, level, within=within, search=search, limit=limit, offset=offset)


def nodes_of(
    plan: LivePlan,
    level: str,
    *,
    within: tuple[str, str] | None = None,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
) -> NodePage:
    """`list_nodes` on a live plan already read."""
    if level not in NODE_LEVELS:
        raise NotFound(f"level {level!r} is not one of {', '.join(NODE_LEVELS)}")
    cells = plan.cells
    if within is not None:
        cells = cells[node_mask(cells, *within)]
    if level == "item_location":
        keys = bottom_id(cells["item"], cells["location"]).rename("member")
    elif level == "total":
        keys = pd.Series("", index=cells.index, name="member")
    else:
        keys = cells[level].rename("member")
    summed = cells.groupby(keys)[["consensus", "value"]].sum()
    summed = summed.rename(columns={"consensus": "units"}).reset_index()
    if level == "item_location":
        parts = summed["member"].str.partition(ID_SEPARATOR)
        names = plan.tables["items"].set_index("code")["description"]
        summed = summed.assign(
            item=parts[0], location=parts[2], name=parts[0].map(names).fillna("")
        )
    else:
        names = members_of(plan.tables, level).set_index("member")["name"]
        summed["name"] = summed["member"].map(names).fillna(summed["member"])
    if search.strip():
        wanted = search.strip().casefold()
        hit = summed["member"].str.casefold().str.contains(wanted, regex=False) | summed[
            "name"
        ].str.casefold().str.contains(wanted, regex=False)
        summed = summed[hit]
    summed = summed.sort_values(["units", "member"], ascending=[False, True], ignore_index=True)
    columns = ["member", "name", "units", "value"]
    if level == "item_location":
        columns = ["member", "item", "location", "name", "units", "value"]
    page = summed.iloc[offset : offset + limit][columns].reset_index(drop=True)
    return NodePage(level, page, len(summed), limit, offset)


@dataclass(frozen=True)
class NodePlan:
    """One node's plan: its months by layer, its history and its statistical forecast band."""

    version: VersionInfo
    level: str
    member: str
    title: str
    months: list[str]
    layers: pd.DataFrame
    """One row per layer [layer, title, <month>...]: statistical, lifecycle, events, one
    ``override:<author>`` per author, consensus and consensus_value (money)."""
    history: pd.DataFrame
    """[period, quantity]: monthly sales of the node before the plan."""
    band: pd.DataFrame
    """[period, lo_80, hi_80, lo_95, hi_95] around the statistical forecast (columns present
    for the levels the run stored)."""
    overrides: pd.DataFrame
    """The cycle's overrides that change this node [id, sequence, level, member, period,
    kind, value, reason, author, created_at]."""
    currency: str
    children: str | None


def node_plan(session: Session, actor: Actor, level: str, node: str) -> NodePlan:
    """The plan of the node ``level`` ``node`` (a code or a name) month by month."""
    plan = live_plan(session, actor)
    member, title = find_node(plan, level, node)
    return plan_of_node(plan, level, member, title, node_sales(session, plan, level, member))


def node_sales(session: Session, plan: LivePlan, level: str, member: str) -> pd.DataFrame:
    """The sales history rows of a node [item, location, period, quantity], filtered by the
    database: a family's history is read, not the whole company's."""
    sales = SalesHistory
    query = sa.select(sales.item, sales.location, sales.period, sales.quantity)
    item, _, location = member.partition(ID_SEPARATOR)
    if level in ("item", "item_location"):
        query = query.where(sales.item == item)
    if level in ("family", "category"):
        codes = plan.tables["items"][["code"]].rename(columns={"code": "item"})
        keyed = hierarchy_keys(codes.assign(location=""), plan.tables)
        query = query.where(sales.item.in_(keyed.loc[keyed[level] == member, "item"].tolist()))
    if level in ("location", "item_location"):
        query = query.where(sales.location == (member if level == "location" else location))
    if level == "region":
        places = plan.tables["locations"]
        in_region = places.loc[places["region"] == member, "code"].tolist()
        query = query.where(sales.location.in_(in_region))
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=["item", "location", "period", "quantity"])


def plan_of_node(
    plan: LivePlan, level: str, member: str, title: str, sales: pd.DataFrame
) -> NodePlan:
    """`node_plan` on a live plan already read (``sales``: the sales_history table)."""
    cells = plan.cells
    mask = node_mask(cells, level, member)
    mine = cells[mask]
    months = sorted(cells["period"].unique())
    labels = [f"{pd.Timestamp(m):%Y-%m}" for m in months]

    def by_month(values: pd.Series) -> list[float]:
        summed = values.groupby(mine["period"]).sum().reindex(months, fill_value=0.0)
        return [float(v) for v in summed.to_numpy()]

    rows = [
        ("statistical", by_month(mine["baseline"])),
        ("lifecycle", by_month(mine["lifecycle_adjustment"])),
        ("events", by_month(mine["event_uplift"])),
    ]
    changes = plan.changes[mask[plan.changes["row"].to_numpy(dtype="int64")]]
    for author in dict.fromkeys(changes["author"]):
        theirs = changes[changes["author"] == author]
        per_cell = pd.Series(theirs["change"].to_numpy(), index=cells.index[theirs["row"]])
        summed = per_cell.groupby(cells.loc[per_cell.index, "period"]).sum()
        rows.append((f"override:{author}", list(summed.reindex(months, fill_value=0.0))))
    rows += [
        ("consensus", by_month(mine["consensus"])),
        ("consensus_value", by_month(mine["value"])),
    ]
    layers = pd.DataFrame([dict(zip(labels, values, strict=True)) for _, values in rows])
    keys = [key for key, _ in rows]
    layers.insert(0, "title", [layer_title(key) for key in keys])
    layers.insert(0, "layer", keys)
    currency = str(plan.version.summary.get("currency") or "")
    return NodePlan(
        plan.version,
        level,
        member,
        title,
        labels,
        layers,
        _history(sales, months[0] if months else None),
        _band(plan, level, member, months),
        _node_overrides(plan, mask),
        currency,
        CHILD_LEVEL.get(level),
    )


def layer_title(layer: str) -> str:
    """What the page calls a layer: ``override:dana`` is "Override by dana"."""
    if layer.startswith("override:"):
        return f"Override by {layer.partition(':')[2]}"
    return LAYER_TITLES.get(layer, layer)


def _history(sales: pd.DataFrame, start: object) -> pd.DataFrame:
    """Monthly sales of the node (``sales``: its rows, as `node_sales` reads them)."""
    frame = sales
    month = pd.Series(pd.to_datetime(frame["period"]).dt.to_period("M").dt.to_timestamp())
    monthly = frame["quantity"].astype("float64").groupby(month).sum()
    if start is not None:
        monthly = monthly[monthly.index < pd.Timestamp(str(start))]
    if len(monthly):  # a month without sales is a zero, not a gap in the line
        full = pd.date_range(monthly.index.min(), monthly.index.max(), freq="MS")
        monthly = monthly.reindex(full, fill_value=0.0)
    return pd.DataFrame({"period": monthly.index, "quantity": monthly.to_numpy()})


def _band(plan: LivePlan, level: str, member: str, months: list[object]) -> pd.DataFrame:
    """The prediction band of the node's statistical forecast.

    One series' band is the model's own. A node of many series has no model of its own: its
    bands' half-widths are combined as if their errors were independent (the square root of
    the sum of squares), which is narrower than adding them up (errors that all move together)."""
    baseline = plan.baseline
    levels = sorted({c.rsplit("_", 1)[1] for c in baseline.columns if c.startswith("baseline_lo_")})
    if not levels or baseline.empty:
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]")})
    cells = hierarchy_keys(baseline.copy(), plan.tables)
    cells = cells[node_mask(cells, level, member)]
    period = pd.to_datetime(cells["period"])
    out = pd.DataFrame(index=pd.DatetimeIndex(months, name="period"))
    centre = cells["baseline"].groupby(period).sum()
    for coverage in levels:
        below = (cells["baseline"] - cells[f"baseline_lo_{coverage}"]).pow(2).groupby(period)
        above = (cells[f"baseline_hi_{coverage}"] - cells["baseline"]).pow(2).groupby(period)
        out[f"lo_{coverage}"] = (centre - np.sqrt(below.sum())).clip(lower=0.0)
        out[f"hi_{coverage}"] = centre + np.sqrt(above.sum())
    return out.fillna(0.0).reset_index()


def _node_overrides(plan: LivePlan, mask: np.ndarray) -> pd.DataFrame:
    """The overrides made at a node that shares a cell (and its month) with this node."""
    overrides = plan.overrides
    if overrides.empty:
        return overrides
    node_cells = plan.cells[mask]
    keep = np.zeros(len(overrides), dtype=bool)
    months = pd.to_datetime(overrides["period"]).to_numpy(dtype="datetime64[ns]")
    for level in overrides["level"].unique():
        if level == "total":
            members = pd.Series("", index=node_cells.index)
        elif level == "item_location":
            members = bottom_id(node_cells["item"], node_cells["location"])
        else:
            members = node_cells[level].astype(str)
        present = pd.MultiIndex.from_arrays([members, node_cells["period"]]).unique()
        chosen = (overrides["level"] == level).to_numpy()
        asked = pd.MultiIndex.from_arrays(
            [overrides.loc[chosen, "member"].astype(str), months[chosen]]
        )
        keep[chosen] = asked.isin(present)
    return overrides[keep].sort_values("sequence", ascending=False)


def ancestors(session: Session, actor: Actor, level: str, member: str) -> dict[str, str]:
    """The members above a node by level: an item's family and category, an item at a
    location's item, family, category and region too, a location's region."""
    require_some(actor, Permission.read)
    tables = read_tables(session, ["items", "families", "locations"])
    item, _, location = member.partition(ID_SEPARATOR)
    found: dict[str, str] = {}
    if level in ("item", "item_location"):
        families = tables["items"].set_index("code")["family"]
        if item in families.index:
            found |= {"item": item, "family": str(families[item])}
    if level == "family":
        found["family"] = member
    if "family" in found:
        categories = tables["families"].set_index("code")["category"]
        if found["family"] in categories.index:
            found["category"] = str(categories[found["family"]])
    place = member if level == "location" else location if level == "item_location" else ""
    regions = tables["locations"].set_index("code")["region"]
    if place in regions.index:
        found |= {"location": place, "region": str(regions[place])}
    return found


def level_choices() -> dict[str, str]:
    """The levels with the words the page shows."""
    return {level: OverrideLevel(level).value.replace("_", " x ") for level in NODE_LEVELS}

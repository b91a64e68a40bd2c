"""Reading a stored demand plan: figures at any level of the hierarchy, one node's layers, and
the planning grid, each within the reader's scope.

A node's figures are read by whoever's grants cover every item x location cell under it (as an
override of it is made): a sales manager for hoses reads the HOS family, its items and their
cells, not the Garden category that also holds sprinklers, nor the total. A node out of scope
is left out of a list and refused when asked for by name; the figures shown are always the
node's whole figures, never a part summed to a scope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from oneplan.engines.demand.grid import INFO_COLUMNS, KEY_COLUMNS, planning_grid
from oneplan.engines.demand.plan import LAYERS, hierarchy_keys, rollup
from oneplan.engines.frames import ID_SEPARATOR
from oneplan.errors import NotFound, PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.demand.cells_cache import cached_cells
from oneplan.services.demand.schemas import (
    DemandPlanPage,
    DemandPlanRow,
    GridPage,
    GridRow,
    NodeLayer,
    NodeLayers,
    NodeOverride,
)
from oneplan.services.demand.service import KIND, demand_version
from oneplan.services.paging import in_months, page_records
from oneplan.services.scope import readable
from oneplan.services.versions.store import get_version, load_frames

MEASURES = [*LAYERS, "quantity", "value"]
#: A node's layers as the planning grid names them, top to bottom.
LAYER_NAMES = {
    "baseline": "statistical",
    "lifecycle_adjustment": "lifecycle",
    "event_uplift": "events",
    "override_adjustment": "overrides",
    "quantity": "consensus",
    "value": "consensus value",
}


def _cells(
    session: Session, actor: Actor, version_id: int | None
) -> tuple[int, pd.DataFrame, list[str]]:
    """The version's id, its consensus cells with their hierarchy keys, a ``readable`` mark and
    ``item_location``, and the measures it stores (a plan made by hand may hold only units)."""
    version = get_version(session, version_id, KIND)
    keyed, stored = cached_cells(
        session, version.id, version.version, lambda: _keyed_cells(session, version.id)
    )
    cells = keyed.assign(readable=readable(actor, keyed["family"], keyed["location"]))
    return version.id, cells, stored


def _keyed_cells(session: Session, version_id: int) -> tuple[pd.DataFrame, list[str]]:
    consensus = load_frames(session, version_id, ["consensus"]).get("consensus")
    if consensus is None:
        raise NotFound(f"demand plan version {version_id} holds no consensus")
    stored = [m for m in MEASURES if m in consensus.columns]
    tables = read_tables(session, ["items", "families", "locations"])
    cells = hierarchy_keys(consensus, tables)
    cells = cells.reindex(columns=[*cells.columns, *(m for m in MEASURES if m not in stored)])
    cells[MEASURES] = cells[MEASURES].astype("float64").fillna(0.0)
    cells["item_location"] = cells["item"].astype(str) + ID_SEPARATOR + cells["location"]
    return cells, stored


def _members_readable(cells: pd.DataFrame, level: str) -> pd.Series:
    """Per member of ``level``: whether every cell under it is readable."""
    keys = cells[level] if level != "total" else pd.Series("", index=cells.index)
    return cells["readable"].groupby(keys.fillna("").astype(str)).all()


def _rolled(cells: pd.DataFrame, level: str, stored: list[str]) -> pd.DataFrame:
    if level != "total":  # a code the master data does not know still has its own row
        cells = cells.assign(**{level: cells[level].fillna("").astype(str)})
    rows = rollup(cells, [level])
    for measure in MEASURES:
        if measure not in stored:
            rows[measure] = np.nan
    return rows


def demand_plan(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    level: str = "family",
    member: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> DemandPlanPage:
    """The plan's layers, units and value per member of ``level`` and month (``start`` to
    ``end``, YYYY-MM), members within the reader's scope only, by member and month."""
    found, cells, stored = _cells(session, actor, version_id)
    shown = _members_readable(cells, level)
    if member is not None:
        _require_node(shown, level, member, actor)
        shown = shown.loc[[member]]
    rows = _rolled(in_months(cells, start, end), level, stored)
    rows = rows[rows["member"].astype(str).isin(shown.index[shown])]
    rows = rows.sort_values(["member", "period"], ignore_index=True)
    items = [DemandPlanRow.model_validate(record) for record in page_records(rows, limit, offset)]
    return DemandPlanPage(
        version_id=found, level=level, items=items, total=len(rows), limit=limit, offset=offset
    )


def _require_node(shown: pd.Series, level: str, member: str, actor: Actor) -> None:
    node = "the total" if level == "total" else f"{level} {member}"
    if member not in shown.index:
        raise NotFound(f"the demand plan has no {node}")
    if not shown[member]:
        raise PermissionDenied(
            f"{actor.name} may not read the demand plan of {node}: it reaches families or "
            "locations outside their grants"
        )


def node_layers(
    session: Session,
    actor: Actor,
    *,
    level: str,
    member: str = "",
    version_id: int | None = None,
    start: str | None = None,
    end: str | None = None,
) -> NodeLayers:
    """One node's planning grid rows: the statistical forecast, each adjustment layer
    (lifecycle, events, overrides), the consensus in units and value, a column per month; and
    the overrides recorded at this node that the run applied."""
    found, cells, stored = _cells(session, actor, version_id)
    key = "" if level == "total" else member
    _require_node(_members_readable(cells, level), level, key, actor)
    rows = _rolled(in_months(cells, start, end), level, stored)
    rows = rows[rows["member"].astype(str) == key].sort_values("period")
    months = [f"{p:%Y-%m}" for p in rows["period"]]
    layers = [
        NodeLayer(
            layer=LAYER_NAMES[m],
            values=[None if pd.isna(v) else float(v) for v in rows[m]],
        )
        for m in MEASURES
    ]
    version, frames = demand_version(session, actor, found, ["overrides_applied"])
    applied = frames.get("overrides_applied")
    overrides = []
    if applied is not None and len(applied):
        here = applied[(applied["level"] == level) & (applied["member"].astype(str) == key)]
        here = in_months(here, start, end)
        overrides = [NodeOverride.model_validate(r) for r in page_records(here, len(here), 0)]
    return NodeLayers(
        version_id=version.id,
        level=level,
        member=key,
        months=months,
        layers=layers,
        overrides=overrides,
    )


def grid_rows(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    family: str | None = None,
    location: str | None = None,
    item: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> GridPage:
    """The planning grid (`oneplan demand export`'s rows): consensus units per item x location
    and month, of the cells in the reader's scope, filtered by family, location and item."""
    found, cells, _ = _cells(session, actor, version_id)
    keep = cells["readable"].to_numpy(dtype=bool)
    for column, wanted in (("family", family), ("location", location), ("item", item)):
        if wanted is not None:
            keep &= (cells[column] == wanted).to_numpy(dtype=bool)
    chosen = in_months(cells.loc[keep], start, end)
    items = read_tables(session, ["items"])["items"]
    grid = planning_grid(chosen[["item", "location", "period", "quantity"]], items)
    months = [c for c in grid.columns if c not in (*KEY_COLUMNS, *INFO_COLUMNS)]
    page = grid.iloc[offset : offset + limit]
    rows = [
        GridRow(
            item=str(r["item"]),
            location=str(r["location"]),
            description=None if pd.isna(r["description"]) else str(r["description"]),
            family=None if pd.isna(r["family"]) else str(r["family"]),
            quantities=[float(r[m]) for m in months],
        )
        for r in page.to_dict("records")
    ]
    return GridPage(
        version_id=found, months=months, items=rows, total=len(grid), limit=limit, offset=offset
    )

"""Forecast accuracy by lag and forecast value added, from every stored demand plan.

For each cycle the newest demand version counts (the plan the cycle ended with). Its layers
become snapshots for :mod:`oneplan.engines.demand.fva`:

- ``naive``: the seasonal naive forecast from sales_history before the cycle's month (what a
  planner gets for free);
- ``statistical``: the stored ``baseline`` frame (the statistical forecast);
- ``consensus``: the ``quantity`` of the stored ``consensus`` frame (after lifecycle, events and
  overrides).

Actuals are sales_history summed to months. Each author's changes are found by replaying the
cycle's ``overrides_applied`` in sequence on the stored consensus cells with the demand step's
own :func:`~oneplan.services.demand_plan.apply_overrides`, one override at a time, so every
cell change is credited to the override (and author) that made it. The ``overrides_applied``
frame alone would not do: it holds each override's change at its node, not per cell. The replay
is checked against the stored ``override_adjustment`` of every cell; a difference (possible only
when an absolute override set a node that was at zero, whose split depends on which cells the
lifecycle had closed, not stored) is credited to the author ``unattributed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.datapack import package_schema
from oneplan.db.plans import PlanVersion
from oneplan.engines.demand.fva import accuracy_by_lag, forecast_value_added, naive_snapshot
from oneplan.engines.demand.hierarchy import bottom_id
from oneplan.services.demand_plan import apply_overrides, hierarchy_keys
from oneplan.services.exports import read_tables
from oneplan.services.plans import load_frames

UNATTRIBUTED = "unattributed"
SNAPSHOT_FRAMES = ["baseline", "consensus", "overrides_applied"]


@dataclass(frozen=True)
class DemandAccuracy:
    """Accuracy by lag (``accuracy``), forecast value added (``value_added``), the versions
    measured [cycle, version_id, created_at] and the override changes per author and cell."""

    accuracy: pd.DataFrame
    value_added: pd.DataFrame
    versions: pd.DataFrame
    contributions: pd.DataFrame


def newest_per_cycle(session: Session) -> pd.DataFrame:
    """The newest demand version of each cycle: [cycle, version_id, created_at]."""
    rows = session.execute(
        sa.select(PlanVersion.cycle, PlanVersion.id, PlanVersion.created_at)
        .where(PlanVersion.kind == "demand", PlanVersion.state != "superseded")
        .order_by(PlanVersion.cycle, PlanVersion.created_at, PlanVersion.id)
    ).all()
    versions = pd.DataFrame(rows, columns=["cycle", "version_id", "created_at"])
    return versions.drop_duplicates("cycle", keep="last").reset_index(drop=True)


def demand_accuracy(
    session: Session,
    *,
    lags: Sequence[int] | None = (1, 3),
    season_length: int | None = 12,
) -> DemandAccuracy:
    """Measure every stored demand plan against the sales that have arrived since.

    ``lags`` picks the lags (months from cycle to period; None: all). The naive layer is
    seasonal with ``season_length`` (None: the last month). Levels are item x location, family
    and total.
    """
    tables = read_tables(
        session.connection(),
        package_schema(),
        ["items", "families", "locations", "sales_history"],
    )
    versions = newest_per_cycle(session)
    sales = tables["sales_history"][["item", "location", "period", "quantity"]]
    layers, changes = [], []
    for version_id, month in zip(versions["version_id"], versions["cycle"], strict=True):
        frames = load_frames(session, int(version_id), SNAPSHOT_FRAMES)
        cycle = f"{month}-01"
        layers.append(_stored_layers(frames, cycle))
        if "consensus" in frames and "overrides_applied" in frames:
            changes.append(
                author_changes(frames["consensus"], frames["overrides_applied"], tables, cycle)
            )
    horizon = _horizon(layers, lags)
    if len(versions) and len(sales):
        layers.append(
            naive_snapshot(sales, versions["cycle"], horizon, season_length=season_length)
        )
    snapshots = _with_family(pd.concat(layers, ignore_index=True), tables["items"])
    contributions = (
        pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=_CHANGE_COLUMNS)
    )
    if snapshots.empty:
        empty = pd.DataFrame()
        return DemandAccuracy(empty, empty, versions, contributions)
    accuracy = accuracy_by_lag(snapshots, sales, lags=lags)
    added = forecast_value_added(
        snapshots, sales, contributions=contributions if len(contributions) else None, lags=lags
    )
    return DemandAccuracy(accuracy, added, versions, contributions)


_SNAPSHOT_COLUMNS = ["cycle", "item", "location", "period", "layer", "quantity"]
_CHANGE_COLUMNS = ["cycle", "item", "location", "period", "author", "change"]


def _stored_layers(frames: dict[str, pd.DataFrame], cycle: str) -> pd.DataFrame:
    parts = []
    if "baseline" in frames:
        base = frames["baseline"]
        parts.append(
            base[["item", "location", "period"]].assign(
                layer="statistical", quantity=base["baseline"].astype("float64")
            )
        )
    if "consensus" in frames:
        plan = frames["consensus"]
        parts.append(
            plan[["item", "location", "period"]].assign(
                layer="consensus", quantity=plan["quantity"].astype("float64")
            )
        )
    if not parts:
        return pd.DataFrame(columns=_SNAPSHOT_COLUMNS)
    out = pd.concat(parts, ignore_index=True).assign(cycle=pd.Timestamp(cycle))
    return out[_SNAPSHOT_COLUMNS]


def _horizon(layers: list[pd.DataFrame], lags: Sequence[int] | None) -> int:
    """Naive months needed: up to the largest lag asked for, or the longest stored plan."""
    if lags is not None and len(lags):
        return max(lags) + 1
    longest = 1
    for frame in layers:
        if len(frame):
            periods = pd.to_datetime(frame["period"]).dt.to_period("M")
            cycle = pd.Timestamp(frame["cycle"].iloc[0]).to_period("M")
            longest = max(longest, int((periods - cycle).map(lambda d: d.n).max()) + 1)
    return longest


def _with_family(snapshots: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    families = items[["code", "family"]].rename(columns={"code": "item"})
    out = snapshots.merge(families, on="item", how="left")
    out["family"] = out["family"].fillna("").astype(str)
    return out


def author_changes(
    consensus: pd.DataFrame,
    applied: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    cycle: str,
) -> pd.DataFrame:
    """Each author's change to each consensus cell: [cycle, item, location, period, author,
    change], from replaying the cycle's overrides in sequence (see the module's docstring)."""
    columns = _CHANGE_COLUMNS
    if applied.empty or consensus.empty:
        return pd.DataFrame(columns=columns)
    cells = hierarchy_keys(consensus.copy(), tables)
    cells["unique_id"] = bottom_id(cells["item"], cells["location"])
    cells["ds"] = pd.to_datetime(cells["period"]).astype("datetime64[ns]")
    before_overrides = cells["baseline"] + cells["lifecycle_adjustment"] + cells["event_uplift"]
    # A cell the lifecycle zeroed (an ended item) was closed; nothing else can be told apart.
    cells["open"] = ~((cells["lifecycle_adjustment"] != 0) & (before_overrides <= 0))
    overrides = applied.rename(columns={"override_id": "id"}).sort_values("sequence")
    overrides = overrides.assign(period=pd.to_datetime(overrides["period"]))
    current = before_overrides.to_numpy(dtype="float64").copy()
    authors = overrides["author"].astype(str).to_numpy()
    names = list(dict.fromkeys(authors))
    by_author = np.zeros((len(names), len(cells)))
    # One override at a time: each one's split depends on the plan the ones before it left.
    for position in range(len(overrides)):
        change, _ = apply_overrides(cells.assign(current=current), overrides.iloc[[position]])
        by_author[names.index(authors[position])] += change
        current += change
    residual = cells["override_adjustment"].to_numpy(dtype="float64") - by_author.sum(axis=0)
    if np.abs(residual).max() > 1e-6:
        names.append(UNATTRIBUTED)
        by_author = np.vstack([by_author, residual])
    author_no, cell_no = np.nonzero(np.abs(by_author) > 1e-12)
    return pd.DataFrame(
        {
            "cycle": pd.Timestamp(cycle),
            "item": cells["item"].to_numpy()[cell_no],
            "location": cells["location"].to_numpy()[cell_no],
            "period": cells["ds"].to_numpy()[cell_no],
            "author": np.asarray(names, dtype=object)[author_no],
            "change": by_author[author_no, cell_no],
        },
        columns=columns,
    )

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
own :func:`~oneplan.engines.demand.overrides.apply_overrides`, one override at a time, so every
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

from oneplan.engines.demand.fva import (
    FVA_COLUMNS,
    accuracy_by_lag,
    forecast_value_added,
    naive_snapshot,
)
from oneplan.engines.demand.hierarchy import bottom_id
from oneplan.engines.demand.overrides import apply_overrides
from oneplan.engines.demand.plan import hierarchy_keys
from oneplan.engines.frames import month_number

UNATTRIBUTED = "unattributed"
SNAPSHOT_FRAMES = ["baseline", "consensus", "overrides_applied"]


@dataclass(frozen=True)
class DemandAccuracy:
    """Accuracy by lag (``accuracy``), forecast value added (``value_added``), the versions
    measured [cycle, version_id, created_at], the override changes per author and cell, and
    the last month with sales (``YYYY-MM``; None without sales): the months after it wait for
    sales, counted in the ``pending`` column of ``accuracy``."""

    accuracy: pd.DataFrame
    value_added: pd.DataFrame
    versions: pd.DataFrame
    contributions: pd.DataFrame
    sales_through: str | None = None


def measure_accuracy(
    snapshots: Sequence[tuple[str, dict[str, pd.DataFrame]]],
    versions: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    *,
    lags: Sequence[int] | None = (1, 3),
    season_length: int | None = 12,
) -> DemandAccuracy:
    """Measure each cycle's stored demand plan against the sales that have arrived since.

    ``snapshots`` holds, per cycle (``YYYY-MM``), the plan's frames ``baseline``, ``consensus``
    and ``overrides_applied`` (those it has); ``versions`` [cycle, version_id, created_at] says
    which versions they are; ``tables`` gives items, families, locations and sales_history.
    ``lags`` picks the lags (months from cycle to period; None: all). The naive layer is
    seasonal with ``season_length`` (None: the last month). Levels are item x location, family
    and total.
    """
    sales = tables["sales_history"][["item", "location", "period", "quantity"]]
    layers, changes = [], []
    for month, frames in snapshots:
        cycle = f"{month}-01"
        layers.append(stored_layers(frames, cycle))
        if "consensus" in frames and "overrides_applied" in frames:
            changes.append(
                author_changes(frames["consensus"], frames["overrides_applied"], tables, cycle)
            )
    horizon = _horizon(layers, lags)
    if len(versions) and len(sales):
        layers.append(
            naive_snapshot(sales, versions["cycle"], horizon, season_length=season_length)
        )
    snapshot_frame = _with_family(pd.concat(layers, ignore_index=True), tables["items"])
    contributions = (
        pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=_CHANGE_COLUMNS)
    )
    through = f"{pd.Timestamp(sales['period'].max()):%Y-%m}" if len(sales) else None
    if snapshot_frame.empty:
        empty = pd.DataFrame()
        return DemandAccuracy(empty, empty, versions, contributions, through)
    accuracy = accuracy_by_lag(snapshot_frame, sales, lags=lags)
    if not accuracy["points"].any():  # no planned month has sales yet: nothing to compare
        return DemandAccuracy(
            accuracy, pd.DataFrame(columns=FVA_COLUMNS), versions, contributions, through
        )
    added = forecast_value_added(
        snapshot_frame,
        sales,
        contributions=contributions if len(contributions) else None,
        lags=lags,
    )
    return DemandAccuracy(accuracy, added, versions, contributions, through)


_SNAPSHOT_COLUMNS = ["cycle", "item", "location", "period", "layer", "quantity"]
_CHANGE_COLUMNS = ["cycle", "item", "location", "period", "author", "change"]


def stored_layers(frames: dict[str, pd.DataFrame], cycle: str) -> pd.DataFrame:
    """A stored demand plan's ``statistical`` (``baseline``) and ``consensus`` layers as
    snapshot rows [cycle, item, location, period, layer, quantity] of cycle ``cycle``."""
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
            months = month_number(frame["period"]) - month_number(frame["cycle"].iloc[:1]).iloc[0]
            longest = max(longest, int(months.max()) + 1)
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

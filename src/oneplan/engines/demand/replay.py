"""The demand plan as the next demand run will make it: a cycle's overrides replayed on a stored
plan's cells, each author's change kept apart.

A stored demand version holds every cell's layers (baseline, lifecycle_adjustment, event_uplift,
override_adjustment). Overrides added or withdrawn since the run change only the last layer, so
replaying the cycle's overrides now, in sequence, on the plan before overrides gives the
consensus the next run will store, in milliseconds instead of a run. Each override's split
depends on the plan the ones before it left, so they are applied in order; an override touches
only its own month, so each month is replayed on that month's cells alone.

A cell the lifecycle zeroed (an ended item, a launch before its month) is closed for an absolute
override of a node at zero, as in the demand run; a stored plan cannot tell closed cells apart
otherwise, as in `oneplan.engines.pipeline.accuracy.author_changes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.demand.hierarchy import bottom_id
from oneplan.engines.demand.overrides import apply_overrides
from oneplan.engines.frames import require_columns

#: The columns `replay_overrides` needs of each cell.
CELL_COLUMNS = [
    "item",
    "location",
    "family",
    "category",
    "region",
    "period",
    "baseline",
    "lifecycle_adjustment",
    "event_uplift",
]


def replay_overrides(cells: pd.DataFrame, overrides: pd.DataFrame) -> pd.DataFrame:
    """Each author's change to each cell: [row, author, change] (non-zero changes only).

    ``cells`` [item, location, family, category, region, period, baseline,
    lifecycle_adjustment, event_uplift]; ``row`` is the position of the cell in ``cells``.
    ``overrides`` as `oneplan.services.demand.overrides.cycle_overrides` gives them [id,
    sequence, level, member, period, kind, value, author, ...].

    >>> cells = pd.DataFrame({"item": ["A", "B"], "location": ["L", "L"],
    ...     "family": ["F", "F"], "category": ["C", "C"], "region": ["R", "R"],
    ...     "period": pd.to_datetime(["2027-01-01"] * 2), "baseline": [30.0, 10.0],
    ...     "lifecycle_adjustment": 0.0, "event_uplift": 0.0})
    >>> overrides = pd.DataFrame({"id": [1], "sequence": [1], "level": ["family"],
    ...     "member": ["F"], "period": pd.to_datetime(["2027-01-01"]), "kind": ["absolute"],
    ...     "value": [80.0], "reason": ["x"], "author": ["ann"], "created_at": [None]})
    >>> replay_overrides(cells, overrides)["change"].tolist()
    [30.0, 10.0]
    """
    require_columns(cells, CELL_COLUMNS, "cells")
    columns = ["row", "author", "change"]
    if overrides.empty or cells.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, "iOf", strict=True)})
    before = (cells["baseline"] + cells["lifecycle_adjustment"] + cells["event_uplift"]).to_numpy(
        dtype="float64"
    )
    months = pd.to_datetime(cells["period"]).to_numpy(dtype="datetime64[ns]")
    closed = (cells["lifecycle_adjustment"].to_numpy() != 0) & (before <= 0)
    parts = []
    ordered = overrides.sort_values("sequence")
    periods = pd.to_datetime(ordered["period"]).to_numpy(dtype="datetime64[ns]")
    for month in np.unique(periods):
        rows = np.flatnonzero(months == month)
        if not len(rows):
            continue
        month_cells = cells.iloc[rows][["item", "location", "family", "category", "region"]]
        month_cells = month_cells.assign(
            unique_id=bottom_id(month_cells["item"], month_cells["location"]).to_numpy(),
            ds=months[rows],
            open=~closed[rows],
        )
        current = before[rows].copy()
        chosen = ordered.iloc[np.flatnonzero(periods == month)]
        # A run of one author's overrides is applied at once (apply_overrides keeps their
        # order), so a planner's hundred changes cost one pass, not a hundred.
        authors = chosen["author"].astype(str).to_numpy()
        run = np.concatenate([[0], np.cumsum(authors[1:] != authors[:-1])])
        for number in np.unique(run):
            batch = chosen.iloc[np.flatnonzero(run == number)]
            change, _ = apply_overrides(month_cells.assign(current=current), batch)
            current += change
            touched = np.flatnonzero(np.abs(change) > 1e-12)
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows[touched],
                        "author": str(batch["author"].iloc[0]),
                        "change": change[touched],
                    }
                )
            )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(columns, "iOf", strict=True)})
    changes = pd.concat(parts, ignore_index=True)
    summed: pd.DataFrame = changes.groupby(["row", "author"], as_index=False, sort=False)[
        ["change"]
    ].sum()
    return summed[columns]

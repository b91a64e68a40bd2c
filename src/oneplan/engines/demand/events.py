"""Promotions and one-time events: clean them out of history, add them back to the plan.

A past event inflated sales the baseline model must not learn; a future event adds uplift the
baseline cannot know. `expand_events` turns the ``demand_events`` table into the item x location x
month cells each event touches; `clean_history` and `apply_uplift` work on those cells.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from oneplan.engines.demand.hierarchy import bottom_id, disaggregate
from oneplan.engines.frames import month_starts, require_columns
from oneplan.errors import InputError

EVENT_KINDS = ("promotion", "one_time_event")
EXPANDED_COLUMNS = ["event", "kind", "unique_id", "item", "location", "ds"]
EXPANDED_COLUMNS += ["uplift_pct", "uplift_quantity"]
TABLE = "demand_events"


class CleanedHistory(NamedTuple):
    """History with event months replaced, and one row per replaced (unique_id, ds)."""

    history: pd.DataFrame
    changes: pd.DataFrame


class UpliftedPlan(NamedTuple):
    """The plan with ``event_uplift`` added, and each event's part per (unique_id, ds)."""

    plan: pd.DataFrame
    contributions: pd.DataFrame


def _fail(events: pd.DataFrame, bad: pd.Series, column: str | None, message: str) -> None:
    """Raise naming the first event where `bad` holds: its row, its code and the column."""
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        code = events["code"].iloc[row]
        raise InputError(f"{message} (event {code!r})", table=TABLE, column=column, row=row)


def expand_events(
    events: pd.DataFrame,
    items: pd.DataFrame,
    locations: pd.DataFrame,
    periods: Sequence[object] | pd.Series,
) -> pd.DataFrame:
    """List the cells each event touches within ``periods`` (month starts).

    ``events`` [code, kind, item?, family?, location?, start_period, end_period, uplift_pct?,
    uplift_quantity?]; ``items`` [code, family]; ``locations`` [code]. A family event touches
    every item of the family, an empty location every location. Returns [event, kind,
    unique_id, item, location, ds, uplift_pct, uplift_quantity], one row per cell.

    >>> events = pd.DataFrame({"code": ["P1"], "kind": ["promotion"], "family": ["F"],
    ...     "start_period": ["2027-02-01"], "end_period": ["2027-03-01"], "uplift_pct": [20.0]})
    >>> items = pd.DataFrame({"code": ["A", "B"], "family": ["F", "F"]})
    >>> cells = expand_events(events, items, pd.DataFrame({"code": ["L1"]}),
    ...     pd.date_range("2027-01-01", periods=4, freq="MS"))
    >>> cells[["unique_id", "ds"]].astype(str).values.tolist()
    [['A|L1', '2027-02-01'], ['A|L1', '2027-03-01'], ['B|L1', '2027-02-01'], ['B|L1', '2027-03-01']]
    """
    require_columns(events, ["code", "kind", "start_period", "end_period"], TABLE)
    require_columns(items, ["code", "family"], "items")
    require_columns(locations, ["code"], "locations")
    ev = events.copy()
    for column in ("item", "family", "location", "uplift_pct", "uplift_quantity"):
        if column not in ev:
            ev[column] = np.nan
    for column in ("item", "family", "location"):
        codes = ev[column].astype(object)
        ev[column] = codes.where(codes.notna() & (codes != ""))
    _fail(ev, ev["code"].duplicated(), "code", "appears more than once")
    _fail(ev, ~ev["kind"].isin(EVENT_KINDS), "kind", f"must be one of {EVENT_KINDS}")
    _fail(ev, ev["item"].notna() == ev["family"].notna(), None, "give exactly one of item, family")
    pct, qty = ev["uplift_pct"].notna(), ev["uplift_quantity"].notna()
    _fail(ev, pct == qty, None, "give exactly one of uplift_pct, uplift_quantity")
    _fail(ev, ev["uplift_pct"] < -100, "uplift_pct", "is below -100")
    _fail(ev, ev["uplift_quantity"] < 0, "uplift_quantity", "is negative")
    unknown = ev["item"].notna() & ~ev["item"].isin(items["code"])
    _fail(ev, unknown, "item", "is not in items")
    no_members = ev["family"].notna() & ~ev["family"].isin(items["family"])
    _fail(ev, no_members, "family", "has no items")
    nowhere = ev["location"].notna() & ~ev["location"].isin(locations["code"])
    _fail(ev, nowhere, "location", "is not in locations")
    ev["start_period"] = month_starts(ev["start_period"], table=TABLE)
    ev["end_period"] = month_starts(ev["end_period"], table=TABLE)
    _fail(ev, ev["start_period"] > ev["end_period"], "start_period", "is after end_period")

    months = pd.DataFrame({"ds": month_starts(periods, table="arguments", column="periods")})
    months = months.drop_duplicates()
    cells = ev.merge(months, how="cross")
    cells = cells[(cells["ds"] >= cells["start_period"]) & (cells["ds"] <= cells["end_period"])]
    members = items[["code", "family"]].astype(object).rename(columns={"code": "member"})
    cells = cells.merge(members, on="family", how="left")
    cells["item"] = cells["item"].fillna(cells["member"])
    every = locations[["code"]].astype(object).rename(columns={"code": "site"})
    cells = cells.merge(every, how="cross")
    cells = cells[cells["location"].isna() | (cells["location"] == cells["site"])]
    cells = cells.assign(location=cells["site"], event=cells["code"])
    cells["unique_id"] = bottom_id(cells["item"], cells["location"])
    cells = cells.sort_values(["event", "unique_id", "ds"], ignore_index=True)
    return cells[EXPANDED_COLUMNS]


def _known_baseline(frame: pd.DataFrame, marks: pd.DataFrame) -> np.ndarray:
    """Per marked row of `frame`, y with the events' known uplift taken out (NaN if unknown).

    A percent uplift divides out: baseline = (y - units) / (1 + sum of percents / 100). A
    quantity uplift is that many units per month, split over the rows it marks in proportion
    to their y (evenly where they sold nothing), and subtracted. A row any of whose events has
    no uplift given, or whose percents add up to -100 or less, has no known baseline.
    """
    hits = frame[["unique_id", "month", "y"]].reset_index(names="row")
    hits = hits.merge(marks, on=["unique_id", "month"])
    for column in ("uplift_pct", "uplift_quantity"):
        if column not in hits:
            hits[column] = np.nan
        hits[column] = pd.to_numeric(hits[column], errors="coerce")
    by_event = hits.groupby(["event", "month"])["y"]
    total, count = by_event.transform("sum"), by_event.transform("size")
    share = np.where(total > 0, hits["y"] / total.where(total > 0, 1.0), 1.0 / count)
    hits["units"] = hits["uplift_quantity"] * share
    hits["known"] = hits["uplift_pct"].notna() | hits["uplift_quantity"].notna()
    per_row = hits.groupby("row").agg(
        pct=("uplift_pct", "sum"), units=("units", "sum"), known=("known", "all")
    )
    factor = 1.0 + per_row["pct"] / 100.0
    y = frame.loc[per_row.index, "y"].astype(float)
    baseline = ((y - per_row["units"]) / factor.where(factor > 0)).clip(lower=0.0)
    baseline = baseline.where(per_row["known"])
    marked = frame.index[frame["event"].notna()]
    return np.asarray(baseline.reindex(marked), dtype=float)


def clean_history(
    history: pd.DataFrame, expanded_events: pd.DataFrame, window: int = 3
) -> CleanedHistory:
    """Take the events' uplift out of history: divide out a known uplift, else use neighbours.

    ``history`` [unique_id, ds, y] (monthly or weekly; a row is marked when its month is an event
    month of its series). Where every event on a marked row gives its uplift (``uplift_pct`` or
    ``uplift_quantity``, as `expand_events` returns them), the uplift is taken out: y / (1 +
    uplift_pct / 100), less the row's share of ``uplift_quantity``. Where an uplift is not
    known, y becomes the median of the unmarked y within ``window`` periods either side; with
    none there, the median of all the series' unmarked y; with none at all it stays.
    ``changes`` [unique_id, ds, events, y, y_cleaned, method] lists each marked row,
    ``method`` being ``known_uplift``, ``neighbour_median``, ``series_median`` or
    ``unchanged``.

    >>> hist = pd.DataFrame({"unique_id": "A|L1", "y": [10.0, 12.0, 40.0, 14.0, 16.0],
    ...     "ds": pd.date_range("2026-01-01", periods=5, freq="MS")})
    >>> spike = pd.DataFrame({"event": ["P"], "unique_id": ["A|L1"], "ds": ["2026-03-01"]})
    >>> clean_history(hist, spike).history["y"].tolist()
    [10.0, 12.0, 13.0, 14.0, 16.0]
    >>> known = spike.assign(uplift_pct=[25.0])
    >>> clean_history(hist, known).history["y"].tolist()
    [10.0, 12.0, 32.0, 14.0, 16.0]
    """
    require_columns(history, ["unique_id", "ds", "y"], "history")
    require_columns(expanded_events, ["event", "unique_id", "ds"], "expanded_events")
    if window < 1:
        message = f"must be at least 1, got {window}"
        raise InputError(message, table="arguments", column="window")
    if history.duplicated(["unique_id", "ds"]).any():
        raise InputError("has a unique_id twice in one period", table="history", column="ds")
    marks = expanded_events.assign(
        month=month_starts(expanded_events["ds"], table="expanded_events").to_numpy()
    )
    marks = marks.drop_duplicates(["unique_id", "month", "event"]).sort_values("event")
    named = marks.groupby(["unique_id", "month"], as_index=False).agg(event=("event", ",".join))
    months = month_starts(history["ds"], table="history").to_numpy()
    frame = history.reset_index(drop=True).assign(month=months)
    frame = frame.merge(named, on=["unique_id", "month"], how="left")
    marked = frame["event"].notna().to_numpy()
    uplift = [c for c in ("uplift_pct", "uplift_quantity") if c in marks]
    known = _known_baseline(frame, marks[["unique_id", "month", "event", *uplift]])

    row, series = pd.factorize(frame["unique_id"])
    col, periods = pd.factorize(frame["ds"], sort=True)
    clean = np.full((len(series), len(periods)), np.nan)
    clean[row[~marked], col[~marked]] = frame.loc[~marked, "y"].to_numpy(float)
    padded = np.pad(clean, ((0, 0), (window, window)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows fall back below
        nearby = np.nanmedian(windows[row[marked], col[marked]], axis=1)
        overall = np.nanmedian(clean, axis=1)[row[marked]]
    y = frame.loc[marked, "y"].to_numpy(float)
    replaced = np.where(np.isnan(nearby), overall, nearby)
    method = np.where(
        ~np.isnan(nearby),
        "neighbour_median",
        np.where(np.isnan(overall), "unchanged", "series_median"),
    )
    cleaned = np.where(np.isnan(replaced), y, replaced)
    method = np.where(np.isnan(known), method, "known_uplift")
    cleaned = np.where(np.isnan(known), cleaned, known)
    out = history.reset_index(drop=True).copy()
    out.loc[marked, "y"] = cleaned
    changes = frame.loc[marked, ["unique_id", "ds", "event"]].rename(columns={"event": "events"})
    changes = changes.assign(y=y, y_cleaned=cleaned, method=method).reset_index(drop=True)
    return CleanedHistory(out, changes)


def apply_uplift(
    baseline: pd.DataFrame, expanded_events: pd.DataFrame, value: str = "forecast"
) -> UpliftedPlan:
    """Add event uplift to the baseline plan in each event's cells.

    ``baseline`` [unique_id, ds, value, interval columns]; ``expanded_events`` from
    `expand_events`. ``uplift_pct`` adds that percent of each cell's baseline (overlapping events
    add up, each on the baseline); ``uplift_quantity`` adds that many units per month, split
    over the event's cells in proportion to their baseline (evenly where the baseline is zero).
    Returns the plan (``value`` and its interval columns raised, ``event_uplift`` added) and
    ``contributions`` [event, kind, unique_id, ds, uplift]. Cells outside the baseline are ignored.

    >>> base = pd.DataFrame({"unique_id": "A|L1", "forecast": [100.0, 100.0],
    ...     "ds": pd.date_range("2027-01-01", periods=2, freq="MS")})
    >>> cells = pd.DataFrame({"event": ["P"], "kind": ["promotion"], "unique_id": ["A|L1"],
    ...     "item": ["A"], "location": ["L1"], "ds": ["2027-02-01"], "uplift_pct": [20.0],
    ...     "uplift_quantity": [None]})
    >>> apply_uplift(base, cells).plan[["forecast", "event_uplift"]].values.tolist()
    [[100.0, 0.0], [120.0, 20.0]]
    """
    require_columns(baseline, ["unique_id", "ds", value], "baseline")
    require_columns(expanded_events, EXPANDED_COLUMNS, "expanded_events")
    if baseline.duplicated(["unique_id", "ds"]).any():
        raise InputError("has a unique_id twice in one period", table="baseline", column="ds")
    plan = baseline.reset_index(drop=True).copy()
    plan["month"] = month_starts(plan["ds"], table="baseline").to_numpy()
    cells = expanded_events.drop(columns=["item", "location"]).rename(columns={"ds": "month"})
    cells["month"] = month_starts(cells["month"], table="expanded_events", column="ds").to_numpy()
    cells = cells.merge(plan[["unique_id", "month", "ds", value]], on=["unique_id", "month"])
    by_pct = cells["uplift_pct"].notna()
    cells["uplift"] = cells[value] * cells["uplift_pct"].fillna(0.0) / 100.0
    units = cells.loc[~by_pct].rename(columns={value: "baseline"})
    if len(units):
        per_event = units.groupby(["event", "month"], as_index=False).agg(
            change=("uplift_quantity", "first")
        )
        split = disaggregate(per_event, units.assign(uplift=0.0), ["event", "month"], "baseline")
        cells.loc[~by_pct, "uplift"] = split["change"].to_numpy()
    contributions = cells[["event", "kind", "unique_id", "ds", "uplift"]].reset_index(drop=True)
    total = contributions.groupby(["unique_id", "ds"], as_index=False)["uplift"].sum()
    plan = plan.drop(columns="month").merge(total, on=["unique_id", "ds"], how="left")
    plan["event_uplift"] = plan["uplift"].fillna(0.0)
    plan = plan.drop(columns="uplift")
    shifted = [
        c for c in plan.columns if c == value or c.startswith((f"{value}-lo-", f"{value}-hi-"))
    ]
    for column in shifted:
        plan[column] = plan[column] + plan["event_uplift"]
    return UpliftedPlan(plan, contributions)

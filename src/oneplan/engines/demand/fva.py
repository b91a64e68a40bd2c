"""Forecast accuracy by lag and forecast value added (FVA) of each layer of the demand plan.

A *snapshot* is what a cycle's plan said: [cycle, item, location, period, layer, quantity] with
``cycle`` the month start of the S&OP cycle that made it and ``layer`` one of ``naive``,
``statistical``, ``consensus`` (or any other name). The *lag* of a row is the number of months
from its cycle to its period: the plan made in cycle 2027-01 for 2027-02 is lag 1, for 2027-01
lag 0. Actuals [item, location, period, quantity] are monthly sales as they arrive.

Error measures per layer and lag, with ``f`` the forecast and ``a`` the actual of each point
(a point is one cell, family or total in one cycle and period, by level):

- ``wape`` = sum |f - a| / sum |a|
- ``bias`` = sum (f - a) / sum a  (positive: the plan was too high)
- ``mape`` = mean |f - a| / |a| over points with a != 0

Forecast value added of a layer is what it takes off the error of the layer before it:
``value_added = wape(previous) - wape(layer)`` (``error_change`` is its negative). An author's
value added is ``wape(consensus without the author's changes) - wape(consensus)``. Positive
means the step helped.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from oneplan.engines.demand.accuracy import accuracy_table
from oneplan.engines.frames import month_number, month_starts, numeric, require_columns
from oneplan.errors import InputError

LAYER_ORDER = ("naive", "statistical", "consensus")
SNAPSHOT_COLUMNS = ("cycle", "item", "location", "period", "layer", "quantity")
ACTUAL_COLUMNS = ("item", "location", "period", "quantity")
CONTRIBUTION_COLUMNS = ("cycle", "item", "location", "period", "author", "change")
ACCURACY_COLUMNS = ["level", "layer", "lag", "wape", "bias", "mape", "points", "actual", "pending"]
FVA_COLUMNS = [
    "level",
    "lag",
    "kind",
    "layer",
    "compared_with",
    "error_before",
    "error_after",
    "error_change",
    "value_added",
]
_WITHOUT = "consensus without "


def _month_number(months: pd.Series) -> np.ndarray:
    numbers: np.ndarray = month_number(months).to_numpy(dtype="int64")
    return numbers


def monthly_actuals(
    actuals: pd.DataFrame, keys: Sequence[str] = ("item", "location")
) -> pd.DataFrame:
    """Actuals summed to month starts per ``keys``: [*keys, period, quantity].

    >>> a = pd.DataFrame({"item": ["A", "A"], "location": ["L", "L"],
    ...     "period": ["2027-01-04", "2027-01-18"], "quantity": [2.0, 3.0]})
    >>> monthly_actuals(a)["quantity"].tolist()
    [5.0]
    """
    require_columns(actuals, [*keys, "period", "quantity"], "actuals")
    frame = actuals[[*keys, "quantity"]].copy()
    frame["period"] = month_starts(actuals["period"], table="actuals", required=True)
    frame["quantity"] = numeric(actuals, "quantity", "actuals")
    summed: pd.DataFrame = frame.groupby([*keys, "period"], as_index=False, sort=True)[
        ["quantity"]
    ].sum()
    return summed


def _cells(
    snapshots: pd.DataFrame,
    actuals: pd.DataFrame,
    by: Sequence[str],
    lags: Sequence[int] | None,
    contributions: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """One row per cycle, period and ``by`` cell that has arrived: the actual and one column
    per layer (0 where a layer has no row). Also the layer names and the pending counts."""
    keys = list(by)
    require_columns(
        snapshots, [*SNAPSHOT_COLUMNS[:1], *keys, "period", "layer", "quantity"], "snapshots"
    )
    snap = snapshots[[*keys, "layer"]].copy()
    snap["cycle"] = month_starts(snapshots["cycle"], table="snapshots", required=True)
    snap["period"] = month_starts(snapshots["period"], table="snapshots", required=True)
    snap["quantity"] = numeric(snapshots, "quantity", "snapshots")
    snap["lag"] = _month_number(snap["period"]) - _month_number(snap["cycle"])
    snap = snap[snap["lag"] >= 0] if lags is None else snap[snap["lag"].isin(list(lags))]
    monthly = monthly_actuals(actuals, keys)
    last = monthly["period"].max() if len(monthly) else pd.NaT
    arrived = snap["period"] <= last if len(monthly) else pd.Series(False, index=snap.index)
    pending = snap[~arrived].groupby(["layer", "lag"]).size().rename("pending").reset_index()
    snap = snap[arrived]
    layers = [x for x in LAYER_ORDER if x in set(snap["layer"])]
    layers += sorted(set(snap["layer"]) - set(layers))
    index = ["cycle", "period", "lag", *keys]
    wide = snap.pivot_table(index=index, columns="layer", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=layers).reset_index()
    # Sales in a cell no layer planned still count: they are demand every layer missed.
    windows = snap[["cycle", "period", "lag"]].drop_duplicates()
    sold = windows.merge(monthly.rename(columns={"quantity": "actual"}), on="period")
    cells = wide.merge(sold, on=index, how="outer")
    if contributions is not None:
        if "consensus" not in set(snapshots["layer"]):
            message = "needs a 'consensus' layer to measure override authors"
            raise InputError(message, table="snapshots", column="layer")
        # Until sales arrive for a month the consensus planned, no author can be measured yet.
        if "consensus" in cells.columns:
            cells = _without_authors(cells, contributions, keys)
    measures = [c for c in cells.columns if c not in index]
    cells[measures] = cells[measures].astype("float64").fillna(0.0)
    cells.columns.name = None
    return cells, [c for c in measures if c != "actual"], pending


def _without_authors(
    cells: pd.DataFrame, contributions: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    """Add one column per author: the consensus with that author's changes taken out."""
    require_columns(contributions, [*keys, "cycle", "period", "author", "change"], "contributions")
    changes = contributions[[*keys, "author"]].copy()
    changes["cycle"] = month_starts(contributions["cycle"], table="contributions", required=True)
    changes["period"] = month_starts(contributions["period"], table="contributions", required=True)
    changes["change"] = numeric(contributions, "change", "contributions")
    changes["author"] = changes["author"].astype(str)
    index = ["cycle", "period", *keys]
    by_author = changes.pivot_table(index=index, columns="author", values="change", aggfunc="sum")
    merged = cells.merge(by_author.reset_index(), on=index, how="left")
    for author in by_author.columns:
        change = merged[author].astype("float64").fillna(0.0)
        merged[_WITHOUT + str(author)] = merged["consensus"].fillna(0.0) - change
    return merged.drop(columns=list(by_author.columns))


def _score(cells: pd.DataFrame, layers: list[str], by: Sequence[str]) -> pd.DataFrame:
    """WAPE, bias and MAPE per level, layer and lag: cells, then family and total sums."""
    levels: list[tuple[str, list[str]]] = [("item", list(by))]
    if "family" in cells.columns:
        levels.append(("family", ["family"]))
    levels.append(("total", []))
    measures = ["actual", *layers]
    parts = []
    for level, keys in levels:
        summed = cells.groupby(["cycle", "period", "lag", *keys], sort=False)[measures].sum()
        long = summed.reset_index().melt(
            id_vars=["cycle", "period", "lag", *keys, "actual"],
            value_vars=layers,
            var_name="layer",
            value_name="forecast",
        )
        table = accuracy_table(long, by=("layer", "lag"), actual="actual")
        counts = long.groupby(["layer", "lag"], sort=True).agg(
            points=("actual", "size"), actual=("actual", "sum")
        )
        table = table.merge(counts.reset_index(), on=["layer", "lag"])
        parts.append(table.assign(level=level))
    return pd.concat(parts, ignore_index=True)


def _ordered(table: pd.DataFrame, layers: list[str]) -> pd.DataFrame:
    rank = {name: i for i, name in enumerate(layers)}
    levels = {"item": 0, "family": 1, "total": 2}
    order = np.lexsort(
        (table["lag"], table["layer"].map(rank).to_numpy(), table["level"].map(levels).to_numpy())
    )
    return table.iloc[order].reset_index(drop=True)


def accuracy_by_lag(
    snapshots: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    by: Sequence[str] = ("item", "location"),
    lags: Sequence[int] | None = (1, 3),
) -> pd.DataFrame:
    """WAPE, bias and MAPE of every layer at each lag and level, against the actuals so far.

    Levels: ``item`` (errors of the cells named by ``by``), ``family`` (sums per family and
    month, when the snapshots carry a ``family`` column) and ``total``. A cell with sales but no
    row in a layer counts as a forecast of 0. Snapshot rows for months without actuals yet are
    left out and counted in ``pending``. ``lags=None`` keeps every lag.

    Returns [level, layer, lag, wape, bias, mape, points, actual, pending].

    >>> snaps = pd.DataFrame({"cycle": "2027-01", "item": "A", "location": "L",
    ...     "period": ["2027-02", "2027-03"], "layer": "consensus", "quantity": [12.0, 9.0]})
    >>> sales = pd.DataFrame({"item": "A", "location": "L", "period": ["2027-02"],
    ...     "quantity": [10.0]})
    >>> table = accuracy_by_lag(snaps, sales, lags=(1, 2))
    >>> table[["level", "lag", "wape", "pending"]].values.tolist()
    [['item', 1, 0.2, 0], ['item', 2, nan, 1], ['total', 1, 0.2, 0], ['total', 2, nan, 1]]
    """
    cells, layers, pending = _cells(_with_family(snapshots), actuals, by, lags)
    cells = _family_of_cells(cells, snapshots, by)
    table = _score(cells, layers, by) if len(cells) else pd.DataFrame(columns=ACCURACY_COLUMNS)
    # A lag whose months have no actuals yet still gets a row: no figures, only its count.
    levels = ["item", *(["family"] if "family" in snapshots.columns else []), "total"]
    waiting = pending.merge(pd.DataFrame({"level": levels}), how="cross")
    table = table.drop(columns="pending", errors="ignore").merge(
        waiting, on=["level", "layer", "lag"], how="outer"
    )
    # (float first: with nothing arrived yet, these columns come out of the merge as objects)
    for column in ("pending", "points"):
        table[column] = table[column].astype("float64").fillna(0).astype("int64")
    table["actual"] = table["actual"].astype("float64").fillna(0.0)
    table["lag"] = table["lag"].astype("int64")
    named = [x for x in LAYER_ORDER if x in set(table["layer"])]
    named += sorted(set(table["layer"]) - set(named))
    return _ordered(table[ACCURACY_COLUMNS], named)


def _with_family(snapshots: pd.DataFrame) -> pd.DataFrame:
    return snapshots.drop(columns="family") if "family" in snapshots.columns else snapshots


def _family_of_cells(
    cells: pd.DataFrame, snapshots: pd.DataFrame, by: Sequence[str]
) -> pd.DataFrame:
    """Carry each cell's family from the snapshots (sales-only cells of the same keys too)."""
    if "family" not in snapshots.columns:
        return cells
    keys = [k for k in by if k != "family"]
    families = snapshots[[*keys, "family"]].drop_duplicates(keys)
    out = cells.merge(families, on=keys, how="left")
    out["family"] = out["family"].fillna("").astype(str)
    return out


def forecast_value_added(
    snapshots: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    contributions: pd.DataFrame | None = None,
    by: Sequence[str] = ("item", "location"),
    lags: Sequence[int] | None = (1, 3),
    metric: str = "wape",
) -> pd.DataFrame:
    """What each layer, and each override author, adds to (or takes from) accuracy.

    Layers are compared in the order naive -> statistical -> consensus (other layers follow by
    name). With ``contributions`` [cycle, item, location, period, author, change] each author is
    compared as ``consensus without <author>`` (consensus minus the author's changes) against
    the consensus. ``metric`` is ``wape`` or ``mape``.

    Returns [level, lag, kind, layer, compared_with, error_before, error_after, error_change,
    value_added] with ``kind`` "layer" or "author" and ``value_added = error_before -
    error_after`` (positive: the step made the plan better).

    >>> snaps = pd.DataFrame({"cycle": "2027-01", "item": "A", "location": "L",
    ...     "period": "2027-02", "layer": ["naive", "consensus"], "quantity": [6.0, 9.0]})
    >>> sales = pd.DataFrame({"item": ["A"], "location": ["L"], "period": ["2027-02"],
    ...     "quantity": [10.0]})
    >>> added = forecast_value_added(snaps, sales, lags=(1,))
    >>> added.loc[0, "layer"], round(float(added.loc[0, "value_added"]), 3)
    ('consensus', 0.3)
    """
    if metric not in {"wape", "mape"}:
        message = f"must be 'wape' or 'mape', got {metric!r}"
        raise InputError(message, table="arguments", column="metric")
    cells, layers, _ = _cells(_with_family(snapshots), actuals, by, lags, contributions)
    cells = _family_of_cells(cells, snapshots, by)
    scored = _score(cells, layers, by).set_index(["level", "lag", "layer"])[metric]
    real = [x for x in layers if not x.startswith(_WITHOUT)]
    steps = [(before, after, "layer") for before, after in itertools.pairwise(real)]
    steps += [(x, "consensus", "author") for x in layers if x.startswith(_WITHOUT)]
    parts = []
    for before, after, kind in steps:
        errors = pd.DataFrame(
            {
                "error_before": scored.xs(before, level="layer"),
                "error_after": scored.xs(after, level="layer"),
            }
        ).reset_index()
        name = before[len(_WITHOUT) :] if kind == "author" else after
        parts.append(errors.assign(kind=kind, layer=name, compared_with=before))
    if not parts:
        return pd.DataFrame(columns=FVA_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    table["error_change"] = table["error_after"] - table["error_before"]
    table["value_added"] = -table["error_change"]
    levels = table["level"].map({"item": 0, "family": 1, "total": 2})
    table = table.assign(_level=levels).sort_values(["_level", "lag"], kind="stable")
    return table[FVA_COLUMNS].reset_index(drop=True)


def naive_snapshot(
    history: pd.DataFrame,
    cycles: Sequence[str] | pd.Series,
    horizon: int,
    *,
    season_length: int | None = 12,
) -> pd.DataFrame:
    """The naive layer each cycle would have had: from sales strictly before the cycle's month.

    Seasonal naive (``season_length`` months back, repeated as far as needed so the source month
    lies before the cycle); a series without sales that far back takes the last month before the
    cycle instead (plain naive, also used when ``season_length`` is None). A series counts from
    its first sale; months without sales after it are zero demand. Covers lags 0 ..
    ``horizon - 1``. ``history`` is [item, location, period, quantity] in any time bucket.

    Returns [cycle, item, location, period, layer, quantity] with layer "naive".

    >>> h = pd.DataFrame({"item": "A", "location": "L",
    ...     "period": pd.date_range("2026-01-01", periods=12, freq="MS"),
    ...     "quantity": [float(m) for m in range(1, 13)]})
    >>> naive_snapshot(h, ["2027-01"], 3)["quantity"].tolist()
    [1.0, 2.0, 3.0]
    >>> naive_snapshot(h, ["2027-01"], 2, season_length=None)["quantity"].tolist()
    [12.0, 12.0]
    """
    if horizon < 1:
        message = f"must be at least 1, got {horizon}"
        raise InputError(message, table="arguments", column="horizon")
    monthly = monthly_actuals(history)
    cycle_months = month_starts(list(cycles), table="arguments", column="cycles", required=True)
    cycle_months = cycle_months.drop_duplicates()
    columns = list(SNAPSHOT_COLUMNS)
    if monthly.empty or cycle_months.empty:
        return pd.DataFrame(columns=columns)
    series = monthly[["item", "location"]].drop_duplicates(ignore_index=True)
    row = monthly.merge(series.reset_index(), on=["item", "location"])["index"].to_numpy()
    month = _month_number(monthly["period"])
    first_month = month.min()
    cycle_no = _month_number(cycle_months)
    width = int(max(month.max(), cycle_no.max()) - first_month + 1)
    sales = np.zeros((len(series), width))
    np.add.at(sales, (row, month - first_month), monthly["quantity"].to_numpy())
    started = np.full(len(series), width, dtype="int64")
    np.minimum.at(started, row, month - first_month)

    lag = np.arange(horizon)
    target = cycle_no[:, None] - first_month + lag[None, :]  # cycles x lags, as column numbers
    last = np.broadcast_to(cycle_no[:, None] - first_month - 1, target.shape)
    if season_length is None:
        source = last
    else:
        back = season_length * ((lag + season_length) // season_length)  # ceil((lag+1)/season)
        source = target - back[None, :]
    # series x cycles x lags; a source month before a series' first sale falls back to naive
    seasonal_ok = source[None, :, :] >= started[:, None, None]
    chosen = np.where(seasonal_ok, source[None, :, :], last[None, :, :])
    values = sales[np.arange(len(series))[:, None, None], np.clip(chosen, 0, width - 1)]
    known = np.broadcast_to((last[None, :, :] >= started[:, None, None]), values.shape)
    s_idx, c_idx, l_idx = np.nonzero(known)
    target_no = cycle_no[c_idx] + l_idx
    out = pd.DataFrame(
        {
            "cycle": cycle_months.to_numpy()[c_idx],
            "item": series["item"].to_numpy()[s_idx],
            "location": series["location"].to_numpy()[s_idx],
            "period": _month_start(target_no).to_numpy(),
            "layer": "naive",
            "quantity": values[s_idx, c_idx, l_idx],
        }
    )
    return out.sort_values(["cycle", "item", "location", "period"], ignore_index=True)[columns]


def _month_start(month_number: np.ndarray) -> pd.Series:
    parts = {"year": month_number // 12, "month": month_number % 12 + 1, "day": 1}
    starts: pd.Series = pd.to_datetime(pd.DataFrame(parts)).astype("datetime64[ns]")
    return starts

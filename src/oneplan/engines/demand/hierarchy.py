"""Coherent demand across the S&OP hierarchy: summing structure, reconciliation, proportional split.

A bottom series is one item at one location, named ``"ITEM|LOC"``. Aggregate nodes carry their
level in the name (``"total"``, ``"family:F1"``, ``"region:EU|family:F1"``) so that a family and a
region that share a code never collide. Reconciliation itself is hierarchicalforecast's; this
module builds its inputs, checks them and turns its output back into planner-facing frames.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from oneplan.engines.frames import ID_SEPARATOR, require_columns
from oneplan.errors import InputError

# Aggregate levels, top first; each names the bottom columns that identify its nodes.
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "total": (),
    "category": ("category",),
    "family": ("family",),
    "item": ("item",),
    "region": ("region",),
    "location": ("location",),
    "region/category": ("region", "category"),
    "region/family": ("region", "family"),
}
BOTTOM_LEVEL = "item/location"
DEFAULT_LEVELS = ("total", "category", "family", "item", "region", "location", "region/family")
# The nested chain that top-down splits along (a grouped structure has no single path down).
TREE_LEVELS = ("total", "category", "family", "item", BOTTOM_LEVEL)
METHODS = ("bottom_up", "top_down", "mint_shrink", "mint_ols")
PROPORTIONS = ("average_proportions", "forecast_proportions")
INTERVALS = ("normality", "bootstrap")


def bottom_id(item: pd.Series, location: pd.Series) -> pd.Series:
    """Name bottom series ``ITEM|LOC``.

    >>> bottom_id(pd.Series(["A"]), pd.Series(["L1"])).tolist()
    ['A|L1']
    """
    return item.astype(str) + ID_SEPARATOR + location.astype(str)


def split_bottom_id(unique_id: pd.Series, *, table: str = "input") -> pd.DataFrame:
    """Split ``ITEM|LOC`` names into ``item`` and ``location`` columns.

    ``table`` names the frame the names come from, for the error a name without ``|`` raises.

    >>> split_bottom_id(pd.Series(["A|L1"])).to_dict("records")
    [{'item': 'A', 'location': 'L1'}]
    """
    codes, distinct = pd.factorize(unique_id.astype(str))  # split each distinct name once
    names = pd.Series(distinct, dtype=object)
    bad = ~names.str.contains(ID_SEPARATOR, regex=False)
    if bad.any():
        message = f"{names[bad].iloc[0]!r} is not 'ITEM{ID_SEPARATOR}LOCATION'"
        raise InputError(message, table=table, column="unique_id")
    parts = names.str.split(ID_SEPARATOR, n=1, regex=False)
    item, location = parts.str[0].to_numpy(), parts.str[1].to_numpy()
    return pd.DataFrame({"item": item[codes], "location": location[codes]})


@dataclass(frozen=True)
class HierarchyStructure:
    """The summing structure: ``summing @ bottom = every node``.

    ``nodes`` [unique_id, hierarchy_level] lists the rows of ``summing`` (bottom last),
    ``bottom`` [unique_id, item, location, family, category, region] its columns, ``tags`` maps
    each level name to its node ids (hierarchicalforecast's ``tags``).
    """

    summing: sparse.csr_matrix
    nodes: pd.DataFrame
    bottom: pd.DataFrame
    tags: dict[str, np.ndarray]

    def smatrix(self) -> Any:
        """The structure as hierarchicalforecast's ``SMatrix`` (sparse, labelled)."""
        from hierarchicalforecast.utils import SMatrix

        ids, bottom = self.nodes["unique_id"].to_numpy(), self.bottom["unique_id"].to_numpy()
        return SMatrix(sparse_matrix=self.summing, row_labels=ids, col_labels=bottom)


def _node_names(bottom: pd.DataFrame, level: str) -> pd.Series:
    """The node of ``level`` that each bottom series rolls up to."""
    if level == BOTTOM_LEVEL:
        return bottom["unique_id"]
    keys = LEVEL_KEYS[level]
    node = pd.Series("total", index=bottom.index)
    if keys:
        node = bottom[keys[0]].radd(f"{keys[0]}:")
        for key in keys[1:]:
            node = node + f"{ID_SEPARATOR}{key}:" + bottom[key]
    return node


def build_structure(
    items: pd.DataFrame,
    locations: pd.DataFrame,
    bottom: pd.DataFrame,
    levels: Sequence[str] = DEFAULT_LEVELS,
) -> HierarchyStructure:
    """Build the summing structure for ``levels`` above the item x location series in ``bottom``.

    ``items`` [item, family, category], ``locations`` [location, region],
    ``bottom`` [item, location] (the series that are planned).

    >>> items = pd.DataFrame({"item": ["A", "B"], "family": ["F", "F"], "category": ["C", "C"]})
    >>> locations = pd.DataFrame({"location": ["L1"], "region": ["EU"]})
    >>> s = build_structure(items, locations, items[["item"]].assign(location="L1"), ["total"])
    >>> s.nodes["unique_id"].tolist(), s.summing.toarray().tolist()
    (['total', 'A|L1', 'B|L1'], [[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    """
    unknown = [lv for lv in levels if lv not in LEVEL_KEYS]
    if unknown:
        message = f"has unknown level {unknown[0]!r}; use any of {list(LEVEL_KEYS)}"
        raise InputError(message, table="arguments", column="levels")
    require_columns(items, ["item", "family", "category"], "items")
    require_columns(locations, ["location", "region"], "locations")
    require_columns(bottom, ["item", "location"], "bottom")
    items = items[["item", "family", "category"]].astype(str)
    locations = locations[["location", "region"]].astype(str)
    for frame, name, key in ((items, "items", "item"), (locations, "locations", "location")):
        twice = frame[key].duplicated().to_numpy()
        if twice.any():
            row = int(np.argmax(twice))
            message = f"{frame[key].iloc[row]!r} appears more than once"
            raise InputError(message, table=name, column=key, row=row)
    per_family = items.groupby("family")["category"].nunique()
    if (per_family > 1).any():
        message = f"family {per_family.idxmax()!r} has more than one category"
        raise InputError(message, table="items", column="category")
    series = bottom[["item", "location"]].astype(str).drop_duplicates()
    for key in ("item", "location"):
        odd = series[key].str.contains(ID_SEPARATOR, regex=False)
        if odd.any():
            # the separator joins item and location into one series name
            message = (
                f"{series[key][odd].iloc[0]!r} contains {ID_SEPARATOR!r}, which codes must not"
            )
            raise InputError(message, table="bottom", column=key)
    series = series.merge(items, on="item", how="left").merge(locations, on="location", how="left")
    for key, master in (("family", "item"), ("region", "location")):
        lost = series.loc[series[key].isna(), master]
        if len(lost):
            message = f"{lost.iloc[0]!r} is not in {master}s"
            raise InputError(message, table="bottom", column=master)
    series["unique_id"] = bottom_id(series["item"], series["location"])
    series = series.sort_values("unique_id", ignore_index=True)
    series = series[["unique_id", "item", "location", "family", "category", "region"]]

    blocks, tags = [], {}
    columns = np.arange(len(series))
    for level in [*(lv for lv in LEVEL_KEYS if lv in levels), BOTTOM_LEVEL]:
        # Bottom names are sorted like `series`, so the last block is the identity.
        codes, names = pd.factorize(_node_names(series, level), sort=True)
        shape = (len(names), len(series))
        blocks.append(sparse.csr_matrix((np.ones(len(series)), (codes, columns)), shape))
        tags[level] = np.asarray(names, dtype=object)
    sizes = [len(names) for names in tags.values()]
    nodes = pd.DataFrame(
        {
            "unique_id": np.concatenate(list(tags.values())),
            "hierarchy_level": np.repeat(list(tags), sizes),
        }
    )
    return HierarchyStructure(sparse.vstack(blocks, format="csr"), nodes, series, tags)


def _wide(frame: pd.DataFrame, ids: np.ndarray, column: str, name: str) -> tuple[Any, pd.Index]:
    """Pivot ``column`` to a (len(ids), periods) array in ``ids`` order; absent cells are NaN."""
    row = pd.Index(ids).get_indexer(pd.Index(frame["unique_id"]))
    if (row < 0).any():
        bad = frame["unique_id"].to_numpy()[row < 0][0]
        message = f"{bad!r} is not a node of the hierarchy"
        raise InputError(message, table=name, column="unique_id")
    col, periods = pd.factorize(frame["ds"], sort=True)
    if pd.Series(row * len(periods) + col).duplicated().any():
        raise InputError("has a unique_id twice in one month", table=name, column="ds")
    out = np.full((len(ids), len(periods)), np.nan)
    out[row, col] = frame[column].to_numpy(dtype=float)
    return out, pd.Index(periods)


def _long(values: np.ndarray, ids: np.ndarray, periods: pd.Index, column: str) -> pd.DataFrame:
    index = pd.MultiIndex.from_product([pd.Index(ids), periods], names=["unique_id", "ds"])
    return pd.DataFrame({column: values.reshape(-1)}, index=index).reset_index()


def aggregate_history(history: pd.DataFrame, structure: HierarchyStructure) -> pd.DataFrame:
    """Sum bottom history [unique_id, ds, y] up to every node; a missing month counts as zero.

    The result [unique_id, ds, y, hierarchy_level] is what each node's base model is fitted on.

    >>> items = pd.DataFrame({"item": ["A", "B"], "family": ["F", "F"], "category": ["C", "C"]})
    >>> s = build_structure(items, pd.DataFrame({"location": ["L"], "region": ["R"]}),
    ...                     items[["item"]].assign(location="L"), ["total"])
    >>> h = pd.DataFrame({"unique_id": ["A|L", "B|L"], "ds": ["2027-01-01"] * 2, "y": [2.0, 3.0]})
    >>> aggregate_history(h, s)["y"].tolist()
    [5.0, 2.0, 3.0]
    """
    require_columns(history, ["unique_id", "ds", "y"], "history")
    wide, periods = _wide(history, structure.bottom["unique_id"].to_numpy(), "y", "history")
    totals = structure.summing @ np.nan_to_num(wide)
    out = _long(totals, structure.nodes["unique_id"].to_numpy(), periods, "y")
    out["hierarchy_level"] = np.repeat(structure.nodes["hierarchy_level"].to_numpy(), len(periods))
    return out


def _interval_columns(levels: Sequence[int]) -> list[str]:
    return [f"forecast-{side}-{lv}" for lv in levels for side in ("lo", "hi")]


def reconcile(
    base_forecasts: pd.DataFrame,
    history: pd.DataFrame | None,
    structure: HierarchyStructure,
    method: str = "mint_shrink",
    levels: Sequence[int] = (80, 95),
    *,
    proportions: str = "average_proportions",
    nonnegative: bool = False,
    intervals_method: str = "normality",
    dense_node_limit: int = 2000,
) -> pd.DataFrame:
    """Make base forecasts of every node coherent: each parent equals the sum of its children.

    ``base_forecasts`` [unique_id, ds, forecast, forecast-lo-L, forecast-hi-L per L in ``levels``]
    holds one forecast per node of ``structure`` and month. ``history``
    [unique_id, ds, y, fitted] holds each node's actuals and its base model's in-sample fitted
    values; it is needed by ``mint_shrink`` (residual covariance), by ``top_down`` with
    ``average_proportions`` (y only) and by ``intervals_method="bootstrap"``; else it may be None.

    ``method``: ``bottom_up``, ``top_down`` (split the total down total > category > family >
    item > item x location with ``proportions``), ``mint_shrink`` or ``mint_ols``.
    Returns [unique_id, hierarchy_level, ds, base_forecast, forecast, interval columns].
    Intervals (except top-down's), ``mint_shrink`` and ``nonnegative`` work on dense node x node
    matrices and refuse structures above ``dense_node_limit`` nodes.
    """
    given = {"method": method, "proportions": proportions, "intervals_method": intervals_method}
    for (name, value), allowed in zip(
        given.items(), (METHODS, PROPORTIONS, INTERVALS), strict=True
    ):
        if value not in allowed:
            message = f"{value!r} is not one of {allowed}"
            raise InputError(message, table="arguments", column=name)
    if method == "top_down" and "total" not in structure.tags:
        message = "'top_down' needs the 'total' level in the structure"
        raise InputError(message, table="arguments", column="method")
    levels = sorted(levels)
    intervals = _interval_columns(levels)
    require_columns(base_forecasts, ["unique_id", "ds", "forecast", *intervals], "base_forecasts")
    all_ids = structure.nodes["unique_id"].to_numpy()
    base: dict[str, np.ndarray] = {}
    for column in ["forecast", *intervals]:
        base[column], periods = _wide(base_forecasts, all_ids, column, "base_forecasts")
        if np.isnan(base[column]).any():
            row, col = np.argwhere(np.isnan(base[column]))[0]
            message = (
                f"is missing for node {all_ids[row]!r} at {periods[col]} "
                "(every node needs a base forecast for every month)"
            )
            raise InputError(message, table="base_forecasts", column=column)
    if method == "top_down":
        bottom_values = _top_down(base["forecast"], history, structure, proportions)
    else:
        dense = method == "mint_shrink" or nonnegative or bool(levels)
        if dense and len(all_ids) > dense_node_limit:
            message = (
                f"has {len(all_ids)} nodes, above dense_node_limit={dense_node_limit}; "
                f"{method} with intervals, mint_shrink and nonnegative work on dense node x node "
                "matrices. Reconcile each category apart, or use levels=() or top_down"
            )
            raise InputError(message, table="structure")
        options = (method, levels, nonnegative, intervals_method)
        bottom_values, library = _library(base, all_ids, periods, history, structure, *options)
    # Every node is rebuilt from the reconciled bottom, so parents add up exactly.
    values = structure.summing @ bottom_values
    out = _long(values, all_ids, periods, "forecast")
    level_of = structure.nodes["hierarchy_level"].to_numpy()
    out.insert(1, "hierarchy_level", np.repeat(level_of, len(periods)))
    out.insert(3, "base_forecast", base["forecast"].reshape(-1))
    if method == "top_down":
        # All uncertainty comes from the top: a node's interval is its share of the total's.
        share = np.divide(values, values[0], out=np.zeros_like(values), where=values[0] != 0)
        for column in intervals:
            out[column] = (share * base[column][0]).reshape(-1)
    else:
        for column in intervals:
            out[column] = _wide(library, all_ids, column, "reconciled")[0].reshape(-1)
    return out


def _top_down(
    base: np.ndarray, history: pd.DataFrame | None, structure: HierarchyStructure, proportions: str
) -> np.ndarray:
    """Split the total's base forecast to the bottom (bottom x periods), vectorised per level."""
    bottom = structure.bottom
    if proportions == "average_proportions":
        if history is None:
            message = "is needed by top_down with average_proportions (the bottom series' sales)"
            raise InputError(message, table="history")
        require_columns(history, ["unique_id", "ds", "y"], "history")
        rows = history["unique_id"].isin(bottom["unique_id"])
        ids = bottom["unique_id"].to_numpy()
        sales = np.nan_to_num(_wide(history[rows], ids, "y", "history")[0])
        total = sales.sum(axis=0)
        # Months without any sales say nothing about the mix; they are left out of the mean.
        share = sales[:, total > 0] / total[total > 0]
        mix = share.mean(axis=1) if share.size else np.full(len(bottom), 1 / len(bottom))
        return np.outer(mix, base[0])
    # Forecast proportions: each child takes its share of its siblings' base forecasts.
    position = pd.Index(structure.nodes["unique_id"])
    chain = [lv for lv in TREE_LEVELS if lv in structure.tags]
    parent_values = base[[0]]
    parent_of = np.zeros(len(bottom), dtype=int)
    for level in chain[1:]:
        names = _node_names(bottom, level)
        child_codes, children = pd.factorize(names)
        first = np.unique(child_codes, return_index=True)[1]
        parent = parent_of[first]
        child_base = base[position.get_indexer(children)]
        sibling_sum = np.zeros_like(parent_values)
        np.add.at(sibling_sum, parent, child_base)
        siblings = np.bincount(parent, minlength=len(parent_values))[parent][:, None]
        even = np.ones_like(child_base) / siblings
        share = np.divide(child_base, sibling_sum[parent], out=even, where=sibling_sum[parent] != 0)
        parent_values, parent_of = share * parent_values[parent], child_codes
    return parent_values[parent_of]


def _library(
    base: dict[str, np.ndarray],
    ids: np.ndarray,
    periods: pd.Index,
    history: pd.DataFrame | None,
    structure: HierarchyStructure,
    method: str,
    levels: list[int],
    nonnegative: bool,
    intervals_method: str,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Run hierarchicalforecast; returns bottom means and its frame with coherent intervals."""
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUpSparse, MinTrace, MinTraceSparse

    y_hat = _long(base["forecast"], ids, periods, "forecast")
    for column in _interval_columns(levels):
        y_hat[column] = base[column].reshape(-1)
    needs_fitted = method == "mint_shrink" or (intervals_method == "bootstrap" and bool(levels))
    y_df = None
    if needs_fitted:
        if history is None:
            message = f"is needed by method {method!r} (each node's actuals and fitted values)"
            raise InputError(message, table="history")
        require_columns(history, ["unique_id", "ds", "y", "fitted"], "history")
        absent = set(ids) - set(history["unique_id"])
        if absent:
            message = f"has no rows for node {sorted(absent)[0]!r}"
            raise InputError(message, table="history", column="unique_id")
        y_df = history.loc[history["unique_id"].isin(ids), ["unique_id", "ds", "y", "fitted"]]
        y_df = y_df.rename(columns={"fitted": "forecast"})
    # The sparse classes scale to tens of thousands of nodes; intervals need the dense ones.
    sparse_ols = method == "mint_ols" and not levels and not nonnegative
    reconciler = {
        "bottom_up": BottomUpSparse,
        "mint_ols": lambda: MinTraceSparse("ols") if sparse_ols else MinTrace("ols", nonnegative),
        "mint_shrink": lambda: MinTrace("mint_shrink", nonnegative),
    }[method]()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Converted matrix")  # the QP solver's format note
        result = HierarchicalReconciliation([reconciler]).reconcile(
            Y_hat_df=y_hat,
            tags=structure.tags,
            S_df=structure.smatrix(),
            Y_df=y_df,
            level=list(levels) or None,
            intervals_method=intervals_method,
        )
    name = min((c for c in result.columns if c.startswith("forecast/")), key=len)
    result = result.drop(columns=y_hat.columns[2:])
    result = result.rename(columns=lambda c: c.replace(name, "forecast"))
    bottom_ids = structure.bottom["unique_id"].to_numpy()
    rows = result["unique_id"].isin(bottom_ids)
    return _wide(result[rows], bottom_ids, "forecast", "reconciled")[0], result


def disaggregate(
    value_frame: pd.DataFrame,
    detail_frame: pd.DataFrame,
    by: Sequence[str],
    value: str = "forecast",
    change: str = "change",
) -> pd.DataFrame:
    """Split each aggregate ``change`` over the detail rows in proportion to their ``value``.

    ``value_frame`` [*by, change] names an aggregate node (and month, when ``ds`` is in ``by``);
    ``detail_frame`` [*by, value, ...] is the current plan. Returns ``detail_frame`` with
    ``change`` (its part) and ``value`` raised by it. A node whose detail is all zero is split
    evenly; ``by=[]`` splits over every detail row.

    >>> plan = pd.DataFrame({"family": ["F", "F", "G"], "forecast": [30.0, 10.0, 5.0]})
    >>> change = pd.DataFrame({"family": ["F"], "change": [8.0]})
    >>> disaggregate(change, plan, ["family"])["forecast"].tolist()
    [36.0, 12.0, 5.0]
    """
    keys = list(by) or ["_all"]
    require_columns(value_frame, [*by, change], "value_frame")
    require_columns(detail_frame, [*by, value], "detail_frame")
    changes = value_frame.assign(_all=0)[[*keys, change]]
    detail = detail_frame.assign(_all=0)
    if changes.duplicated(keys).any():
        message = f"has more than one {change} for the same {list(by)}"
        raise InputError(message, table="value_frame", column=change)
    if (detail[value] < 0).any():
        raise InputError("has negative values", table="detail_frame", column=value)
    known = changes.merge(detail[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    if (known["_merge"] == "left_only").any():
        lost = known.loc[known["_merge"] == "left_only", keys].iloc[0].to_dict()
        raise InputError(f"names {lost}, which has no detail rows", table="value_frame")
    node = detail.groupby(keys, sort=False)[value]
    node_total, rows = node.transform("sum").to_numpy(), node.transform("size").to_numpy()
    share = np.divide(
        detail[value].to_numpy(float), node_total, out=1.0 / rows, where=node_total != 0
    )
    split = detail.merge(changes, on=keys, how="left", validate="m:1", suffixes=("", "_node"))
    column = change if change not in detail_frame.columns else f"{change}_node"
    out = detail_frame.copy()
    out[change] = split[column].fillna(0.0).to_numpy() * share
    out[value] = out[value] + out[change]
    return out

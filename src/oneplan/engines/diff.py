"""Compare two versions of a plan: frames row by row on their natural keys, headline figures
side by side."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.kpi.figures import is_share
from oneplan.errors import InputError

# The columns that name a row of a known frame; other frames use their non-numeric columns.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "supply_plan": ("item", "location", "period"),
    "consensus": ("item", "location", "period"),
    "capacity_plan": ("resource", "period"),
    "unmet_demand": ("item", "location", "period"),
    "mps_month": ("item", "location", "period"),
    "cost_breakdown": ("term",),
    "safety_stock": ("item", "location", "period"),
    "projected_inventory": ("item", "location", "period"),
    "capacity_gap": ("item", "location", "period"),
    "marginal_cost": ("item", "location", "period"),
    "baseline": ("item", "location", "period"),
    "binding_constraints": ("name",),
    "workforce_plan": ("resource", "period"),
    "transfers": ("item", "from_location", "to_location", "ship_period"),
    "rollup": ("level", "member", "period"),
    "lines": ("item", "location", "period"),
}


#: Columns that do not add up over rows, so a diff's totals leave them out: prices and costs
#: per unit, marginal values (shadow prices), shares and rates, days of supply, statistics,
#: ranks and numbers, running totals, and positions held at a month's end (stock, backlog,
#: safety stock, balances, headcount), which add up over items but not over months.
NOT_ADDITIVE = frozenset(
    {
        "marginal_cost",
        "utilisation",
        "days_of_supply",
        "days_in_period",
        "z",
        "sigma_lt",
        "factor",
        "wape",
        "mape",
        "smape",
        "mase",
        "bias",
        "adi",
        "cv2",
        "n_obs",
        "rank",
        "sequence",
        "horizon_step",
        "limit",
        "end_inventory",
        "net_inventory",
        "projected_on_hand",
        "backlog",
        "backlog_before",
        "safety_stock",
        "safety_stock_shortfall",
        "min_inventory",
        "max_inventory",
        "inventory_value",
        "receivables",
        "payables",
        "working_capital",
        "workforce",
        "headcount",
    }
)
NOT_ADDITIVE_ENDINGS = ("price", "_pct", "_share", "_rate", "_per_unit", "_per_worker", "_id")
NOT_ADDITIVE_BEGINNINGS = ("unit_", "cumulative", "share")
#: Columns that add up in most frames but not in these (an override's value is a percent or
#: a node's total; before and after are node totals that overlap).
NOT_ADDITIVE_IN = {"overrides_applied": frozenset({"value", "before", "after"})}
#: Columns that say which level of a roll-up a row is at: each level holds the same total.
ROLLUP_COLUMNS = ("level", "grain")


def additive(column: str, frame: str = "") -> bool:
    """Whether a numeric column adds up over the rows of a frame (quantities, money), so a
    diff can total it.

    >>> additive("production"), additive("shadow_price"), additive("end_inventory")
    (True, False, False)
    """
    name = str(column)
    if name in NOT_ADDITIVE or name in NOT_ADDITIVE_IN.get(frame, ()):
        return False
    if "_lo_" in name or "_hi_" in name:  # the bounds of an interval
        return False
    return not (name.endswith(NOT_ADDITIVE_ENDINGS) or name.startswith(NOT_ADDITIVE_BEGINNINGS))


@dataclass(frozen=True)
class FrameDiff:
    """Record-level differences of one frame between version ``a`` (before) and ``b`` (after).

    ``added`` and ``removed`` hold whole rows; ``changed`` holds the key columns and, for each
    value column, ``<col>_a`` and ``<col>_b`` plus ``<col>_change`` (b - a) for numeric ones.
    ``totals`` has one row per numeric column that adds up (`additive`): ``column, a, b,
    change`` over all rows, or, in a roll-up, over the rows of its top level (``totals_over``
    names it, e.g. ``level total``)."""

    name: str
    keys: tuple[str, ...]
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int
    totals: pd.DataFrame
    only_in_a: bool = False
    only_in_b: bool = False
    totals_over: str = ""


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def natural_keys(name: str, frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns that identify a row: known for the plan's frames, else the non-numeric ones."""
    known = NATURAL_KEYS.get(name)
    if known and set(known) <= set(frame.columns):
        return known
    # Otherwise the text and date columns; flags and free text change, they do not identify.
    return tuple(
        str(c)
        for c in frame.columns
        if not _is_number(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and str(c) not in {"note", "meaning", "detail", "reason", "cause", "decision"}
    )


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Equal cell by cell, two empty cells counting as equal; numbers to a relative 1e-9."""
    if _is_number(a) and _is_number(b):
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        both_nan = np.isnan(x) & np.isnan(y)
        with np.errstate(invalid="ignore"):
            close = np.isclose(x, y, rtol=1e-9, atol=1e-9)
        return np.asarray(close | both_nan)
    x_na, y_na = a.isna().to_numpy(), b.isna().to_numpy()
    equal = (a.astype(object).to_numpy() == b.astype(object).to_numpy()) & ~x_na & ~y_na
    return np.asarray(equal | (x_na & y_na))


def _occurrence(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The how-many-th row with its key each row is (rows without key columns: their position)."""
    if not keys:
        return np.arange(len(frame))
    return frame.groupby(keys, dropna=False, sort=False).cumcount().to_numpy()


def diff_frames(
    a: pd.DataFrame, b: pd.DataFrame, keys: Iterable[str], name: str = "frame"
) -> FrameDiff:
    """Compare two versions of a frame row by row, rows matched on ``keys``.

    Rows that share a key are matched in order of appearance.

    >>> a = pd.DataFrame({"item": ["A", "B"], "qty": [1.0, 2.0]})
    >>> b = pd.DataFrame({"item": ["B", "C"], "qty": [5.0, 1.0]})
    >>> d = diff_frames(a, b, ["item"])
    >>> d.added["item"].tolist(), d.removed["item"].tolist(), d.changed["qty_change"].tolist()
    (['C'], ['A'], [3.0])
    """
    keys = list(keys)
    for side, frame in (("a", a), ("b", b)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise InputError(
                f"key column(s) {missing} missing in version {side}", table=name, column=missing[0]
            )
    occurrence = "__occurrence"
    left = a[keys].assign(**{occurrence: _occurrence(a, keys), "__a": np.arange(len(a))})
    right = b[keys].assign(**{occurrence: _occurrence(b, keys), "__b": np.arange(len(b))})
    matched = left.merge(right, on=[*keys, occurrence], how="outer")
    in_a, in_b = matched["__a"].notna(), matched["__b"].notna()
    removed = a.iloc[matched.loc[in_a & ~in_b, "__a"].astype(int).to_numpy()]
    added = b.iloc[matched.loc[in_b & ~in_a, "__b"].astype(int).to_numpy()]
    pairs = matched[in_a & in_b]
    row_a = a.iloc[pairs["__a"].astype(int).to_numpy()].reset_index(drop=True)
    row_b = b.iloc[pairs["__b"].astype(int).to_numpy()].reset_index(drop=True)

    values = [c for c in a.columns if c in b.columns and c not in keys]
    differs = np.zeros(len(pairs), dtype=bool)
    changed = row_b[keys].copy()
    for column in values:
        differs |= ~_same(row_a[column], row_b[column])
        changed[f"{column}_a"] = row_a[column]
        changed[f"{column}_b"] = row_b[column]
        if _is_number(row_a[column]) and _is_number(row_b[column]):
            changed[f"{column}_change"] = row_b[column].astype(float) - row_a[column].astype(float)
    numeric = [c for c in values if _is_number(a[c]) and _is_number(b[c])]
    summed = [c for c in numeric if additive(c, name)]
    over, (top_a, top_b) = _top_level(a, b)
    total_a = np.array([float(top_a[c].sum()) for c in summed])
    total_b = np.array([float(top_b[c].sum()) for c in summed])
    totals = pd.DataFrame({"column": summed, "a": total_a, "b": total_b})
    totals["change"] = totals["b"] - totals["a"]
    return FrameDiff(
        name=name,
        keys=tuple(keys),
        added=added.reset_index(drop=True),
        removed=removed.reset_index(drop=True),
        changed=changed[differs].reset_index(drop=True),
        unchanged=int((~differs).sum()),
        totals=totals,
        totals_over=over,
    )


def largest_changes(found: FrameDiff, limit: int) -> pd.DataFrame:
    """The ``limit`` changed rows that moved most (the sum of their absolute changes): the key
    columns and the ``<col>_change`` columns that moved anywhere.

    >>> a = pd.DataFrame({"item": ["A", "B", "C"], "qty": [1.0, 2.0, 3.0], "cost": [1.0] * 3})
    >>> b = a.assign(qty=[1.0, 9.0, 4.0])
    >>> largest_changes(diff_frames(a, b, ["item"]), 1).to_dict("records")
    [{'item': 'B', 'qty_change': 7.0}]
    """
    changed = found.changed
    moved = [
        c for c in changed.columns if c.endswith("_change") and changed[c].abs().gt(1e-9).any()
    ]
    size = changed[moved].abs().sum(axis=1)
    top = changed.assign(__size=size).nlargest(limit, "__size")
    return top[[*found.keys, *moved]].reset_index(drop=True)


def _top_level(a: pd.DataFrame, b: pd.DataFrame) -> tuple[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """A roll-up repeats its total at every level (total, family, item...; year, quarter,
    month): its totals are taken over the level with the fewest rows, the top one. Any other
    frame: every row."""
    for column in ROLLUP_COLUMNS:
        if column in a.columns and column in b.columns:
            rows = a if len(a) else b
            if not len(rows):
                break
            top = rows[column].value_counts(sort=False).idxmin()
            return f"{column} {top}", (a[a[column] == top], b[b[column] == top])
    return "", (a, b)


def flat_figures(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A summary's figures, a nested one (the top bottleneck, a scenario's finance) named
    ``parent.figure``; lists are left out.

    >>> flat_figures({"cost": 2.0, "neck": {"resource": "P1", "utilisation": 0.9}, "x": [1]})
    {'cost': 2.0, 'neck.resource': 'P1', 'neck.utilisation': 0.9}
    """
    flat: dict[str, Any] = {}
    for name, value in summary.items():
        if isinstance(value, Mapping):
            flat.update(flat_figures(value, f"{prefix}{name}."))
        elif not isinstance(value, list | tuple):
            flat[f"{prefix}{name}"] = value
    return flat


def _is_figure(value: Any) -> bool:
    # JSON true/false are ints to Python but not figures to subtract
    return isinstance(value, int | float) and not isinstance(value, bool)


def figure_kind(name: str, *values: Any) -> str:
    """``share`` (a share of one: shown as a percentage, its change in points), ``number`` or
    ``text``, from the figure's name and values.

    >>> figure_kind("service_level", 0.9), figure_kind("total_cost", 3.0)
    ('share', 'number')
    >>> figure_kind("status", "optimal"), figure_kind("margin_pct", None, 0.4)
    ('text', 'share')
    """
    given = [v for v in values if v is not None]
    if not given or not all(_is_figure(v) for v in given):
        return "text"
    return "share" if is_share(name) else "number"


def headline_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    """Each headline figure of two summaries side by side: [figure, a, b, change, kind].

    ``change`` is b - a for figures both have as numbers; ``kind`` says how to read them
    (`figure_kind`: a share's change is in points of one). Nested figures are ``parent.name``.
    """
    flat_a, flat_b = flat_figures(a), flat_figures(b)
    rows = []
    for figure in [*flat_a, *(k for k in flat_b if k not in flat_a)]:
        x, y = flat_a.get(figure), flat_b.get(figure)
        change = None
        if isinstance(x, int | float) and isinstance(y, int | float):
            change = float(y) - float(x) if _is_figure(x) and _is_figure(y) else None
        kind = figure_kind(figure, x, y)
        rows.append({"figure": figure, "a": x, "b": y, "change": change, "kind": kind})
    return pd.DataFrame(rows, columns=["figure", "a", "b", "change", "kind"])


def diff_frame_sets(
    frames_a: Mapping[str, pd.DataFrame], frames_b: Mapping[str, pd.DataFrame]
) -> dict[str, FrameDiff]:
    """Every frame either version has, compared; a frame only one has is all added or removed."""
    result: dict[str, FrameDiff] = {}
    for name in sorted(set(frames_a) | set(frames_b)):
        frame_a = frames_a.get(name)
        frame_b = frames_b.get(name)
        base = frame_b if frame_a is None else frame_a
        assert base is not None
        empty = base.iloc[0:0]
        other = empty if frame_b is None else frame_b
        # a key column one version lacks cannot match rows (a frame whose layout changed)
        keys = [k for k in natural_keys(name, base) if k in other.columns]
        found = diff_frames(
            empty if frame_a is None else frame_a,
            empty if frame_b is None else frame_b,
            keys,
            name,
        )
        if frame_a is None or frame_b is None:
            found = replace(found, only_in_a=frame_b is None, only_in_b=frame_a is None)
        result[name] = found
    return result

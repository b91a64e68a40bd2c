"""Operational snapshot of the demo company at plan start: inventory on hand, the open order book
(with a little backlog) and the last year of production actuals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.demo.columns import frame
from oneplan.demo.history import Series
from oneplan.demo.master import (
    CUSTOMERS,
    DC,
    LOCATION_CODES,
    OBSOLETE,
    Catalogue,
    FloatArray,
    IntArray,
    month_start,
)
from oneplan.demo.supply import production_split

# Share of a month's expected demand already on order, for the plan's first three months.
ORDER_BOOK_COVER = np.array([0.45, 0.18, 0.06])
BACKLOG_CHANCE = 0.04  # chance that an item x location has an overdue order line


def stocking_pairs(cat: Catalogue, series: Series) -> tuple[IntArray, IntArray]:
    """Item x location pairs that hold stock: where an item is sold or made."""
    made_item, made_plant, _ = production_split(cat)
    pairs = pd.DataFrame(
        {
            "item": np.concatenate([series.item, made_item]),
            "location": np.concatenate([series.location, made_plant]),
        }
    ).drop_duplicates()
    pairs = pairs.sort_values(["item", "location"])
    return pairs["item"].to_numpy(), pairs["location"].to_numpy()


def inventory_table(
    rng: np.random.Generator,
    cat: Catalogue,
    series: Series,
    series_future: FloatArray,
    plan_start: pd.Timestamp,
) -> pd.DataFrame:
    """About a month of demand where sold, a little finished stock at the plants, and leftovers
    of obsolete items waiting for a write-off decision."""
    item, location = stocking_pairs(cat, series)
    next_month = pd.Series(series_future[:, 0], index=series.item * 3 + series.location)
    expected = next_month.reindex(item * 3 + location).to_numpy()
    sold_here = ~np.isnan(expected)
    item_next = np.bincount(series.item, weights=series_future[:, 0], minlength=cat.size)
    expected = np.where(sold_here, expected, 0.15 * item_next[item])
    on_hand = np.round(expected * rng.lognormal(-0.06, 0.35, len(item)))
    leftover = (cat.status[item] == OBSOLETE) & (location == DC)
    on_hand[leftover] = np.round(cat.level[item[leftover]] * rng.uniform(0.3, 1.5, leftover.sum()))
    return frame(
        "inventory",
        {
            "item": cat.code[item],
            "location": LOCATION_CODES[location],
            "on_hand": on_hand,
            "as_of": np.full(len(item), plan_start - pd.Timedelta(days=1)),
        },
    )


def customer_orders_table(
    rng: np.random.Generator,
    cat: Catalogue,
    series: Series,
    series_future: FloatArray,
    plan_start: pd.Timestamp,
) -> pd.DataFrame:
    """Open order lines: most requested in the next three months, a few overdue (backlog)."""
    months = len(ORDER_BOOK_COVER)
    demand = series_future[:, :months]
    occurrence = cat.occurrence[series.item][:, None]
    line_size = np.maximum(np.where(occurrence < 1, demand / occurrence, demand / 6.0), 1.0)
    lines = rng.poisson(np.where(demand > 0.05, ORDER_BOOK_COVER * demand / line_size, 0.0))
    overdue = rng.random(series.size) < BACKLOG_CHANCE * (demand[:, 0] > 0.05)
    lines = np.column_stack([overdue.astype(np.int64), lines])
    sizes = np.column_stack([line_size[:, 0], line_size])
    s, m = np.nonzero(lines)
    count = lines[s, m]
    s, m = np.repeat(s, count), np.repeat(m, count) - 1  # month -1 is the last history month
    quantity = np.maximum(np.round(sizes[s, m + 1] * rng.lognormal(-0.08, 0.4, len(s))), 1.0)
    requested = month_start(plan_start, m.astype(float)) + pd.to_timedelta(
        rng.integers(0, 28, len(s)), unit="D"
    )
    lead = pd.to_timedelta(rng.integers(5, 50, len(s)), unit="D")
    ordered = (requested - lead).where(
        requested - lead < plan_start, plan_start - pd.Timedelta(days=1)
    )

    channels = np.array([c[2] for c in CUSTOMERS])
    codes = np.array([c[0] for c in CUSTOMERS], dtype=object)
    weight = np.where(channels == "retail", 0.5 / 4, 0.25 / 4)
    anyone = rng.choice(len(codes), len(s), p=weight / weight.sum())
    wholesale = np.flatnonzero(channels == "wholesale")
    trade = wholesale[rng.integers(0, len(wholesale), len(s))]
    customer = np.where(series.location[s] == DC, anyone, trade)

    order = np.lexsort((series.location[s], series.item[s], ordered.to_numpy()))
    numbers = np.arange(len(s)) + 100001
    return frame(
        "customer_orders",
        {
            "order_line": [f"SO-{k}/10" for k in numbers],
            "customer": codes[customer[order]],
            "item": cat.code[series.item[s[order]]],
            "location": LOCATION_CODES[series.location[s[order]]],
            "quantity": quantity[order],
            "order_date": ordered.to_numpy()[order],
            "requested_date": requested.to_numpy()[order],
        },
    )


def production_actuals_table(
    rng: np.random.Generator,
    cat: Catalogue,
    series: Series,
    quantity: FloatArray,
    series_future: FloatArray,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """Units made per item x plant over the last twelve history months: sales of the month with
    part of the next month's built ahead, plus noise."""
    h = quantity.shape[1]
    sold = np.column_stack([quantity[:, h - 12 :], series_future[:, :1]])
    item_sold = np.zeros((cat.size, 13))
    np.add.at(item_sold, series.item, sold)
    built = 0.6 * item_sold[:, :12] + 0.4 * item_sold[:, 1:]
    item, plant, share = production_split(cat)
    made = np.round(built[item] * share[:, None] * rng.lognormal(-0.003, 0.08, (len(item), 12)))
    k, t = np.nonzero(made > 0)
    return frame(
        "production_actuals",
        {
            "item": cat.code[item[k]],
            "location": LOCATION_CODES[plant[k]],
            "period": month_start(start, (t + h - 12).astype(float)),
            "quantity": made[k, t],
        },
    )

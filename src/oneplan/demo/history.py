"""Demand of the demo company: the expected demand per item x location and month, the demand
events (past promotions that show as spikes, future promotions and one-time orders), and the
sales history drawn from them.

Month indices count from the first history month: 0 .. history_months-1 is the past,
history_months is the plan start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oneplan.demo.columns import frame
from oneplan.demo.master import (
    ACTIVE,
    DC,
    FAMILY_CODES,
    LOCATION_CODES,
    PHASE_OUT,
    SEASONALITY,
    SPRINKLERS,
    STORAGE,
    BoolArray,
    Catalogue,
    FloatArray,
    IntArray,
    codes_or_none,
    month_start,
)

# Months (0 = January) in which each family runs its promotions.
PROMOTION_MONTHS = ((2, 3, 4, 5), (3, 4, 5, 6), (0, 8, 9, 10))
PROMOTION_NAMES = np.array(
    [
        "Spring leaflet",
        "End-cap display at retail partners",
        "Online flash sale",
        "Second item half price",
        "Trade fair offer",
    ],
    dtype=object,
)
# Share of the list price the company gets on average (rebates, channel mix); promotions cut more.
DISCOUNT_RANGE = (0.03, 0.12)
PROMOTION_DISCOUNT = 0.10
# The list price rose by this much a year before the current price list.
YEARLY_PRICE_RISE = 0.025


@dataclass(frozen=True)
class Series:
    """The item x location pairs where the company sells, with the share of the item's demand."""

    item: IntArray
    location: IntArray
    share: FloatArray

    @property
    def size(self) -> int:
        return len(self.item)


@dataclass(frozen=True)
class Events:
    """Demand events as arrays: item or family index (-1 when not given), location (-1 = all)."""

    table: pd.DataFrame
    item: IntArray
    family: IntArray
    location: IntArray
    first: IntArray
    last: IntArray
    uplift_pct: FloatArray
    uplift_quantity: FloatArray


def selling_series(cat: Catalogue) -> Series:
    """Every item sells from the distribution centre; some also directly from their main plant."""
    at_plant = np.flatnonzero(cat.sold_at_plant)
    item = np.concatenate([np.arange(cat.size), at_plant])
    location = np.concatenate([np.full(cat.size, DC), cat.plant[at_plant]])
    share = np.ones(len(item))
    share[: cat.size][cat.sold_at_plant] = 0.7
    share[cat.size :] = 0.3
    order = np.lexsort((location, item))
    return Series(item=item[order], location=location[order], share=share[order])


def month_of_year(start: pd.Timestamp, months: int) -> IntArray:
    """Calendar month (0 = January) of each month index counted from `start`.

    >>> month_of_year(pd.Timestamp("2026-11-01"), 4).tolist()
    [10, 11, 0, 1]
    """
    return (start.month - 1 + np.arange(months)) % 12


def expected_item_demand(cat: Catalogue, start: pd.Timestamp, months: int) -> FloatArray:
    """Mean units per item and month (items x months): level, trend, season and lifecycle."""
    h = cat.history_months
    t = np.arange(months)[None, :].astype(float)
    trend = (1.0 + np.maximum(cat.growth, -0.2))[:, None] ** ((t - h) / 12.0)
    season = SEASONALITY[cat.family][:, month_of_year(start, months)]
    season = 1.0 + cat.season_strength[:, None] * (season - 1.0)
    launch = np.nan_to_num(cat.launch_month, nan=-1e9)[:, None]
    ramp = np.where(cat.ramp_up > 0, cat.ramp_up, 2)[:, None]
    life = np.clip((t - launch + 1.0) / ramp, 0.0, 1.0)
    end = np.nan_to_num(cat.end_month, nan=1e9)[:, None]
    decline_from = np.where(cat.status == PHASE_OUT, h - 12, end[:, 0] - 9)[:, None]
    life *= np.clip((end + 1.0 - t) / np.maximum(end + 1.0 - decline_from, 1.0), 0.0, 1.0)
    demand: FloatArray = cat.level[:, None] * trend * season * life
    return demand


def _pick_months(
    rng: np.random.Generator,
    family: IntArray,
    start: pd.Timestamp,
    first: int,
    last: int,
) -> IntArray:
    """A promotion month for each event, in its family's promotion season within [first, last]."""
    moy = month_of_year(start, last + 1)
    chosen = np.zeros(len(family), dtype=np.int64)
    for f, months in enumerate(PROMOTION_MONTHS):
        candidates = np.flatnonzero(np.isin(moy, months))
        candidates = candidates[candidates >= first]
        mine = np.flatnonzero(family == f)
        chosen[mine] = candidates[rng.integers(0, len(candidates), len(mine))]
    return chosen


def demand_events(
    rng: np.random.Generator, cat: Catalogue, start: pd.Timestamp, horizon: int
) -> Events:
    """Past promotions and one-time orders (visible in the history) and a few future ones."""
    h, n = cat.history_months, cat.size
    n_past, n_future, n_orders = max(5, n // 30), max(1, n // 150), max(1, n // 150)
    regular = np.flatnonzero(
        (cat.status == ACTIVE) & ~cat.intermittent & np.isnan(cat.launch_month)
    )
    chosen = rng.permutation(regular)[: n_past + n_future + 2 * n_orders]
    past, rest = chosen[:n_past], chosen[n_past:]
    future, past_order, future_order = (
        rest[:n_future],
        rest[n_future : n_future + n_orders],
        rest[n_future + n_orders :],
    )
    item_promos = np.concatenate([past, future])
    promo_first = np.concatenate(
        [
            _pick_months(rng, cat.family[past], start, 1, h - 3),
            _pick_months(rng, cat.family[future], start, h + 1, h + horizon - 2),
        ]
    )
    promo_last = promo_first + rng.integers(0, 2, len(item_promos))
    promo_location = np.where(rng.random(len(item_promos)) < 0.8, DC, -1)
    promo_pct = np.round(rng.uniform(25, 70, len(item_promos)) / 5.0) * 5.0

    # Family-wide campaigns: sprinklers in a past spring, storage in the plan's first January.
    moy = month_of_year(start, h + horizon)
    spring = np.flatnonzero((moy == 3) & (np.arange(h + horizon) < h - 2))
    january = np.flatnonzero((moy == 0) & (np.arange(h + horizon) >= h))
    family_first = np.array([spring[-1], january[0]])

    orders = np.concatenate([past_order, future_order])
    order_month = np.concatenate(
        [rng.integers(6, h - 1, len(past_order)), rng.integers(h + 2, h + 12, len(future_order))]
    )
    order_location = np.where(cat.sold_at_plant[orders], cat.plant[orders], DC)
    order_quantity = np.round(cat.level[orders] * rng.uniform(1.5, 3.0, len(orders)), -1)

    k_items, k_orders = len(item_promos), len(orders)
    item = np.concatenate([item_promos, [-1, -1], orders]).astype(np.int64)
    family = np.concatenate([np.full(k_items, -1), [SPRINKLERS, STORAGE], np.full(k_orders, -1)])
    location = np.concatenate([promo_location, [-1, DC], order_location]).astype(np.int64)
    first = np.concatenate([promo_first, family_first, order_month]).astype(np.int64)
    last = np.concatenate([promo_last, family_first + 1, order_month]).astype(np.int64)
    pct = np.concatenate([promo_pct, [15.0, 20.0], np.full(k_orders, np.nan)])
    quantity = np.concatenate([np.full(k_items + 2, np.nan), order_quantity])
    kind = np.array(["promotion"] * (k_items + 2) + ["one_time_event"] * k_orders, dtype=object)

    first_date = month_start(start, first.astype(float))
    subject = np.where(
        item >= 0, cat.code[np.maximum(item, 0)], FAMILY_CODES[np.maximum(family, 0)]
    )
    prefix = np.where(kind == "promotion", "PRM-", "OTE-")
    code = prefix + first_date.strftime("%Y%m").to_numpy(dtype=object) + "-" + subject
    description = np.concatenate(
        [
            PROMOTION_NAMES[rng.integers(0, len(PROMOTION_NAMES), k_items)],
            ["Spring sprinkler campaign", "January storage sale"],
            np.where(
                first[k_items + 2 :] >= h,
                "Opening stock for new retail stores",
                np.where(
                    cat.family[orders] == STORAGE,
                    "One-off order for a hotel chain fit-out",
                    "Tender order for municipal parks",
                ),
            ),
        ]
    )
    table = frame(
        "demand_events",
        {
            "code": code,
            "kind": kind,
            "item": codes_or_none(cat.code, item),
            "family": codes_or_none(FAMILY_CODES, family),
            "location": codes_or_none(LOCATION_CODES, location),
            "start_period": first_date,
            "end_period": month_start(start, last.astype(float)),
            "uplift_pct": pct,
            "uplift_quantity": quantity,
            "description": description,
        },
    )
    order = np.argsort(first, kind="stable")
    return Events(
        table=table.iloc[order].reset_index(drop=True),
        item=item[order],
        family=family[order],
        location=location[order],
        first=first[order],
        last=last[order],
        uplift_pct=pct[order],
        uplift_quantity=quantity[order],
    )


def apply_events(
    series_demand: FloatArray, series: Series, cat: Catalogue, events: Events
) -> tuple[FloatArray, BoolArray]:
    """Add the events' uplift to series x month demand; also return where promotions ran."""
    months = series_demand.shape[1]
    ev = pd.DataFrame(
        {
            "event": np.arange(len(events.item)),
            "item": events.item,
            "family": events.family,
            "location": events.location,
        }
    )
    ser = pd.DataFrame(
        {
            "series": np.arange(series.size),
            "item": series.item,
            "family": cat.family[series.item],
            "location": series.location,
        }
    )
    by_item = ev[ev["item"] >= 0].merge(ser, on="item", suffixes=("", "_s"))
    by_family = ev[ev["family"] >= 0].merge(ser, on="family", suffixes=("", "_s"))
    pairs = pd.concat([by_item, by_family], ignore_index=True)
    pairs = pairs[(pairs["location"] < 0) | (pairs["location"] == pairs["location_s"])]
    e = pairs["event"].to_numpy()
    s = pairs["series"].to_numpy()
    span = events.last[e] - events.first[e] + 1
    e_rows, s_rows = np.repeat(e, span), np.repeat(s, span)
    offset = np.arange(len(e_rows)) - np.repeat(np.cumsum(span) - span, span)
    t = events.first[e_rows] + offset
    inside = t < months
    e_rows, s_rows, t = e_rows[inside], s_rows[inside], t[inside]

    result = series_demand.copy()
    promotion = np.zeros(series_demand.shape, dtype=bool)
    pct = events.uplift_pct[e_rows]
    has_pct = ~np.isnan(pct)
    np.multiply.at(result, (s_rows[has_pct], t[has_pct]), 1.0 + pct[has_pct] / 100.0)
    promotion[s_rows[has_pct], t[has_pct]] = True
    # A one-time quantity goes to the named location, split by share when all locations apply.
    quantity = events.uplift_quantity[e_rows[~has_pct]]
    share = series.share[s_rows[~has_pct]]
    share = np.where(events.location[e_rows[~has_pct]] < 0, share, 1.0)
    np.add.at(result, (s_rows[~has_pct], t[~has_pct]), quantity * share)
    return result, promotion


def draw_quantities(
    rng: np.random.Generator, mean: FloatArray, series: Series, cat: Catalogue
) -> FloatArray:
    """Units sold per series and month: multiplicative noise, lumpy sales for intermittent items."""
    sigma = cat.noise[series.item][:, None]
    smooth = np.round(mean * rng.lognormal(-0.5 * sigma**2, sigma, mean.shape))
    p = cat.occurrence[series.item][:, None]
    sale = rng.random(mean.shape) < p
    lumpy = np.maximum(np.round(mean / p * rng.lognormal(-0.125, 0.5, mean.shape)), 1.0)
    lumpy = np.where(sale & (mean > 0.05), lumpy, 0.0)
    quantity: FloatArray = np.where(cat.intermittent[series.item][:, None], lumpy, smooth)
    return quantity


def sales_history_table(
    rng: np.random.Generator,
    quantity: FloatArray,
    promotion: BoolArray,
    series: Series,
    cat: Catalogue,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """The ERP's sales export: one row per item x location x month with a sale (no zero rows)."""
    h = quantity.shape[1]
    s, t = np.nonzero(quantity > 0)
    q = quantity[s, t]
    # Older months were sold at older price lists; the current list applies to the last year.
    years_back = np.floor((t - h + 12) / 12)
    price_list = cat.price[series.item[s]] * (1.0 + YEARLY_PRICE_RISE) ** years_back
    discount = rng.uniform(*DISCOUNT_RANGE, len(q)) + PROMOTION_DISCOUNT * promotion[s, t]
    periods = pd.date_range(start, periods=h, freq="MS").to_numpy(dtype="datetime64[ns]")
    return frame(
        "sales_history",
        {
            "item": cat.code[series.item[s]],
            "location": LOCATION_CODES[series.location[s]],
            "period": periods[t],
            "quantity": q,
            "revenue": np.round(q * price_list * (1.0 - discount), 2),
        },
    )

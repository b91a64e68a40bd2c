"""Master data of the demo company: locations, families, customers and the item catalogue.

The catalogue keeps, next to the published columns, the hidden truth the other tables are drawn
from (demand level, growth, seasonality, price, cost ratio), as numpy arrays indexed by item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from oneplan.demo.columns import TABLE_COLUMNS, frame

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
TextArray = npt.NDArray[np.object_]

# Location indices used throughout the demo.
NORTH, SOUTH, DC = 0, 1, 2
LOCATION_CODES = np.array(["PL-NORTH", "PL-SOUTH", "DC-CENTRAL"], dtype=object)
PLANTS = (NORTH, SOUTH)

HOSES, SPRINKLERS, STORAGE = 0, 1, 2
FAMILY_CODES = np.array(["HOS", "SPR", "STO"], dtype=object)
FAMILY_NAMES = ("Hoses", "Sprinklers", "Storage")
FAMILY_CATEGORIES = ("Garden", "Garden", "Home")
FAMILY_SHARE = np.array([0.4, 0.3, 0.3])
# Median monthly units of a regular item, and median list price in EUR, per family.
FAMILY_LEVEL = np.array([350.0, 300.0, 600.0])
FAMILY_PRICE = np.array([32.0, 28.0, 14.0])

# Monthly seasonal index (January first) per family: garden sells in spring and summer, storage
# in January (tidying up after the holidays) and before Christmas.
SEASONALITY = np.array(
    [
        [0.45, 0.55, 0.95, 1.40, 1.65, 1.70, 1.50, 1.15, 0.80, 0.60, 0.50, 0.75],
        [0.30, 0.40, 0.85, 1.50, 1.85, 1.95, 1.70, 1.15, 0.70, 0.45, 0.40, 0.75],
        [1.20, 0.95, 1.00, 1.00, 0.90, 0.85, 0.85, 0.95, 1.05, 1.10, 1.25, 0.90],
    ]
)
SEASONALITY = SEASONALITY / SEASONALITY.mean(axis=1, keepdims=True)

# Product types per family: (name, uses the family's critical bought-in component, sizes).
PRODUCT_TYPES: tuple[tuple[tuple[str, bool, tuple[str, ...]], ...], ...] = (
    (
        ("Garden hose", False, ('1/2" 15 m', '1/2" 25 m', '1/2" 50 m', '5/8" 25 m', '3/4" 25 m')),
        ("Reinforced hose", False, ('1/2" 25 m', '5/8" 25 m', '3/4" 25 m', '3/4" 50 m')),
        ("Hose set with brass fittings", True, ('1/2" 20 m', '1/2" 30 m', '5/8" 30 m')),
        ("Spiral hose with brass coupling", True, ("7.5 m", "10 m", "15 m")),
        ("Hose reel cart", False, ("for 60 m", "for 80 m", "for 100 m")),
        ("Brass repair connector kit", True, ('1/2"', '5/8"', '3/4"')),
    ),
    (
        ("Oscillating sprinkler", False, ("90 m2", "180 m2", "250 m2")),
        ("Impulse sprinkler", False, ("on spike", "on tripod")),
        ("Rotary sprinkler", False, ("3-arm", "4-arm")),
        ("Pop-up spray head", False, ("5 cm", "10 cm")),
        ("Smart water timer", True, ("1 outlet", "2 outlets", "Bluetooth")),
        ("Timer sprinkler set", True, ("2 zones", "4 zones")),
    ),
    (
        ("Storage box", False, ("10 L", "20 L", "32 L", "45 L", "60 L", "80 L")),
        ("Stackable crate", False, ("15 L", "25 L", "40 L")),
        ("Under-bed box", False, ("30 L", "50 L")),
        ("Shelf bin", False, ("small", "medium", "large")),
        ("Laundry basket", False, ("40 L", "60 L")),
        ("Wardrobe organiser", False, ("3 drawers", "5 drawers")),
    ),
)
COLOURS = np.array(["green", "grey", "black", "blue", "terracotta"], dtype=object)

STATUS_NAMES = np.array(["active", "new", "phase_out", "obsolete"], dtype=object)
ACTIVE, NEW, PHASE_OUT, OBSOLETE = 0, 1, 2, 3

CUSTOMERS = (
    ("C-001", "GreenLeaf DIY Stores", "retail", "North"),
    ("C-002", "Hausmann Baumarkt", "retail", "Central"),
    ("C-003", "Sunny Garden Centres", "retail", "South"),
    ("C-004", "HomeStyle Department Stores", "retail", "Central"),
    ("C-005", "Nordic Garden Supply", "wholesale", "North"),
    ("C-006", "Mediterra Distribution", "wholesale", "South"),
    ("C-007", "ProBuild Trade Wholesale", "wholesale", "Central"),
    ("C-008", "AgriTrade Export", "wholesale", "Export"),
    ("C-009", "gardenshop24.eu", "online", "Central"),
    ("C-010", "Marketplace Direct", "online", "Export"),
    ("C-011", "HomeBox Online", "online", "North"),
    ("C-012", "Balcony & Patio Web Store", "online", "South"),
)


@dataclass(frozen=True)
class Catalogue:
    """The item catalogue with its hidden demand and money parameters, indexed by item."""

    history_months: int
    code: TextArray
    family: IntArray
    product_type: IntArray
    uses_component: BoolArray
    status: IntArray
    launch_month: FloatArray  # month index of the first sale (NaN: before the history)
    end_month: FloatArray  # month index of the last sale (NaN: no end planned)
    like_item: IntArray  # index of the like item (-1: none)
    launch_scale: FloatArray
    ramp_up: IntArray
    level: FloatArray  # units per month at plan start before seasonality
    growth: FloatArray  # yearly trend
    season_strength: FloatArray
    noise: FloatArray
    intermittent: BoolArray
    occurrence: FloatArray  # chance of a sale in a month (intermittent items)
    plant: IntArray  # main plant
    second_plant: IntArray  # -1: made at one plant only
    sold_at_plant: BoolArray  # also sold directly from the main plant
    price: FloatArray  # list price at plan start
    cost_ratio: FloatArray  # standard unit cost / list price

    @property
    def size(self) -> int:
        return len(self.code)


def _family_counts(items: int) -> IntArray:
    counts: IntArray = np.floor(FAMILY_SHARE * items).astype(np.int64)
    counts[0] += items - counts.sum()
    return counts


def _lifecycle(rng: np.random.Generator, n: int) -> IntArray:
    status = np.full(n, ACTIVE, dtype=np.int64)
    order = rng.permutation(n)
    n_new, n_out, n_obsolete = max(2, round(0.04 * n)), max(2, round(0.05 * n)), max(2, n // 100)
    status[order[:n_new]] = NEW
    status[order[n_new : n_new + n_out]] = PHASE_OUT
    status[order[n_new + n_out : n_new + n_out + n_obsolete]] = OBSOLETE
    return status


def build_catalogue(rng: np.random.Generator, items: int, history_months: int) -> Catalogue:
    """Draw `items` items over three families with their lifecycle, demand and price truth."""
    h = history_months
    counts = _family_counts(items)
    family = np.repeat(np.arange(3), counts)
    number = np.concatenate([np.arange(1, c + 1) for c in counts])
    width = max(4, len(str(int(counts.max()))))
    code = np.array(
        [f"{FAMILY_CODES[f]}-{k:0{width}d}" for f, k in zip(family, number, strict=True)]
    )

    n_types = np.array([len(t) for t in PRODUCT_TYPES])
    product_type = np.floor(rng.random(items) * n_types[family]).astype(np.int64)
    type_flags = [[flag for _, flag, _ in types] for types in PRODUCT_TYPES]
    uses_component = np.array(
        [type_flags[f][t] for f, t in zip(family, product_type, strict=True)], dtype=bool
    )

    status = _lifecycle(rng, items)
    intermittent = (rng.random(items) < 0.17) & (status != NEW)
    level = FAMILY_LEVEL[family] * rng.lognormal(0.0, 0.85, items)
    level[intermittent] = rng.lognormal(np.log(14.0), 0.6, int(intermittent.sum()))
    occurrence = np.where(intermittent, rng.uniform(0.15, 0.6, items), 1.0)

    launch_month = np.full(items, np.nan)
    end_month = np.full(items, np.nan)
    # Some active items were launched during the history, so their series start later.
    late_start = (status == ACTIVE) & (rng.random(items) < 0.1)
    launch_month[late_start] = rng.integers(1, h - 7, int(late_start.sum()))
    new = np.flatnonzero(status == NEW)
    # Half the new items sold their first months already; the rest launch within the next year.
    launched = rng.random(len(new)) < 0.5
    launch_month[new] = np.where(
        launched, rng.integers(h - 6, h, len(new)), rng.integers(h, h + 12, len(new))
    )
    out = status == PHASE_OUT
    end_month[out] = rng.integers(h + 1, h + 12, int(out.sum()))
    gone = status == OBSOLETE
    end_month[gone] = rng.integers(h - 18, h - 5, int(gone.sum()))

    # A new item borrows the history of a regular item of its family.
    like_item = np.full(items, -1, dtype=np.int64)
    launch_scale = np.full(items, np.nan)
    ramp_up = np.zeros(items, dtype=np.int64)
    regular = (status == ACTIVE) & ~intermittent & ~late_start
    for i in new:
        candidates = np.flatnonzero(regular & (family == family[i]))
        if len(candidates) == 0:
            candidates = np.flatnonzero(regular)
        like_item[i] = candidates[rng.integers(len(candidates))]
    launch_scale[new] = np.round(rng.uniform(0.6, 1.3, len(new)), 2)
    ramp_up[new] = rng.choice(np.array([2, 3, 4, 6]), len(new))
    level[new] = level[like_item[new]] * launch_scale[new]

    plant = np.where(family == HOSES, NORTH, SOUTH)
    storage = family == STORAGE
    plant[storage] = np.where(rng.random(int(storage.sum())) < 0.5, NORTH, SOUTH)
    second_plant = np.full(items, -1, dtype=np.int64)
    dual = storage & (rng.random(items) < 0.2)
    second_plant[dual] = 1 - plant[dual]

    price = FAMILY_PRICE[family] * rng.lognormal(0.0, 0.45, items)
    price = np.maximum(np.round(price * 2.0) / 2.0 - 0.01, 2.49)
    return Catalogue(
        history_months=h,
        code=code.astype(object),
        family=family,
        product_type=product_type,
        uses_component=uses_component,
        status=status,
        launch_month=launch_month,
        end_month=end_month,
        like_item=like_item,
        launch_scale=launch_scale,
        ramp_up=ramp_up,
        level=level,
        growth=rng.normal(0.03, 0.07, items),
        season_strength=rng.uniform(0.7, 1.15, items),
        noise=rng.uniform(0.08, 0.25, items),
        intermittent=intermittent,
        occurrence=occurrence,
        plant=plant,
        second_plant=second_plant,
        sold_at_plant=rng.random(items) < 0.15,
        price=price,
        cost_ratio=rng.uniform(0.53, 0.68, items),
    )


def describe_items(rng: np.random.Generator, cat: Catalogue) -> TextArray:
    """Readable item descriptions: product type, size and colour."""
    names = [
        f"{name} {size}" for types in PRODUCT_TYPES for name, _, sizes in types for size in sizes
    ]
    counts = np.array([[len(sizes) for _, _, sizes in types] for types in PRODUCT_TYPES])
    offsets = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(counts.shape)
    variant = np.floor(rng.random(cat.size) * counts[cat.family, cat.product_type]).astype(np.int64)
    text: TextArray = np.array(names, dtype=object)[offsets[cat.family, cat.product_type] + variant]
    colour = COLOURS[rng.integers(0, len(COLOURS), cat.size)]
    described: TextArray = text + ", " + colour
    return described


def codes_or_none(codes: TextArray, index: IntArray) -> TextArray:
    """The code at each index, None where the index is negative (a reference left empty).

    >>> codes_or_none(np.array(["A", "B"], dtype=object), np.array([1, -1])).tolist()
    ['B', None]
    """
    picked: TextArray = codes[np.maximum(index, 0)].copy()
    picked[index < 0] = None
    return picked


def month_start(start: pd.Timestamp, month: FloatArray) -> pd.DatetimeIndex:
    """The first day of month index `month` counted from `start`; NaN gives NaT.

    >>> months = np.array([0.0, 14.0, np.nan])
    >>> list(month_start(pd.Timestamp("2027-01-01"), months).strftime("%Y-%m"))
    ['2027-01', '2028-03', nan]
    """
    months = np.asarray(month, dtype=float)
    valid = ~np.isnan(months)
    dates = np.full(len(months), np.datetime64("NaT"), dtype="datetime64[ns]")
    if valid.any():
        index = months[valid].astype(np.int64)
        first = int(index.min())
        calendar = pd.date_range(
            start + pd.DateOffset(months=first), periods=int(index.max()) - first + 1, freq="MS"
        )
        dates[valid] = calendar.to_numpy(dtype="datetime64[ns]")[index - first]
    return pd.DatetimeIndex(dates)


def master_tables(
    rng: np.random.Generator, cat: Catalogue, start: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """locations, families, customers, items and launches."""
    locations = frame(
        "locations",
        {
            "code": LOCATION_CODES,
            "name": [
                "North plant (hoses, storage)",
                "South plant (sprinklers, storage)",
                "Central distribution centre",
            ],
            "kind": ["plant", "plant", "distribution_centre"],
            "region": ["North", "South", "Central"],
        },
    )
    families = frame(
        "families",
        {"code": FAMILY_CODES, "name": list(FAMILY_NAMES), "category": list(FAMILY_CATEGORIES)},
    )
    customers = frame(
        "customers",
        {name: [c[k] for c in CUSTOMERS] for k, name in enumerate(TABLE_COLUMNS["customers"])},
    )
    end_date = month_start(start, cat.end_month + 1) - pd.Timedelta(days=1)
    has_like = cat.like_item >= 0
    items = frame(
        "items",
        {
            "code": cat.code,
            "description": describe_items(rng, cat),
            "uom": "EA",
            "family": FAMILY_CODES[cat.family],
            "lifecycle_status": STATUS_NAMES[cat.status],
            "launch_date": month_start(start, cat.launch_month),
            "end_date": end_date,
            "like_item": codes_or_none(cat.code, cat.like_item),
        },
    )
    new = np.flatnonzero(has_like)
    launches = frame(
        "launches",
        {
            "item": cat.code[new],
            "like_item": cat.code[cat.like_item[new]],
            "scale": cat.launch_scale[new],
            "ramp_up_periods": cat.ramp_up[new],
        },
    )
    return {
        "locations": locations,
        "families": families,
        "customers": customers,
        "items": items,
        "launches": launches,
    }

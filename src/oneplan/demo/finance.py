"""Money and policy tables of the demo company: standard costs, prices, inventory policies and
the yearly budget per family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.demo.columns import frame
from oneplan.demo.master import (
    DC,
    FAMILY_CODES,
    HOSES,
    LOCATION_CODES,
    OBSOLETE,
    PHASE_OUT,
    SOUTH,
    SPRINKLERS,
    Catalogue,
    FloatArray,
    IntArray,
    month_start,
)
from oneplan.demo.supply import LANES

HOSE_MATERIAL_RISE = 0.08  # PVC and brass get dearer in the middle of the plan year
SPRINKLER_PRICE_RISE = 0.04  # new sprinkler price list early in the season
SPRINKLER_PRICE_MONTH = 2  # the new price list applies from the plan's third month
GOODWILL = 0.10  # a customer turned away costs a tenth of the price on top of the sale
# A month late costs a retailer's late-delivery fine (3 % of the price) and the chance that the
# order is cancelled (about one in twenty a month in season), which costs a lost sale.
LATE_FINE = 0.03
CANCELLED_A_MONTH = 0.05
LATE_RATE = LATE_FINE + CANCELLED_A_MONTH * (1.0 + GOODWILL)
ONLINE_DISCOUNT = 0.08
# Budget growth on last year's volume per family: ambitious for hoses and storage.
BUDGET_GROWTH = np.array([0.06, 0.02, 0.08])
BUDGET_PRICE_RISE = 0.03


def shop_price(price: FloatArray) -> FloatArray:
    """Round to the .49 / .99 endings of a price list.

    >>> shop_price(np.array([10.2, 10.7, 1.0])).tolist()
    [9.99, 10.49, 2.49]
    """
    rounded: FloatArray = np.maximum(np.round(price * 2.0) / 2.0 - 0.01, 2.49)
    return rounded


def item_costs_table(
    rng: np.random.Generator,
    cat: Catalogue,
    item: IntArray,
    location: IntArray,
    monthly_demand: FloatArray,
    plan_start: pd.Timestamp,
) -> pd.DataFrame:
    """Standard cost per item x stocking location from the last cost roll, and the hose family's
    material increase from the plan's seventh month.

    A lost sale costs the revenue it would have brought (the list price: the lost margin plus
    the cost to make the unit, which a least-cost plan saves by not making it) plus goodwill,
    so serving demand pays wherever capacity allows, in every month: the sprinklers get a row
    at their price rise, so that the lost-sales cost follows the new price.

    `monthly_demand` is each item's average expected units per month over the horizon.
    """
    n = len(item)
    unit = cat.price[item] * cat.cost_ratio[item]
    material_share = rng.uniform(0.50, 0.65, n)
    labour_share = rng.uniform(0.15, 0.25, n)
    material = unit * material_share
    labour = unit * labour_share * np.where(location == SOUTH, 0.92, 1.0)
    overhead = unit * (1.0 - material_share - labour_share)
    lane_cost = {plant: cost for plant, _, cost in LANES}
    overhead += np.where(location == DC, np.vectorize(lane_cost.get)(cat.plant[item]), 0.0)
    plant_row = location != DC
    subcontract = plant_row & (rng.random(n) < 0.3)
    holding_rate = rng.uniform(0.015, 0.02, n)

    def rows(
        material: FloatArray,
        valid_from: pd.Timestamp,
        keep: np.ndarray,
        price: FloatArray | None = None,
    ) -> pd.DataFrame:
        cost = material + labour + overhead
        sale = cat.price[item] if price is None else price
        return frame(
            "item_costs",
            {
                "item": cat.code[item[keep]],
                "location": LOCATION_CODES[location[keep]],
                "valid_from": np.full(int(keep.sum()), valid_from),
                "material_cost": np.round(material, 2)[keep],
                "labour_cost": np.round(labour, 2)[keep],
                "overhead_cost": np.round(overhead, 2)[keep],
                "holding_cost": np.round(cost * holding_rate, 4)[keep],
                "backlog_cost": np.round(cat.price[item] * LATE_RATE, 2)[keep],
                "lost_sales_cost": np.round(sale * (1.0 + GOODWILL), 2)[keep],
                "subcontract_cost": np.where(subcontract, np.round(1.3 * cost, 2), np.nan)[keep],
                "subcontract_limit": np.where(
                    subcontract, np.maximum(np.round(0.25 * monthly_demand[item], -1), 10.0), np.nan
                )[keep],
            },
        )

    current = rows(material, plan_start - pd.DateOffset(months=12), np.ones(n, dtype=bool))
    dearer = rows(
        material * (1.0 + HOSE_MATERIAL_RISE),
        plan_start + pd.DateOffset(months=6),
        (cat.family[item] == HOSES) & (cat.status[item] != OBSOLETE),
    )
    repriced = rows(
        material,
        plan_start + pd.DateOffset(months=SPRINKLER_PRICE_MONTH),
        (cat.family[item] == SPRINKLERS) & (cat.status[item] != OBSOLETE),
        price=shop_price(cat.price[item] * (1.0 + SPRINKLER_PRICE_RISE)),
    )
    table = pd.concat([current, dearer, repriced], ignore_index=True)
    return table.sort_values(["item", "location", "valid_from"], ignore_index=True)


def prices_table(
    rng: np.random.Generator, cat: Catalogue, plan_start: pd.Timestamp
) -> pd.DataFrame:
    """List prices (`all`), a lower online price for some items, and a sprinkler price rise."""
    n = cat.size
    online = np.flatnonzero(rng.random(n) < 0.35)
    item = np.concatenate([np.arange(n), online])
    channel = np.array(["all"] * n + ["online"] * len(online), dtype=object)
    price = np.concatenate([cat.price, shop_price(cat.price[online] * (1.0 - ONLINE_DISCOUNT))])
    valid_from = np.full(len(item), plan_start - pd.DateOffset(months=12))
    rise = np.flatnonzero(cat.family[item] == SPRINKLERS)
    item = np.concatenate([item, item[rise]])
    channel = np.concatenate([channel, channel[rise]])
    price = np.concatenate([price, shop_price(price[rise] * (1.0 + SPRINKLER_PRICE_RISE))])
    valid_from = np.concatenate(
        [valid_from, np.full(len(rise), plan_start + pd.DateOffset(months=SPRINKLER_PRICE_MONTH))]
    )
    table = frame(
        "prices",
        {
            "item": cat.code[item],
            "channel": channel,
            "valid_from": valid_from,
            "price": price,
        },
    )
    return table.sort_values(["item", "channel", "valid_from"], ignore_index=True)


def inventory_policies_table(
    rng: np.random.Generator,
    cat: Catalogue,
    item: IntArray,
    location: IntArray,
    monthly_demand: FloatArray,
) -> pd.DataFrame:
    """Service-level targets for most stock points (0.98 for the big sellers, 0.90 for the tail),
    days of supply for some, a fixed safety stock for a few and for most lumpy items."""
    keep = cat.status[item] != OBSOLETE
    item, location = item[keep], location[keep]
    n = len(item)
    demand = monthly_demand[item]
    draw = rng.random(n)
    method = np.where(draw < 0.72, "service_level", np.where(draw < 0.9, "days_of_supply", "fixed"))
    method = np.where(cat.intermittent[item] & (rng.random(n) < 0.6), "fixed", method)
    rank = pd.Series(demand).rank(pct=True).to_numpy()
    service = np.select([rank > 0.8, rank > 0.5], [0.98, 0.95], 0.90)
    days = rng.choice(np.array([10.0, 15.0, 20.0, 30.0]), n)
    safety = np.maximum(np.round(0.5 * demand), 1.0)
    lane_lead = {plant: lead for plant, lead, _ in LANES}
    lead = np.where(location == DC, np.vectorize(lane_lead.get)(cat.plant[item]) + 1.0, 1.0)
    minimum = np.where(rng.random(n) < 0.1, np.round(0.2 * demand), np.nan)
    bulky = (location == DC) & (cat.family[item] == 2)
    maximum = np.where(bulky, np.maximum(np.round(3.0 * demand, -1), 50.0), np.nan)
    wait = rng.random(n)
    backlog = pd.array(np.where(wait < 0.3, 1, np.where(wait < 0.45, 2, 0)), dtype="Int64")
    backlog[wait >= 0.45] = pd.NA
    return frame(
        "inventory_policies",
        {
            "item": cat.code[item],
            "location": LOCATION_CODES[location],
            "method": method,
            "service_level": np.where(method == "service_level", service, np.nan),
            "days_of_supply": np.where(method == "days_of_supply", days, np.nan),
            "safety_stock": np.where(method == "fixed", safety, np.nan),
            "min_inventory": minimum,
            "max_inventory": maximum,
            "lead_time_periods": lead,
            "max_backlog_periods": backlog,
            "ending_inventory": np.where(cat.status[item] == PHASE_OUT, 0.0, np.nan),
        },
    )


def budgets_table(
    rng: np.random.Generator, cat: Catalogue, sales: pd.DataFrame, plan_start: pd.Timestamp
) -> pd.DataFrame:
    """Family budget for the twelve months from plan start: last year's same month grown by the
    family's target, a budgeted price rise, and last year's margin rate plus a point."""
    last_year = sales[sales["period"] >= plan_start - pd.DateOffset(months=12)]
    index = pd.Series(np.arange(cat.size), index=cat.code)
    item = index.reindex(last_year["item"].to_numpy()).to_numpy()
    family = cat.family[item]
    month = (last_year["period"].dt.month.to_numpy() - plan_start.month) % 12
    quantity = last_year["quantity"].to_numpy()
    revenue = last_year["revenue"].to_numpy()
    cost = quantity * cat.price[item] * cat.cost_ratio[item]
    volume = np.zeros((3, 12))
    np.add.at(volume, (family, month), quantity)
    family_revenue = np.bincount(family, weights=revenue, minlength=3)
    family_cost = np.bincount(family, weights=cost, minlength=3)
    family_volume = np.maximum(volume.sum(axis=1), 1.0)
    unit_revenue = family_revenue / family_volume
    margin_rate = (family_revenue - family_cost) / np.maximum(family_revenue, 1.0) + 0.01

    budget_volume = volume * (1.0 + BUDGET_GROWTH[:, None]) * rng.normal(1.0, 0.03, (3, 12))
    budget_volume = np.round(np.maximum(budget_volume, 0.0), -1).astype(np.float64)
    budget_revenue = np.round(
        budget_volume * (unit_revenue * (1.0 + BUDGET_PRICE_RISE))[:, None], -2
    )
    budget_margin = np.round(budget_revenue * margin_rate[:, None], -2)
    fam, m = np.divmod(np.arange(36), 12)
    return frame(
        "budgets",
        {
            "family": FAMILY_CODES[fam],
            "period": month_start(plan_start, m.astype(float)),
            "volume": budget_volume[fam, m],
            "revenue": budget_revenue[fam, m],
            "margin": budget_margin[fam, m],
        },
    )

"""Rebates and discounts: the share of the list price that is never collected.

A price list is gross; what customers pay is net of volume rebates, retailer discounts and
promotion money. The sales history records the net revenue, the budget is set on it, so the
plan is valued net as well: list price x (1 - expected rebate). The expected rebate is the
price row's own ``rebate`` (agreed terms) where it is filled in, else the rebate the history
realised on the item's list price, else its family's, else none. See docs/financial-plan.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, numeric, require_columns, value_in_force
from oneplan.errors import InputError

LIST_PRICE = "all"
#: Months of sales history the realised rebate is measured over (the latest ones).
REBATE_MONTHS = 12
#: Where a price row's expected rebate comes from.
REBATE_SOURCES = ("terms", "item history", "family history", "channel price", "none")


def realised_rebates(
    sales_history: pd.DataFrame | None,
    prices: pd.DataFrame,
    items: pd.DataFrame | None = None,
    *,
    months: int = REBATE_MONTHS,
) -> pd.DataFrame:
    """The rebate the sales history realised on the list price, per item and per family.

    Over the latest ``months`` months of history with a ``revenue``: rebate = 1 - net revenue /
    (units x list price in force that month), summed per item, and per family over its items
    (``items``: ``code|item, family``). Months before an item's first list price are left out:
    their list is unknown. A history sold above the list counts as no rebate. Returns
    ``level`` (``item`` or ``family``), ``code``, ``gross_revenue``, ``net_revenue``,
    ``rebate``; empty without usable history.

    >>> sales = pd.DataFrame({"item": ["A", "A", "B"], "location": "L",
    ...     "period": ["2026-11", "2026-12", "2026-12"], "quantity": [10.0, 10.0, 5.0],
    ...     "revenue": [90.0, 94.0, 100.0]})
    >>> prices = pd.DataFrame({"item": ["A", "B"], "channel": "all",
    ...     "valid_from": ["2026-01", "2026-01"], "price": [10.0, 20.0]})
    >>> items = pd.DataFrame({"code": ["A", "B"], "family": ["F", "F"]})
    >>> out = realised_rebates(sales, prices, items)
    >>> out[["level", "code", "rebate"]].round(3).values.tolist()
    [['item', 'A', 0.08], ['item', 'B', 0.0], ['family', 'F', 0.053]]
    """
    columns = ["level", "code", "gross_revenue", "net_revenue", "rebate"]
    empty = pd.DataFrame(
        {c: pd.Series(dtype=object if c in ("level", "code") else float) for c in columns}
    )
    if sales_history is None or "revenue" not in sales_history.columns or not len(prices):
        return empty
    require_columns(sales_history, ["item", "period", "quantity"], "sales_history")
    sales = pd.DataFrame(
        {
            "item": sales_history["item"].astype(str).to_numpy(),
            "period": month_starts(sales_history["period"], table="sales_history").to_numpy(),
            "quantity": numeric(sales_history, "quantity", "sales_history").to_numpy(),
            "revenue": numeric(sales_history, "revenue", "sales_history").to_numpy(),
        }
    ).dropna(subset=["period", "revenue"])
    if not len(sales):
        return empty
    latest = sales["period"].max()
    sales = sales[sales["period"] > latest - pd.DateOffset(months=months)].reset_index(drop=True)
    listed = _list_prices(prices)
    sales["list_price"] = value_in_force(sales, listed, ["item"], ["price"], table="prices")[
        "price"
    ].to_numpy()
    sales["gross_revenue"] = sales["quantity"] * sales["list_price"]
    sales = sales[sales["gross_revenue"] > 0]
    per_item = sales.groupby("item", as_index=False)[["gross_revenue", "revenue"]].sum()
    per_item = per_item.rename(columns={"item": "code"}).assign(level="item")
    parts = [per_item]
    if items is not None and len(items):
        master = items.rename(columns={"code": "item"})
        require_columns(master, ["item", "family"], "items")
        family = master.assign(item=master["item"].astype(str)).set_index("item")["family"]
        keyed = sales.assign(family=sales["item"].map(family)).dropna(subset=["family"])
        per_family = keyed.groupby("family", as_index=False)[["gross_revenue", "revenue"]].sum()
        parts.append(per_family.rename(columns={"family": "code"}).assign(level="family"))
    out = pd.concat(parts, ignore_index=True).rename(columns={"revenue": "net_revenue"})
    out["rebate"] = (1.0 - out["net_revenue"] / out["gross_revenue"]).clip(lower=0.0)
    realised: pd.DataFrame = out[columns].astype({"code": str})
    return realised


def expected_rebates(
    prices: pd.DataFrame,
    sales_history: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    *,
    months: int = REBATE_MONTHS,
) -> pd.DataFrame:
    """``prices`` with every row's expected ``rebate`` filled in and its ``rebate_source``.

    A row's own ``rebate`` (the agreed terms) wins. A list price row (channel ``all``) without
    one takes the rebate its item realised in the history (`realised_rebates`), else its
    family's, else 0. Another channel's price without one is taken as what that channel
    pays (0, ``channel price``): the history is measured against the list price and already
    holds the channels' discounts.

    >>> prices = pd.DataFrame({"item": ["A", "B", "A"], "channel": ["all", "all", "web"],
    ...     "valid_from": "2026-01", "price": [10.0, 20.0, 9.0], "rebate": [None, 0.05, None]})
    >>> sales = pd.DataFrame({"item": "A", "period": "2026-12", "quantity": [10.0],
    ...     "revenue": [92.0]})
    >>> out = expected_rebates(prices, sales)
    >>> out["rebate"].round(3).tolist()
    [0.08, 0.05, 0.0]
    >>> out["rebate_source"].tolist()
    ['item history', 'terms', 'channel price']
    """
    require_columns(prices, ["item", "channel", "valid_from", "price"], "prices")
    out = prices.copy()
    own = numeric(out, "rebate", "prices", default=np.nan)
    bad = own.notna() & ((own < 0) | (own >= 1))
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(
            f"holds {own[bad].iloc[0]!r}: a rebate is a share of the price, from 0 up to 1",
            table="prices",
            column="rebate",
            row=row,
        )
    realised = realised_rebates(sales_history, prices, items, months=months)
    by_item = realised[realised["level"] == "item"].set_index("code")["rebate"]
    by_family = realised[realised["level"] == "family"].set_index("code")["rebate"]
    item = out["item"].astype(str)
    from_item = item.map(by_item)
    from_family = pd.Series(np.nan, index=out.index)
    if items is not None and len(items) and len(by_family):
        master = items.rename(columns={"code": "item"})
        family = master.assign(item=master["item"].astype(str)).set_index("item")["family"]
        from_family = item.map(family).map(by_family)
    listed = out["channel"].astype(str) == LIST_PRICE
    out["rebate"] = np.select(
        [own.notna(), ~listed, from_item.notna(), from_family.notna()],
        [own, 0.0, from_item, from_family],
        0.0,
    )
    out["rebate_source"] = np.select(
        [own.notna(), ~listed, from_item.notna(), from_family.notna()],
        ["terms", "channel price", "item history", "family history"],
        "none",
    )
    return out


def _list_prices(prices: pd.DataFrame) -> pd.DataFrame:
    require_columns(prices, ["item", "channel", "valid_from", "price"], "prices")
    listed = prices[prices["channel"].astype(str) == LIST_PRICE]
    return listed.assign(item=listed["item"].astype(str), price=numeric(listed, "price", "prices"))[
        ["item", "valid_from", "price"]
    ]

"""Safety stock per item x location x period from the inventory policy of each pair.

Three policy methods (the `inventory_policies.method` column):

- ``service_level``: ``z(service_level) * sigma_lt``, where ``sigma_lt`` is the spread of the
  forecast error over the replenishment lead time, measured from backtest errors;
- ``days_of_supply``: ``days_of_supply * forward demand per day``;
- ``fixed``: the ``safety_stock`` value in units.

Every result is clipped to ``[min_inventory, max_inventory]`` where those are given. See
docs/inventory-planning.md for the formulas and a worked example.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, numeric, require_columns
from oneplan.errors import InputError

METHODS = ("service_level", "days_of_supply", "fixed")
AVERAGE_DAYS_PER_MONTH = 30.4
KEYS = ["item", "location"]
TABLE = "inventory_policies"


def days_in_periods(periods: pd.Series, days_per_month: float | Literal["calendar"]) -> np.ndarray:
    """Days of each monthly period: its calendar days, or a fixed average such as 30.4."""
    if days_per_month == "calendar":
        return np.asarray(periods.dt.days_in_month, dtype=float)
    return np.full(len(periods), float(days_per_month))


def demand_matrix(demand: pd.DataFrame, keys: pd.DataFrame, periods: pd.Series) -> np.ndarray:
    """Demand as a (pairs x periods) array aligned to `keys` rows and `periods`; gaps are 0."""
    require_columns(demand, [*KEYS, "period", "quantity"], "demand")
    frame = demand.assign(period=month_starts(demand["period"], table="demand").to_numpy())
    table = frame.pivot_table(
        index=KEYS, columns="period", values="quantity", aggfunc="sum", fill_value=0.0
    )
    table = table.reindex(columns=pd.DatetimeIndex(periods), fill_value=0.0)
    index = pd.MultiIndex.from_frame(keys[KEYS])
    return table.reindex(index, fill_value=0.0).to_numpy(dtype=float)


def forward_daily_demand(
    quantity: np.ndarray, days: np.ndarray, window: int, *, start: int = 0
) -> np.ndarray:
    """Average demand per day over periods ``t+start .. t+start+window-1`` (cut at the horizon).

    Uses cumulative sums, so the cost is one pass whatever the window. Where the window lies
    wholly past the horizon, the period's own demand rate is used.

    >>> forward_daily_demand(np.array([[31.0, 60.0, 0.0]]), np.array([31.0, 30.0, 31.0]), 2)
    array([[1.49180328, 0.98360656, 0.        ]])
    """
    n_periods = quantity.shape[1]
    cum_qty = np.concatenate([np.zeros((quantity.shape[0], 1)), np.cumsum(quantity, axis=1)], 1)
    cum_days = np.concatenate([[0.0], np.cumsum(days)])
    first = np.minimum(np.arange(n_periods) + start, n_periods)
    last = np.minimum(first + window, n_periods)
    qty = cum_qty[:, last] - cum_qty[:, first]
    span = cum_days[last] - cum_days[first]
    own_rate = quantity / days
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(span > 0, qty / np.where(span > 0, span, 1.0), own_rate)
    return np.asarray(rate, dtype=float)


def _first(rows: pd.Series) -> int | None:
    """Position of the first row where the mask `rows` holds, or None."""
    return int(np.argmax(rows.to_numpy())) if rows.any() else None


def _policies(policies: pd.DataFrame, default_lead_time: float) -> pd.DataFrame:
    require_columns(policies, [*KEYS, "method"], TABLE)
    pol = policies.copy()
    for column in (
        "service_level",
        "days_of_supply",
        "safety_stock",
        "min_inventory",
        "max_inventory",
        "lead_time_periods",
    ):
        pol[column] = numeric(pol, column, TABLE, default=np.nan)

    method = pol["method"]
    row = _first(~method.isin(METHODS))
    if row is not None:
        allowed = ", ".join(METHODS)
        message = f"has {method.iloc[row]!r}; allowed: {allowed}"
        raise InputError(message, table=TABLE, column="method", row=row)
    row = _first(pol.duplicated(KEYS))
    if row is not None:
        pair = f"item {pol['item'].iloc[row]!r} at location {pol['location'].iloc[row]!r}"
        raise InputError(f"{pair} appears more than once", table=TABLE, row=row)
    needs = {"service_level": "service_level", "days_of_supply": "days_of_supply"}
    needs["fixed"] = "safety_stock"
    for name, column in needs.items():
        row = _first(method.eq(name) & pol[column].isna())
        if row is not None:
            raise InputError(f"is empty for method {name!r}", table=TABLE, column=column, row=row)
    level = pol["service_level"]
    row = _first(method.eq("service_level") & ((level <= 0) | (level >= 1)))
    if row is not None:
        message = f"is {level.iloc[row]:g}; it must be between 0 and 1 (exclusive)"
        raise InputError(message, table=TABLE, column="service_level", row=row)
    row = _first(pol["lead_time_periods"] < 0)
    if row is not None:
        message = f"is {pol['lead_time_periods'].iloc[row]:g}; it must not be negative"
        raise InputError(message, table=TABLE, column="lead_time_periods", row=row)
    pol["lead_time_periods"] = pol["lead_time_periods"].fillna(default_lead_time)
    return pol.reset_index(drop=True)


def backtest_errors(errors: pd.DataFrame, id_separator: str = "|") -> pd.DataFrame:
    """Normalise backtest rows to ``item, location, cutoff, horizon_step, error``.

    Accepts ``item, location`` or ``unique_id`` (``"item|location"``); ``error`` or ``y`` and
    ``forecast`` (error = actual - forecast); ``horizon_step`` or ``ds`` and ``cutoff`` (months
    between them). Without ``cutoff`` the origins are unknown and cumulative errors cannot be
    formed; without a step every row counts as a one-step error.
    """
    frame = errors.copy()
    if not set(KEYS) <= set(frame.columns):
        require_columns(frame, ["unique_id"], "errors")
        parts = frame["unique_id"].astype(str).str.split(id_separator, n=1, expand=True)
        if parts.shape[1] != 2:
            raise InputError(
                f"must read 'item{id_separator}location'", table="errors", column="unique_id"
            )
        frame["item"], frame["location"] = parts[0], parts[1]
    if "error" not in frame.columns:
        require_columns(frame, ["y", "forecast"], "errors")
        frame["error"] = frame["y"].astype(float) - frame["forecast"].astype(float)
    if "horizon_step" not in frame.columns:
        if {"ds", "cutoff"} <= set(frame.columns):
            ds = month_starts(frame["ds"], table="errors")
            cutoff = month_starts(frame["cutoff"], table="errors")
            months = (ds.dt.year - cutoff.dt.year) * 12 + ds.dt.month - cutoff.dt.month
            frame["horizon_step"] = months.to_numpy()
        else:
            frame["horizon_step"] = 1
    frame["cutoff"] = frame["cutoff"].astype(str) if "cutoff" in frame.columns else None
    frame["error"] = pd.to_numeric(frame["error"], errors="coerce").astype(float)
    return frame.dropna(subset=["error"])[[*KEYS, "cutoff", "horizon_step", "error"]]


def _spread(frame: pd.DataFrame, keys: list[str], sigma: str) -> pd.DataFrame:
    """Count and spread (RMSE or sample standard deviation) of `error` per group."""
    grouped = frame.assign(squared=np.square(frame["error"])).groupby(keys)
    spread = grouped["error"].std(ddof=1) if sigma == "std" else np.sqrt(grouped["squared"].mean())
    return pd.DataFrame({"n": grouped.size(), "spread": spread}).reset_index()


def lead_time_sigma(
    errors: pd.DataFrame,
    lead_times: pd.DataFrame,
    *,
    sigma: Literal["rmse", "std"] = "rmse",
    min_observations: int = 3,
) -> pd.DataFrame:
    """Forecast-error spread over the lead time per item x location.

    Prefers the errors of the cumulative L-step forecast (sum of steps 1..L from one origin)
    when the backtest reaches L steps with at least `min_observations` origins; otherwise the
    one-step spread times sqrt(L) (independent errors). Returns ``item, location, sigma_one,
    sigma_lt, basis`` for pairs with enough error history.
    """
    lead = lead_times[[*KEYS, "lead_time_periods"]]
    err = errors.merge(lead, on=KEYS, how="inner")
    result = _spread(err[err["horizon_step"].eq(1)], KEYS, sigma)
    result = result[result["n"] >= max(min_observations, 2)]
    result = result.rename(columns={"spread": "sigma_one"})[[*KEYS, "sigma_one"]]
    result = result.merge(lead, on=KEYS)
    result["sigma_lt"] = result["sigma_one"] * np.sqrt(result["lead_time_periods"])
    result["basis"] = "sqrt(L) x one-step error"

    whole = np.isclose(err["lead_time_periods"], np.round(err["lead_time_periods"]))
    window = err[whole & err["cutoff"].notna() & (err["lead_time_periods"] >= 1)]
    window = window[window["horizon_step"].between(1, window["lead_time_periods"])]
    if not window.empty:
        per_origin = window.groupby([*KEYS, "cutoff"]).agg(
            error=("error", "sum"),
            steps=("horizon_step", "nunique"),
            lead=("lead_time_periods", "first"),
        )
        per_origin = per_origin[per_origin["steps"] == per_origin["lead"]].reset_index()
        direct = _spread(per_origin, KEYS, sigma)
        direct = direct[direct["n"] >= max(min_observations, 2)]
        direct = direct.rename(columns={"spread": "sigma_cum"})[[*KEYS, "sigma_cum"]]
        result = result.merge(direct, on=KEYS, how="left")
        use = result["sigma_cum"].notna()
        result.loc[use, "sigma_lt"] = result.loc[use, "sigma_cum"]
        result.loc[use, "basis"] = "cumulative L-step error"
    return result[[*KEYS, "sigma_one", "sigma_lt", "basis"]]


def fill_rate_k(
    fill_rate: np.ndarray, cycle_demand: np.ndarray, sigma_lt: np.ndarray
) -> np.ndarray:
    """Safety factor k with expected shortage per cycle = (1 - fill_rate) x cycle demand.

    Solves G(k) = (1 - fill_rate) * cycle_demand / sigma_lt, G the standard normal loss
    function G(k) = phi(k) - k (1 - Phi(k)); k is floored at 0.

    >>> round(float(fill_rate_k(np.array([0.98]), np.array([100.0]), np.array([50.0]))[0]), 3)
    1.36
    """
    from scipy import optimize, stats  # a second to import: only solves pay for it

    with np.errstate(divide="ignore", invalid="ignore"):
        target = (1.0 - fill_rate) * cycle_demand / sigma_lt
    target = np.clip(np.nan_to_num(target, nan=0.0, posinf=10.0), 1e-12, 10.0)

    def loss(k: np.ndarray) -> np.ndarray:
        return np.asarray(stats.norm.pdf(k) - k * stats.norm.sf(k) - target)

    def slope(k: np.ndarray) -> np.ndarray:
        return np.asarray(-stats.norm.sf(k))

    # G is convex and decreasing: Newton from the left converges monotonically.
    start = np.full(target.shape, -4.0)
    k = np.asarray(optimize.newton(loss, start, fprime=slope, maxiter=200), dtype=float)
    floored: np.ndarray = np.maximum(k, 0.0)
    return floored


def safety_stock(
    policies: pd.DataFrame,
    errors: pd.DataFrame | None,
    demand: pd.DataFrame,
    *,
    periods: object,
    items: pd.DataFrame | None = None,
    sigma: Literal["rmse", "std"] = "rmse",
    service_measure: Literal["cycle", "fill_rate"] = "cycle",
    forward_periods: int = 3,
    days_per_month: float | Literal["calendar"] = "calendar",
    min_observations: int = 3,
    fallback_days_of_supply: float = 15.0,
    default_lead_time: float = 1.0,
    id_separator: str = "|",
) -> pd.DataFrame:
    """Safety stock per item x location x period, by each pair's policy method.

    policies: ``item, location, method`` and as the method needs ``service_level,
    days_of_supply, safety_stock, min_inventory, max_inventory, lead_time_periods``.
    errors: backtest errors (see `backtest_errors`), or None. demand: ``item, location, period,
    quantity`` (the forward plan). items: ``code`` or ``item`` and ``family`` for the fallback.

    Returns ``item, location, period, safety_stock, method, sigma_lt, z, note``.

    >>> pol = pd.DataFrame({"item": ["A"], "location": ["P1"], "method": ["fixed"],
    ...                     "safety_stock": [40.0], "min_inventory": [50.0]})
    >>> dem = pd.DataFrame({"item": ["A"], "location": ["P1"], "period": ["2027-01"],
    ...                     "quantity": [100.0]})
    >>> out = safety_stock(pol, None, dem, periods=["2027-01"])
    >>> float(out["safety_stock"].iloc[0]), out["note"].iloc[0]
    (50.0, 'fixed; raised to min_inventory')
    """
    pol = _policies(policies, default_lead_time)
    per = month_starts(periods, table="arguments", column="periods")
    per = per.drop_duplicates().sort_values().reset_index(drop=True)
    days = days_in_periods(per, days_per_month)
    qty = demand_matrix(demand, pol, per)
    daily = forward_daily_demand(qty, days, forward_periods)
    monthly = daily * (AVERAGE_DAYS_PER_MONTH if days_per_month == "calendar" else days)
    n_pol, n_per = len(pol), len(per)

    sig = pd.DataFrame(columns=[*KEYS, "sigma_one", "sigma_lt", "basis"])
    if errors is not None and len(errors):
        sig = lead_time_sigma(
            backtest_errors(errors, id_separator),
            pol,
            sigma=sigma,
            min_observations=min_observations,
        )
    known = pol[KEYS].merge(sig, on=KEYS, how="left")
    lead = pol["lead_time_periods"].to_numpy()
    sigma_lt = np.repeat(known["sigma_lt"].to_numpy(dtype=float)[:, None], n_per, 1)
    basis = np.repeat(known["basis"].fillna("").to_numpy(dtype=object)[:, None], n_per, 1)

    # New pairs borrow the coefficient of variation (one-step sigma / mean monthly demand)
    # of their family; a family with no history falls back to days of supply.
    mean_demand = qty.mean(axis=1) if n_per else np.zeros(n_pol)
    no_history = known["sigma_lt"].isna().to_numpy()
    if items is not None and no_history.any():
        master = items.rename(columns={"code": "item"})
        require_columns(master, ["item", "family"], "items")
        family = pol[["item"]].merge(master[["item", "family"]], on="item", how="left")["family"]
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = known["sigma_one"].to_numpy(dtype=float) / mean_demand
        cv_frame = pd.DataFrame({"family": family, "cv": np.where(np.isfinite(cv), cv, np.nan)})
        family_cv = cv_frame.groupby("family")["cv"].median()
        borrowed = family.map(family_cv).to_numpy(dtype=float)
        use = no_history & np.isfinite(borrowed)
        sigma_lt[use] = (borrowed[use] * np.sqrt(lead[use]))[:, None] * monthly[use]
        label = "fallback: family CV " + pd.Series(borrowed[use]).round(3).astype(str)
        basis[use, :] = label.to_numpy(dtype=object)[:, None]

    method = np.repeat(pol["method"].to_numpy(dtype=object)[:, None], n_per, 1)
    level = np.repeat(pol["service_level"].to_numpy(dtype=float)[:, None], n_per, 1)
    z = np.full((n_pol, n_per), np.nan)
    result = np.zeros((n_pol, n_per))
    note = np.full((n_pol, n_per), "", dtype=object)
    service = (method == "service_level") & np.isfinite(sigma_lt)
    if service_measure == "fill_rate":
        z[service] = fill_rate_k(level[service], monthly[service], sigma_lt[service])
    else:
        from scipy import stats  # a second to import: only solves pay for it

        z[service] = stats.norm.ppf(level[service])
    result[service] = z[service] * sigma_lt[service]
    note[service] = (f"{service_measure} service level; " + basis[service]).astype(object)

    fallback = (method == "service_level") & ~np.isfinite(sigma_lt)
    result[fallback] = fallback_days_of_supply * daily[fallback]
    note[fallback] = f"fallback: no error history, {fallback_days_of_supply:g} days of supply"

    cover = method == "days_of_supply"
    dos = np.repeat(pol["days_of_supply"].to_numpy(dtype=float)[:, None], n_per, 1)
    result[cover] = dos[cover] * daily[cover]
    note[cover] = f"days of supply over the next {forward_periods} periods"

    fixed = method == "fixed"
    result[fixed] = np.repeat(pol["safety_stock"].to_numpy(dtype=float)[:, None], n_per, 1)[fixed]
    note[fixed] = "fixed"

    low = np.repeat(pol["min_inventory"].to_numpy(dtype=float)[:, None], n_per, 1)
    high = np.repeat(pol["max_inventory"].to_numpy(dtype=float)[:, None], n_per, 1)
    raised, capped = result < low, result > high
    result = np.where(raised, low, np.where(capped, high, result))
    note[raised] = note[raised] + "; raised to min_inventory"
    note[capped] = note[capped] + "; capped at max_inventory"

    return pd.DataFrame(
        {
            "item": np.repeat(pol["item"].to_numpy(), n_per),
            "location": np.repeat(pol["location"].to_numpy(), n_per),
            "period": np.tile(per.to_numpy(), n_pol),
            "safety_stock": result.ravel(),
            "method": method.ravel(),
            "sigma_lt": sigma_lt.ravel(),
            "z": z.ravel(),
            "note": note.ravel(),
        }
    )

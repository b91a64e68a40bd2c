"""Checks on the sales history at the engine's boundary.

A bad frame raises :class:`~oneplan.errors.InputError` (a ``ValueError``) located at the column
(and, for one bad value, the row's 0-based position) of the ``history`` frame, with a message that
says what is wrong; a good frame comes back sorted, typed and with missing months filled with zero
demand. :func:`stale_series` tells which series end far before the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from utilsforecast.preprocessing import fill_gaps

from oneplan.engines.frames import require_columns
from oneplan.errors import InputError, Notice

REQUIRED_COLUMNS = ("unique_id", "ds", "y")
TABLE = "history"
# "per_series": each series ends at its own last row; "global": all run to the latest period.
SERIES_ENDS = ("per_series", "global")


def _first(rows: pd.Series) -> int:
    """Position of the first row where the mask `rows` holds."""
    return int(np.argmax(rows.to_numpy()))


def validate_history(
    history: pd.DataFrame, *, freq: str = "MS", end: str = "per_series"
) -> pd.DataFrame:
    """Check a long ``unique_id, ds, y`` history and return it clean and gap-free.

    Missing periods inside a series are filled with zero demand: for sparse items a missing month
    means no sales. Each series ends at its own last row (``end="per_series"``), as a file of
    series that stop on different dates means; ``end="global"`` pads every series with zeros up
    to the latest period in the data instead, for histories that all run to the same month, where
    a trailing run of zeros is how a phase-out shows (the cycle's demand step).

    >>> h = pd.DataFrame({"unique_id": ["a", "a", "b"],
    ...     "ds": ["2024-01-01", "2024-03-01", "2024-05-01"], "y": [5, 7, 1]})
    >>> validate_history(h).query("unique_id == 'a'")["y"].tolist()
    [5.0, 0.0, 7.0]
    >>> validate_history(h, end="global").query("unique_id == 'a'")["y"].tolist()
    [5.0, 0.0, 7.0, 0.0, 0.0]
    """
    if end not in SERIES_ENDS:
        message = f"must be one of {list(SERIES_ENDS)}, got {end!r}"
        raise InputError(message, table="arguments", column="end")
    require_columns(history, REQUIRED_COLUMNS, TABLE)
    frame = history.loc[:, list(REQUIRED_COLUMNS)].copy()
    if frame.empty:
        raise InputError("has no rows", table=TABLE)
    empty = frame["unique_id"].isna()
    if empty.any():
        message = f"has {int(empty.sum())} empty row(s)"
        raise InputError(message, table=TABLE, column="unique_id", row=_first(empty))
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame["ds"] = _parse_dates(frame)
    frame["y"] = _parse_demand(frame)
    _reject_duplicates(frame)
    frame = frame.sort_values(["unique_id", "ds"], ignore_index=True)
    _reject_off_grid(frame, freq)
    fill_end = "per_serie" if end == "per_series" else "global"
    filled: pd.DataFrame = fill_gaps(frame, freq=freq, start="per_serie", end=fill_end)
    filled["y"] = filled["y"].fillna(0.0).astype("float64")
    return filled.sort_values(["unique_id", "ds"], ignore_index=True)


def stale_series(
    clean: pd.DataFrame, *, freq: str = "MS", season_length: int = 12, shown: int = 3
) -> Notice | None:
    """A warning naming the series whose last period lies more than one season (at least one
    period) before the newest series' last period, or None when there are none.

    Such a series is forecast from its own end, which may be long past: worth a look, since it
    may have stopped selling (then its forecast should be zero) or its latest rows are missing.

    >>> h = pd.DataFrame({"unique_id": ["a", "b"], "ds": pd.to_datetime(["2020-01-01",
    ...     "2024-06-01"]), "y": [1.0, 2.0]})
    >>> stale_series(h).message.split(":")[0]
    '1 of 2 series end more than 12 periods before the newest end (2024-06-01)'
    """
    last = clean.groupby("unique_id", sort=True, observed=True)["ds"].max()
    newest = last.max()
    season = max(season_length, 1)
    threshold = newest - season * pd.tseries.frequencies.to_offset(freq)
    stale = last[last < threshold].sort_values()
    if stale.empty:
        return None
    ids = ", ".join(f"{uid!r} ({ds:%Y-%m-%d})" for uid, ds in stale.head(shown).items())
    more = f" and {len(stale) - shown} more" if len(stale) > shown else ""
    message = (
        f"{len(stale)} of {len(last)} series end more than {season} periods before the newest "
        f"end ({newest:%Y-%m-%d}): {ids}{more}; each is forecast from its own last period"
    )
    return Notice(TABLE, None, "ds", message)


def _parse_dates(frame: pd.DataFrame) -> pd.Series:
    try:
        dates = pd.to_datetime(frame["ds"], errors="coerce")
    except (TypeError, ValueError) as exc:
        raise InputError(f"cannot be read as dates: {exc}", table=TABLE, column="ds") from exc
    bad = dates.isna()
    if bad.any():
        first = frame.loc[bad].iloc[0]
        message = (
            f"has {int(bad.sum())} value(s) that are not dates, "
            f"first {first['ds']!r} for unique_id {first['unique_id']!r}"
        )
        raise InputError(message, table=TABLE, column="ds", row=_first(bad))
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.astype("datetime64[ns]")


def _parse_demand(frame: pd.DataFrame) -> pd.Series:
    raw = frame["y"]
    if pd.api.types.is_bool_dtype(raw):
        raise InputError("must be numeric demand, got booleans", table=TABLE, column="y")
    demand = pd.to_numeric(raw, errors="coerce")
    bad = demand.isna() & raw.notna()
    if bad.any():
        first = frame.loc[bad].iloc[0]
        message = (
            f"has {int(bad.sum())} non-numeric value(s), "
            f"first {first['y']!r} for unique_id {first['unique_id']!r} at {first['ds']:%Y-%m-%d}"
        )
        raise InputError(message, table=TABLE, column="y", row=_first(bad))
    if demand.isna().any():
        first = frame.loc[demand.isna()].iloc[0]
        message = (
            f"has {int(demand.isna().sum())} empty value(s), "
            f"first for unique_id {first['unique_id']!r} at {first['ds']:%Y-%m-%d}; "
            "leave the row out (it counts as zero) or give 0"
        )
        raise InputError(message, table=TABLE, column="y", row=_first(demand.isna()))
    demand = demand.astype("float64")
    infinite = ~pd.Series(pd.notna(demand) & (demand.abs() < float("inf")), index=demand.index)
    if infinite.any():
        message = f"has {int(infinite.sum())} infinite value(s)"
        raise InputError(message, table=TABLE, column="y", row=_first(infinite))
    negative = demand < 0
    if negative.any():
        first = frame.loc[negative].iloc[0]
        message = (
            f"has {int(negative.sum())} negative value(s) (demand cannot be negative; "
            "book returns separately), "
            f"first {demand[negative].iloc[0]:g} for unique_id {first['unique_id']!r} "
            f"at {first['ds']:%Y-%m-%d}"
        )
        raise InputError(message, table=TABLE, column="y", row=_first(negative))
    return demand


def _reject_duplicates(frame: pd.DataFrame) -> None:
    duplicated = frame.duplicated(["unique_id", "ds"], keep=False)
    if duplicated.any():
        firsts = frame.loc[duplicated, ["unique_id", "ds"]].drop_duplicates().head(3)
        shown = ", ".join(f"({u!r}, {d:%Y-%m-%d})" for u, d in firsts.itertuples(index=False))
        message = (
            f"has {int(duplicated.sum())} rows sharing a period with another row of their "
            f"unique_id, first {shown}; aggregate them to one row per item and period"
        )
        raise InputError(message, table=TABLE, column="ds", row=_first(duplicated))


def _reject_off_grid(frame: pd.DataFrame, freq: str) -> None:
    # fill_gaps would silently add a period next to a date that is not on the calendar grid.
    offset = pd.tseries.frequencies.to_offset(freq)
    dates = pd.Series(frame["ds"].unique())
    off_dates = set(dates[~dates.map(offset.is_on_offset).astype(bool)])
    on_grid = ~frame["ds"].isin(off_dates)
    if not on_grid.all():
        first = frame.loc[~on_grid].iloc[0]
        # the frame is sorted by now: the message names the row by its series and date
        message = (
            f"has {int((~on_grid).sum())} date(s) off the {freq!r} calendar, "
            f"first {first['ds']:%Y-%m-%d} for unique_id {first['unique_id']!r}"
        )
        raise InputError(message, table=TABLE, column="ds")

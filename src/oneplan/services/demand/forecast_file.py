"""The standalone forecast: a file of series in, a file of forecasts out, no database.

Input and output are CSV or Parquet, chosen by the file's extension. The input holds
``unique_id, ds, y``; the output ``unique_id, ds, forecast`` and the interval columns
(``forecast-lo-80``, ``forecast-hi-80``, ...). The whole file is forecast in one run (the model
choice is made over all series of a model set); progress is reported per model set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oneplan.engines.demand import ForecastResult, forecast, validate_history
from oneplan.errors import InputError, Notice, Problem, ValidationFailed

SERIES_COLUMNS = ["unique_id", "ds", "y"]
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class StandaloneForecast:
    """Frames of a standalone run, how many series it covered and what is worth a look in the
    file (series that end far before the others)."""

    result: ForecastResult
    series: int
    notices: tuple[Notice, ...] = ()


def _format(path: Path, what: str) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValidationFailed(
            [Problem(str(path), None, None, f"{what} must end in .csv or .parquet")]
        )
    return kind


def read_series(path: Path) -> pd.DataFrame:
    """Read ``unique_id, ds, y`` from a CSV or Parquet file; other columns are ignored."""
    kind = _format(path, "the input")
    if not path.is_file():
        raise ValidationFailed([Problem(str(path), None, None, "does not exist")])
    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype={"unique_id": str})
        else:
            frame = pd.read_parquet(path)
    except Exception as error:  # pandas raises many kinds on a damaged file
        message = f"cannot be read as {kind} ({error})"
        raise ValidationFailed([Problem(path.name, None, None, message)]) from error
    missing = [c for c in SERIES_COLUMNS if c not in frame.columns]
    if missing:
        problems = [
            Problem(path.name, None, c, "is missing (the file needs unique_id, ds, y)")
            for c in missing
        ]
        raise ValidationFailed(problems)
    frame = frame[SERIES_COLUMNS].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    return frame


def forecast_series(
    history: pd.DataFrame,
    horizon: int,
    *,
    freq: str = "MS",
    season_length: int = 12,
    levels: Sequence[int] = (80, 95),
    source: str = "input",
    fast: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> StandaloneForecast:
    """Forecast ``history`` in one run, calling ``on_progress(series_done, series_total)``.

    The model choice is made over all series of a model set, so the file is never split: a
    batch would choose for itself and give other numbers than the whole file. Each series is
    forecast from its own last period; series that end more than a season before the newest
    come back as ``notices``. ``fast`` fits the cheaper regular models (``docs/forecasting.md``).
    """
    if horizon < 1:
        raise ValidationFailed(
            [Problem(source, None, "horizon", f"must be at least 1, got {horizon}")]
        )
    try:
        clean = validate_history(history, freq=freq)
        result = forecast(
            clean,
            horizon,
            freq=freq,
            season_length=season_length,
            levels=levels,
            fast=fast,
            progress=on_progress,
        )
    except InputError as error:
        raise in_file(error, source) from error
    notices = tuple(Notice(source, n.row, n.column, n.message) for n in result.notices)
    return StandaloneForecast(result, clean["unique_id"].nunique(), notices)


def in_file(error: InputError, source: str) -> ValidationFailed:
    """The engine's problem located in the file it came from: a frame's row position is the
    file's row (the header is row 1, the first data row 2)."""
    row = None if error.row is None else error.row + 2
    message = error.problems[0].message
    if error.table not in ("history", "input"):
        message = f"{error.table}: {message}"
    return ValidationFailed([Problem(source, row, error.column, message)])


def write_forecast(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet, by ``path``'s extension."""
    kind = _format(path, "--output")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    else:
        frame.to_parquet(path, index=False)

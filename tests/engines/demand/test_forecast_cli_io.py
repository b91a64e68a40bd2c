"""The standalone forecast's file handling and batching (no database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oneplan.engines.demand import forecast
from oneplan.errors import ValidationFailed
from oneplan.services.demand.forecast_file import forecast_series, read_series, write_forecast


def _history() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frames = []
    for k, months in enumerate([24, 24, 20, 30, 18]):
        ds = pd.date_range("2024-01-01", periods=months, freq="MS")
        y = rng.poisson(20 + 5 * k, months).astype(float)
        frames.append(pd.DataFrame({"unique_id": f"S{k}", "ds": ds, "y": y}))
    history = pd.concat(frames, ignore_index=True)
    # S2 stops early: batching must still end every series on the file's last month
    return history[~((history["unique_id"] == "S2") & (history["ds"] > "2025-06-01"))]


def test_progress_is_reported_and_the_numbers_are_those_of_one_call() -> None:
    history = _history()
    seen: list[tuple[int, int]] = []
    run = forecast_series(
        history, 3, season_length=3, levels=(80,), on_progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert run.series == 5
    whole = forecast(history, 3, season_length=3, levels=(80,)).forecast
    pd.testing.assert_frame_equal(run.result.forecast, whole, check_dtype=False)
    assert len(run.result.selection) == 5


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_files_round_trip(tmp_path: Path, suffix: str) -> None:
    history = _history().assign(note="ignored")
    path = tmp_path / f"in{suffix}"
    write_forecast(history, path)
    read = read_series(path)
    assert list(read.columns) == ["unique_id", "ds", "y"]
    assert len(read) == len(history)


def test_bad_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="does not exist"):
        read_series(tmp_path / "missing.csv")
    with pytest.raises(ValidationFailed, match=r"\.csv or \.parquet"):
        read_series(tmp_path / "in.json")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(ValidationFailed, match="cannot be read as parquet"):
        read_series(broken)
    no_y = tmp_path / "no_y.csv"
    no_y.write_text("unique_id,ds\nA,2026-01-01\n")
    with pytest.raises(ValidationFailed, match="column y: is missing"):
        read_series(no_y)
    with pytest.raises(ValidationFailed, match="horizon"):
        forecast_series(_history(), 0)

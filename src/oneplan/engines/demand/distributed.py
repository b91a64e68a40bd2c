"""Run the forecast's statsforecast calls on a Dask cluster (statsforecast's Fugue backend).

The engine's own work (validation, classification, choice) stays on the caller's machine; only
the model fitting, the heavy part, is spread over the cluster's workers. The distributed backend
returns 32-bit floats and Arrow dates; :func:`collect` brings them back to the local frame types,
so a cluster run matches a local run to float32 precision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd


def on_cluster(call: Callable[[Any], Any], history: pd.DataFrame, client: Any) -> pd.DataFrame:
    """Apply ``call`` (a statsforecast method of ``df``) to ``history`` split over ``client``."""
    import dask.dataframe as dd

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    partitions = max(1, min(workers * 2, history["unique_id"].nunique()))
    frame = dd.from_pandas(  # type: ignore[no-untyped-call]
        history.reset_index(drop=True), npartitions=partitions
    )
    return collect(call(frame))


def collect(result: Any) -> pd.DataFrame:
    """Compute a Dask result and restore local dtypes: float64 values, datetime64 dates."""
    frame = result.compute() if hasattr(result, "compute") else result
    frame = pd.DataFrame(frame).reset_index(drop=True)
    for column in frame.columns:
        if column == "unique_id":
            frame[column] = frame[column].astype(str)
        elif column in ("ds", "cutoff"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype("float64")
    return frame.sort_values(
        [c for c in ("unique_id", "cutoff", "ds") if c in frame.columns], ignore_index=True
    )

"""How fast the data package layer reads, validates and writes a large sales history.

Run: .venv/bin/python bench/datapack_validate.py [rows]
Prints one line per step: seconds and the process's peak resident memory so far.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from oneplan.datapack import package_schema, read_package, validate_package, write_package


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sales_history(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` distinct (item, location, month) rows with realistic quantities."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    locations = [f"DC-{i:02d}" for i in range(10)]
    per_item = len(months) * len(locations)
    items = [f"ITEM-{i:06d}" for i in range(-(-rows // per_item))]
    index = pd.MultiIndex.from_product(
        [items, locations, months], names=["item", "location", "period"]
    )
    frame = index.to_frame(index=False).iloc[:rows]
    frame["quantity"] = rng.gamma(2.0, 50.0, rows).round(1)
    frame["revenue"] = (frame["quantity"] * rng.uniform(5, 50, rows)).round(2)
    return frame


def timed(label: str, rows: int, step):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"| {label:<38} | {rows:>9,} | {seconds:7.2f} | {peak_mib():8.0f} |")
    return result


def main(rows: int = 1_000_000) -> None:
    schema = package_schema()
    frame = sales_history(rows)
    known = {"items": set(frame["item"]), "locations": set(frame["location"])}
    print("| step | rows | seconds | peak MiB |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for fmt in ("csv", "parquet"):
            target = root / fmt
            # each lambda runs before the loop moves on, so late binding is harmless here
            timed(
                f"write {fmt}",
                rows,
                lambda: write_package({"sales_history": frame}, target, fmt, schema),
            )
            raw = timed(f"read {fmt}", rows, lambda: read_package(target, schema))
            frames, problems = timed(
                f"validate ({fmt} cells)",
                rows,
                lambda: validate_package(raw, schema, known),
            )
            assert not problems, problems[:3]
            assert len(frames["sales_history"]) == rows
        broken = frame.astype({"quantity": object})
        broken.loc[::10, "quantity"] = "n/a"  # every tenth row is not a number
        target = root / "broken"
        broken.to_csv(target / "sales_history.csv" if target.mkdir() is None else None, index=False)
        raw = timed("read csv, 10% bad numbers", rows, lambda: read_package(target, schema))
        _, problems = timed(
            "validate, 10% bad numbers", rows, lambda: validate_package(raw, schema, known)
        )
        print(
            f"\n{len(problems)} problems reported for {rows // 10:,} bad cells (capped per check)"
        )
        small = frame.iloc[:50_000]
        book = root / "plan.xlsx"
        timed(
            "write xlsx",
            len(small),
            lambda: write_package({"sales_history": small}, book, "xlsx", schema),
        )
        raw = timed("read xlsx", len(small), lambda: read_package(book, schema))
        timed("validate (xlsx cells)", len(small), lambda: validate_package(raw, schema, known))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

"""Data packages as a browser uploads them: the demo package zipped, good or with known
problems, made from the session's `demo_csv` folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd


def zipped(folder: Path, *, change: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The package folder as a zip of one folder (what zipping it gives), with some tables
    replaced by ``change``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            table = file.stem
            if change and table in change:
                archive.writestr(f"package/{file.name}", change[table].to_csv(index=False))
            else:
                archive.write(file, f"package/{file.name}")
    return buffer.getvalue()


def with_bad_items(folder: Path) -> bytes:
    """The package with two bad cells in items.csv: row 3 lacks its unit of measure, row 4
    names a lifecycle status that does not exist."""
    items = pd.read_csv(folder / "items.csv", dtype=str, keep_default_na=False)
    items.loc[1, "uom"] = ""
    items.loc[2, "lifecycle_status"] = "sleeping"
    return zipped(folder, change={"items": items})

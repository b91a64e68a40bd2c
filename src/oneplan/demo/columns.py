"""The columns of every data-package table, in the package's order, and a frame builder.

The demo company writes exactly these tables; `frame` puts a dict of columns into that order and
fills optional columns that a table leaves empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oneplan.datapack.schema import package_schema


def _schema_columns(kind: str | None = None) -> dict[str, tuple[str, ...]]:
    """Each package table's columns (of one type, if given), straight from the package schema."""
    return {
        table.name: tuple(c.name for c in table.columns if kind is None or c.type == kind)
        for table in package_schema().tables
    }


# The demo writes exactly the package's tables and columns, in the package's order.
TABLE_COLUMNS = _schema_columns()
DATE_COLUMNS = frozenset(c for columns in _schema_columns("date").values() for c in columns)
TEXT_COLUMNS = frozenset(c for columns in _schema_columns("string").values() for c in columns)


def frame(table: str, columns: dict[str, Any]) -> pd.DataFrame:
    """Build `table` from `columns` in the package's order; absent columns become empty.

    Dates are converted to `datetime64[ns]`; a column not given is all-missing (None for text,
    NaN for numbers and text, NaT for dates).

    >>> frame("families", {"code": ["HOS"], "name": ["Hoses"], "category": ["Garden"]})
      code   name category
    0  HOS  Hoses   Garden
    >>> list(frame("demand", {}).columns)
    ['item', 'location', 'period', 'quantity']
    """
    order = TABLE_COLUMNS[table]
    unknown = set(columns) - set(order)
    if unknown:
        raise ValueError(f"{table}: columns {sorted(unknown)} are not part of the table")
    lengths = {len(v) for v in columns.values() if not np.isscalar(v)}
    if len(lengths) > 1:
        raise ValueError(f"{table}: columns have different lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    data: dict[str, Any] = {}
    for name in order:
        value = columns.get(name)
        if value is not None and np.isscalar(value):
            value = [value] * n  # one value for every row, e.g. uom "EA"
        if name in DATE_COLUMNS:
            raw = np.full(n, np.datetime64("NaT", "ns")) if value is None else np.asarray(value)
            data[name] = pd.Series(pd.to_datetime(raw)).astype("datetime64[ns]")
        elif value is None:
            data[name] = pd.Series([None] * n, dtype="str" if name in TEXT_COLUMNS else float)
        elif isinstance(value, pd.api.extensions.ExtensionArray):
            data[name] = pd.Series(value)  # keeps nullable integers such as Int64
        elif name in TEXT_COLUMNS:
            data[name] = pd.Series(np.asarray(value, dtype=object), dtype="str")
        else:
            data[name] = pd.Series(np.asarray(value))
    return pd.DataFrame(data, columns=list(order)).reset_index(drop=True)

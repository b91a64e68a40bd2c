"""How the command line shows numbers, times and tables. Data comes from the services; only
the formatting lives here, and every cell is plain text (never markup)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd

    from oneplan.services.cycle.schemas import Figure


def missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    pd = sys.modules.get("pandas")  # a pandas value (NaT, NA) means pandas is already loaded
    if pd is None or isinstance(value, dict | list | tuple):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: Any, currency: str = "", decimals: int = 0) -> str:
    """``1,234,568 EUR``; ``-`` for nothing."""
    if missing(value):
        return "-"
    return f"{float(value):,.{decimals}f} {currency}".strip()


def percent(value: Any, decimals: int = 1) -> str:
    """A share as a percentage: 0.973 -> ``97.3%``; ``-`` for nothing."""
    return "-" if missing(value) else f"{float(value):.{decimals}%}"


def points(value: Any) -> str:
    """A change of a share in percentage points: 0.012 -> ``+1.2 pts``."""
    return "-" if missing(value) else f"{float(value) * 100:+.1f} pts"


def amount(value: Any, decimals: int = 0) -> str:
    return "-" if missing(value) else f"{float(value):,.{decimals}f}"


def when(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


def month(value: Any) -> str:
    import pandas as pd

    return "" if missing(value) else f"{pd.Timestamp(value):%Y-%m}"


def cell(value: Any) -> str:
    """Any value as table text: numbers with thousands separators, dates, JSON for lists."""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if missing(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime | date) or hasattr(value, "strftime"):  # or a Timestamp
        # plan periods are month starts: shown as the month, as planners name them
        at_midnight = not isinstance(value, datetime) or value.time() == datetime.min.time()
        return f"{value:%Y-%m}" if value.day == 1 and at_midnight else f"{value:%Y-%m-%d}"
    return str(value)


def figure(item: Figure) -> str:
    """A step's figure as people read it."""
    value = item.value
    if item.kind == "money":
        return money(value, item.unit)
    if item.kind == "percent":
        return percent(value)
    if item.kind in ("count", "units"):
        return amount(value)
    if item.kind == "version" or item.unit == "#":
        return f"#{value}"
    return "" if value is None else str(value)


def table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Sequence[str] = (),
    no_wrap: Sequence[str] = (),
) -> Table:
    """A table whose cells are plain text; ``right`` names the right-aligned columns."""
    shown = Table(title=Text(title))
    for column in columns:
        shown.add_column(
            Text(column),
            justify="right" if column in right else "left",
            no_wrap=column in no_wrap,
        )
    for row in rows:
        shown.add_row(*(v if isinstance(v, Text) else Text(cell(v)) for v in row))
    return shown


def column_blocks(label: int, widths: Sequence[int], available: int) -> list[list[int]]:
    """The value columns (by their text widths) grouped into blocks that fit ``available``
    characters beside a label column of width ``label``, in order; a column wider than the
    space has a block of its own. A table column takes its text, a space each side and a rule.

    >>> column_blocks(6, [7, 7, 7, 7], 30)
    [[0, 1], [2, 3]]
    """
    blocks: list[list[int]] = []
    used = label + 4  # the label column and the table's last rule
    for index, width in enumerate(widths):
        if blocks and blocks[-1] and used + width + 3 <= available:
            blocks[-1].append(index)
            used += width + 3
        else:
            blocks.append([index])
            used = label + 4 + width + 3
    return blocks


def wide_tables(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    available: int,
) -> list[Table]:
    """A table too wide for ``available`` characters as several, each with the first column
    (the row labels) and as many of the other columns, in order, as fit; every cell whole.
    Columns after the first are right-aligned (figures)."""
    widths = [max([len(str(c)), *(len(str(r[i])) for r in rows)]) for i, c in enumerate(columns)]
    blocks = column_blocks(widths[0], widths[1:], available)
    tables = []
    for number, block in enumerate(blocks, start=1):
        picked = [0, *(i + 1 for i in block)]
        part = f" ({number} of {len(blocks)})" if len(blocks) > 1 else ""
        names = [columns[i] for i in picked]
        tables.append(
            table(
                f"{title}{part}",
                names,
                [[row[i] for i in picked] for row in rows],
                right=names[1:],
                no_wrap=names,
            )
        )
    return tables


def frame_table(title: str, frame: pd.DataFrame, limit: int | None = None) -> Table:
    """A frame as a table (the first ``limit`` rows), numbers right-aligned."""
    import pandas as pd

    shown = frame if limit is None else frame.head(limit)
    count = f" ({len(shown)} of {len(frame)})" if limit is not None else ""
    right = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    return table(
        f"{title}{count}",
        [str(c) for c in frame.columns],
        shown.itertuples(index=False),
        right=right,
    )

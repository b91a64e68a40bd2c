"""Turn one column of raw text into typed values, reporting every cell that does not fit.

Each parser works on a whole column at once with Arrow compute kernels; Python only loops over
the (capped) list of problems it reports. Raw text comes as ``string[pyarrow]``. Typed results:

- string: ``object`` dtype holding Python str, line ends normalised to ``\\n``
- number: ``float64``;  integer: ``Int64``;  date: ``datetime64[ns]`` at midnight
- boolean: ``bool`` (``boolean`` with missing values when optional without a default)
- datetime: ``datetime64[ns]``
Missing values are NaN / <NA> / NaT.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oneplan.datapack.schema import ColumnSchema
from oneplan.errors import Problem

#: At most this many problems per column and check; the rest are summed up in one line.
PROBLEMS_PER_CHECK = 20
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
# datetime64[ns] spans 1677-09-21 .. 2262-04-11; whole years inside it keep messages simple.
FIRST_DATE = pd.Timestamp("1678-01-01")
LAST_DATE = pd.Timestamp("2261-12-31")
_CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _shortened(text: str, limit: int, render: Callable[[str], str]) -> str:
    """`render(text)` with at most `limit` characters between its quotes: the longest start of
    `text` that fits once escaped, then "..."."""
    if len(text) <= limit:
        shown = render(text)
        if len(shown) <= limit + 2:
            return shown
    low, high = 0, min(len(text), limit - 3)
    while low < high:  # escapes make the rendering longer than the text: search the cut
        middle = (low + high + 1) // 2
        if len(render(text[:middle] + "...")) <= limit + 2:
            low = middle
        else:
            high = middle - 1
    return render(text[:low] + "...")


def quoted(value: Any, limit: int = 60) -> str:
    """A cell value as shown in a message: in double quotes, escaped, shortened.

    >>> quoted("a\\nb")
    '"a\\\\nb"'
    >>> quoted("9" * 100)
    '"99999999999999999999999999999999999999999999999999999999..."'
    """
    return _shortened(str(value), limit, lambda text: json.dumps(text, ensure_ascii=False))


# Bytes that are not UTF-8, read with "surrogateescape", show as the bytes they were.
_UNDECODED = re.compile(r"\\udc([89a-f][0-9a-f])")


def _escaped(text: str) -> str:
    return _UNDECODED.sub(r"\\x\1", repr(text))


def excerpt(text: str, limit: int = 60) -> str:
    """A piece of a file (a row, a header name) as shown in a message: Python's repr, so control
    characters and bytes that are not UTF-8 are escaped, with at most `limit` characters.

    >>> print(excerpt("B,y,z"), excerpt("Caf\\udce9\\x1b"), excerpt("z" * 80, 10))
    'B,y,z' 'Caf\\xe9\\x1b' 'zzzzzzz...'
    """
    return _shortened(text, limit, _escaped)


def name_shown(name: str) -> str:
    """A name read from a file (a column, a sheet, a part) as a message shows it: as written when
    it is short plain text, else an excerpt (a header can hold anything, even a whole file that
    lacks line breaks).

    >>> name_shown("quantity"), name_shown("a\\tb")
    ('quantity', "'a\\\\tb'")
    """
    if len(name) <= 60 and name.isprintable():
        return name
    return excerpt(name)


def report(
    problems: list[Problem],
    source: str,
    column: str | None,
    bad: pd.Series,
    describe: Callable[[int], str],
    summary: str,
) -> None:
    """One problem per row where `bad` is true (row number = index), capped per check."""
    rows = bad.index[bad.to_numpy(dtype=bool, na_value=False)]
    for row in rows[:PROBLEMS_PER_CHECK]:
        problems.append(Problem(source, int(row), column, describe(int(row))))
    more = len(rows) - PROBLEMS_PER_CHECK
    if more > 0:
        problems.append(Problem(source, None, column, f"and {more} more rows {summary}"))


def default_text(value: Any) -> str:
    """A column default written the way a cell would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_NULL_TEXT = pa.scalar(None, pa.large_string())


def _arrow(text: pd.Series) -> Any:
    """The column as one Arrow large_string array (zero-copy for string[pyarrow] columns)."""
    array = pa.array(text, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _mask(flags: Any, index: pd.Index) -> pd.Series:
    """An Arrow boolean array as a plain bool Series (null counts as false)."""
    return pd.Series(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), index=index)


def _string(text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]) -> pd.Series:
    array = _arrow(text)
    if pc.any(pc.match_substring(array, "\r")).as_py():
        # xlsx cannot keep a carriage return apart from a line feed; one line end everywhere
        array = pc.replace_substring(pc.replace_substring(array, "\r\n", "\n"), "\r", "\n")
    control = _mask(pc.match_substring_regex(array, _CONTROL_CHARACTERS), text.index)
    report(
        problems,
        source,
        col.name,
        control,
        lambda r: f"{quoted(text[r])} contains a control character",
        "with control characters",
    )
    if col.max_length is not None:
        most = col.max_length
        report(
            problems,
            source,
            col.name,
            _mask(pc.greater(pc.utf8_length(array), most), text.index),
            lambda r: f"{quoted(text[r])} is longer than {most} characters",
            f"longer than {most} characters",
        )
    if col.choices is not None:
        allowed = ", ".join(col.choices)
        outside = pc.invert(pc.is_in(array, value_set=pa.array(col.choices, pa.large_string())))
        report(
            problems,
            source,
            col.name,
            _mask(pc.and_(pc.is_valid(array), outside), text.index),
            lambda r: f"{quoted(text[r])} is not one of {allowed}",
            f"not one of {allowed}",
        )
    values = array.to_numpy(zero_copy_only=False).astype(object)
    values[pc.is_null(array).to_numpy(zero_copy_only=False) | control.to_numpy()] = np.nan
    return pd.Series(values, index=text.index, dtype=object)


def _bounds(
    values: pd.Series, text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]
) -> pd.Series:
    limits: list[tuple[float | None, Callable[[pd.Series, float], pd.Series], str]] = [
        (col.min, lambda v, b: v < b, "is below the minimum {}"),
        (col.gt, lambda v, b: v <= b, "must be greater than {}"),
        (col.max, lambda v, b: v > b, "is above the maximum {}"),
        (col.lt, lambda v, b: v >= b, "must be less than {}"),
    ]
    keep = pd.Series(True, index=values.index)
    for bound, breaks, wording in limits:
        if bound is None:
            continue
        bad = breaks(values, bound).fillna(False).astype(bool)
        message = wording.format(f"{bound:g}")

        def describe(row: int, message: str = message) -> str:
            return f"{quoted(text[row])} {message}"

        report(problems, source, col.name, bad, describe, message)
        keep &= ~bad
    return values.where(keep)


def _number(text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]) -> pd.Series:
    array = pc.utf8_trim_whitespace(_arrow(text))
    # Arrow's parser is exact (shortest round trip); the pattern keeps out what it would refuse.
    spelled = pc.match_substring_regex(array, _NUMBER)
    parsed = pc.cast(pc.if_else(spelled, array, _NULL_TEXT), pa.float64())
    values = pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    report(
        problems,
        source,
        col.name,
        text.notna() & values.isna(),
        lambda r: f"{quoted(text[r])} is not a number",
        "that are not numbers",
    )
    infinite = pd.Series(np.isinf(values.to_numpy()), index=values.index)
    report(
        problems,
        source,
        col.name,
        infinite,
        lambda r: f"{quoted(text[r])} is not a finite number",
        "that are not finite",
    )
    values = values.where(~infinite)
    if col.type == "integer":
        whole = values.isna() | ((values == np.floor(values)) & (values.abs() < 2.0**53))
        report(
            problems,
            source,
            col.name,
            ~whole,
            lambda r: f"{quoted(text[r])} is not a whole number",
            "that are not whole numbers",
        )
        values = values.where(whole)
    values = _bounds(values, text, col, source, problems)
    return values.astype("Int64") if col.type == "integer" else values


def _calendar_dates(array: Any, monthly: bool) -> Any:
    """ISO dates (and YYYY-MM for monthly columns) as timestamp[s]; anything else null.

    Arrow's strptime rolls 2027-02-30 over to March, so the parsed month and day must also equal
    the digits written."""
    full = pc.match_substring_regex(array, r"^\d{4}-\d{2}-\d{2}$")
    month_only = pc.match_substring_regex(array, r"^\d{4}-\d{2}$")
    stamps = pc.strptime(pc.if_else(full, array, _NULL_TEXT), "%Y-%m-%d", "s", error_is_null=True)
    day_written = pc.cast(
        pc.utf8_slice_codeunits(pc.if_else(full, array, "0000-00-00"), 8, 10), pa.int64()
    )
    if monthly:
        months = pc.strptime(
            pc.if_else(month_only, array, _NULL_TEXT), "%Y-%m", "s", error_is_null=True
        )
        stamps = pc.if_else(month_only, months, stamps)
        day_written = pc.if_else(month_only, 1, day_written)
    month_text = pc.utf8_slice_codeunits(
        pc.if_else(pc.or_(full, month_only), array, "0000-00"), 5, 7
    )
    month_written = pc.cast(month_text, pa.int64())
    faithful = pc.and_(
        pc.equal(pc.day(stamps), day_written), pc.equal(pc.month(stamps), month_written)
    )
    return pc.if_else(faithful, stamps, pa.scalar(None, pa.timestamp("s")))


def _date(text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]) -> pd.Series:
    given = text.notna()
    array = pc.utf8_trim_whitespace(_arrow(text))
    if col.type == "datetime":
        values = pd.to_datetime(
            pd.Series(array.to_pandas(), index=text.index), format="ISO8601", errors="coerce"
        )
        expected = "a date and time (YYYY-MM-DD HH:MM:SS)"
    else:
        stamps = _calendar_dates(array, col.monthly)
        values = pd.Series(stamps.to_numpy(zero_copy_only=False), index=text.index)
        expected = "a date (YYYY-MM-DD or YYYY-MM)" if col.monthly else "a date (YYYY-MM-DD)"
    report(
        problems,
        source,
        col.name,
        given & values.isna(),
        lambda r: f"{quoted(text[r])} is not {expected}",
        f"that are not {expected}",
    )
    outside = (values < FIRST_DATE) | (values > LAST_DATE)
    report(
        problems,
        source,
        col.name,
        outside,
        lambda r: f"{quoted(text[r])} is outside the supported years 1678 to 2261",
        "outside the supported years",
    )
    values = values.where(~outside).astype("datetime64[ns]")
    if col.monthly:
        not_first = values.notna() & (values.dt.day != 1)
        report(
            problems,
            source,
            col.name,
            not_first,
            lambda r: f"{quoted(text[r])} is not the first day of a month",
            "not on the first day of a month",
        )
        values = values.where(~not_first)
    return values


def _boolean(text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]) -> pd.Series:
    words = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow(text)))
    true = _mask(pc.is_in(words, value_set=pa.array(TRUE_WORDS, pa.large_string())), text.index)
    false = _mask(pc.is_in(words, value_set=pa.array(FALSE_WORDS, pa.large_string())), text.index)
    report(
        problems,
        source,
        col.name,
        text.notna() & ~true & ~false,
        lambda r: f"{quoted(text[r])} is not true or false",
        "that are not true or false",
    )
    values = pd.Series(pd.NA, index=text.index, dtype="boolean").mask(true, True).mask(false, False)
    return values.astype(bool) if values.notna().all() else values


_PARSERS = {
    "string": _string,
    "number": _number,
    "integer": _number,
    "date": _date,
    "datetime": _date,
    "boolean": _boolean,
}


def parse_column(
    text: pd.Series, col: ColumnSchema, source: str, problems: list[Problem]
) -> pd.Series:
    """`text` (raw cells, NaN = missing) as typed values; a value that does not fit becomes
    missing and is reported. Required-ness is checked by the caller."""
    return _PARSERS[col.type](text, col, source, problems)

"""write -> read -> validate gives back the same frames, in every format, for arbitrary values."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneplan.datapack.read import read_package
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema
from oneplan.datapack.validate import validate_package
from oneplan.datapack.write import canonical_frame, write_package

PRICES = TableSchema(
    "prices",
    "",
    (
        ColumnSchema("item", "string", True, True),
        ColumnSchema("valid_from", "date", True, True, monthly=True),
        ColumnSchema("price", "number", True),
        ColumnSchema("note", "string"),
        ColumnSchema("periods", "integer"),
        ColumnSchema("since", "date"),
        ColumnSchema("active", "boolean", True),
    ),
    ("item", "valid_from"),
)
SCHEMA = PackageSchema((PRICES,))
FORMATS = ["csv", "xlsx", "parquet"]

# Text as validation accepts it: no control characters but tab and line feed (a carriage
# return is read as a line feed, tested on its own), no surrogates (not encodable as UTF-8).
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r").filter(
        lambda c: c in "\t\n" or not (ord(c) < 32)
    ),
    min_size=1,
    max_size=30,
)
FORMULA_LIKE = st.sampled_from(
    ["=1+2", "+1", "-3", "@x", "\tx", "'", "''=x", "'=A1", '=HYPERLINK("a")']
)
DATES = st.dates(min_value=dt.date(1678, 1, 1), max_value=dt.date(2261, 12, 31))


@st.composite
def price_frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(min_value=0, max_value=6))
    note = st.none() | TEXT | FORMULA_LIKE
    return pd.DataFrame(
        {
            "item": [draw(TEXT | FORMULA_LIKE) + f"#{i}" for i in range(size)],  # unique keys
            "valid_from": pd.to_datetime([draw(DATES).replace(day=1) for _ in range(size)]).astype(
                "datetime64[ns]"
            ),
            "price": [draw(st.floats(allow_nan=False, allow_infinity=False)) for _ in range(size)],
            "note": pd.Series([draw(note) for _ in range(size)], dtype=object),
            "periods": pd.array(
                [draw(st.none() | st.integers(-(2**53) + 1, 2**53 - 1)) for _ in range(size)],
                dtype="Int64",
            ),
            "since": pd.to_datetime([draw(st.none() | DATES) for _ in range(size)]).astype(
                "datetime64[ns]"
            ),
            "active": [draw(st.booleans()) for _ in range(size)],
        }
    )


def round_trip(frame: pd.DataFrame, fmt: str) -> tuple[pd.DataFrame, list[object]]:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / ("plan.xlsx" if fmt == "xlsx" else "package")
        write_package({"prices": frame}, target, fmt, SCHEMA)  # type: ignore[arg-type]
        frames, problems = validate_package(read_package(target, SCHEMA), SCHEMA)
    return frames["prices"], list(problems)


def assert_same(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)
    # -0.0 == 0.0 for pandas; the sign must survive as well
    assert np.array_equal(np.signbit(actual["price"]), np.signbit(expected["price"]))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=price_frames())
def test_arbitrary_values_survive_a_round_trip(fmt: str, frame: pd.DataFrame) -> None:
    actual, problems = round_trip(frame, fmt)
    assert problems == []
    assert_same(canonical_frame(frame, PRICES), actual)


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_values_survive_a_round_trip(fmt: str) -> None:
    frame = pd.DataFrame(
        {
            "item": ["=cmd|' /C calc'!A0", "'quoted", " padded ", "naïve ☃ 日本", 'a,b\n"c"'],
            "valid_from": pd.to_datetime(
                ["1678-01-01", "2261-12-01", "2027-01-01", "2027-01-01", "2027-02-01"]
            ),
            "price": [-0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -12.0],
            "note": [None, "@SUM(1)", "\tlead", "-", "\n"],
            "periods": pd.array([0, None, -(2**53) + 1, 7, 2**53 - 1], dtype="Int64"),
            "since": pd.to_datetime([None, "2000-02-29", None, "2027-12-31", "1999-01-01"]),
            "active": [True, False, True, False, True],
        }
    )
    actual, problems = round_trip(frame, fmt)
    assert problems == []
    assert_same(canonical_frame(frame, PRICES), actual)

"""Validation: every kind of bad cell gives exactly the right Problem (file, row, column)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from oneplan.datapack.cells import PROBLEMS_PER_CHECK
from oneplan.datapack.read import read_package
from oneplan.datapack.schema import PackageSchema, package_schema
from oneplan.datapack.validate import check_package, load_package, validate_package
from oneplan.errors import Problem, ValidationFailed


class Base(DeclarativeBase):
    pass


class Family(Base):
    __tablename__ = "families"
    __table_args__ = ({"info": {"package": True, "doc": "Product families."}},)
    code: Mapped[str] = mapped_column(sa.String, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String)
    category: Mapped[str | None] = mapped_column(sa.String)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = ({"info": {"package": True, "ordered": [("launch_date", "end_date")]}},)
    code: Mapped[str] = mapped_column(sa.String, primary_key=True)
    family: Mapped[str] = mapped_column(sa.ForeignKey("families.code"))
    lifecycle_status: Mapped[str] = mapped_column(
        sa.String, info={"choices": ["active", "new", "phase_out"]}
    )
    launch_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    end_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    like_item: Mapped[str | None] = mapped_column(sa.ForeignKey("items.code"))
    is_kit: Mapped[bool] = mapped_column(sa.Boolean, info={"default": False})
    import_id: Mapped[int | None] = mapped_column(sa.Integer)  # provenance: not in the package


class Launch(Base):
    __tablename__ = "launches"
    __table_args__ = ({"info": {"package": True}},)
    item: Mapped[str] = mapped_column(sa.ForeignKey("items.code"), primary_key=True)
    scale: Mapped[float] = mapped_column(sa.Float, info={"gt": 0, "default": 1.0})
    ramp_up_periods: Mapped[int] = mapped_column(sa.Integer, info={"min": 0, "default": 0})


class Sale(Base):
    __tablename__ = "sales_history"
    __table_args__ = ({"info": {"package": True}},)
    item: Mapped[str] = mapped_column(sa.ForeignKey("items.code"), primary_key=True)
    location: Mapped[str] = mapped_column(sa.String, primary_key=True)
    period: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True, info={"monthly": True})
    quantity: Mapped[float] = mapped_column(sa.Float, info={"min": 0})
    revenue: Mapped[float | None] = mapped_column(sa.Float, info={"min": 0})


class DemandEvent(Base):
    __tablename__ = "demand_events"
    __table_args__ = (
        {
            "info": {
                "package": True,
                "one_of": [["item", "family"], ["uplift_pct", "uplift_quantity"]],
                "ordered": [["start_period", "end_period"]],
            }
        },
    )
    code: Mapped[str] = mapped_column(sa.String, primary_key=True)
    item: Mapped[str | None] = mapped_column(sa.ForeignKey("items.code"))
    family: Mapped[str | None] = mapped_column(sa.ForeignKey("families.code"))
    start_period: Mapped[dt.date] = mapped_column(sa.Date, info={"monthly": True})
    end_period: Mapped[dt.date] = mapped_column(sa.Date, info={"monthly": True})
    uplift_pct: Mapped[float | None] = mapped_column(sa.Float)
    uplift_quantity: Mapped[float | None] = mapped_column(sa.Float)


SCHEMA = package_schema(Base.metadata)
GOOD = {
    "families": "code,name,category\nF1,Bikes,Sport\nF2,Helmets,\n",
    "items": (
        "code,family,lifecycle_status,launch_date,end_date,like_item,is_kit\n"
        "A,F1,active,2026-01-01,,,\n"
        "B,F1,new,2027-03-01,2029-12-31,A,true\n"
    ),
    "sales_history": (
        "item,location,period,quantity,revenue\nA,L1,2026-11-01,10,99.5\nA,L1,2026-12,0,\n"
    ),
}


def check(tmp_path: Path, files: dict[str, str], known: dict[str, set[str]] | None = None):
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return validate_package(read_package(tmp_path, SCHEMA), SCHEMA, known)


def with_table(name: str, text: str) -> dict[str, str]:
    return {**GOOD, name: text}


def test_a_good_package_gives_typed_frames_in_schema_order(tmp_path: Path) -> None:
    frames, problems = check(tmp_path, GOOD)
    assert problems == []
    assert set(frames) == {"families", "items", "sales_history"}
    items = frames["items"]
    assert list(items.columns) == [
        "code",
        "family",
        "lifecycle_status",
        "launch_date",
        "end_date",
        "like_item",
        "is_kit",
    ]
    assert items["launch_date"].dtype == "datetime64[ns]"
    assert items["is_kit"].dtype == bool
    assert items["is_kit"].tolist() == [False, True]  # the default fills the empty cell
    assert items["code"].tolist() == ["A", "B"]
    assert pd.isna(items.loc[0, "like_item"])
    sales = frames["sales_history"]
    assert sales["quantity"].dtype == np.float64
    assert sales["period"].tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")]
    assert sales["revenue"].isna().tolist() == [False, True]
    assert isinstance(frames["families"].index, pd.RangeIndex)


def test_defaults_fill_absent_columns_and_empty_cells(tmp_path: Path) -> None:
    files = with_table("launches", "item,scale\nA,0.5\nB,\n")
    frames, problems = check(tmp_path, files)
    assert problems == []
    launches = frames["launches"]
    assert launches["scale"].tolist() == [0.5, 1.0]
    assert launches["ramp_up_periods"].dtype == "Int64"
    assert launches["ramp_up_periods"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        (
            "families",
            "code\nF1\n",
            [Problem("families.csv", 1, "name", "required column is missing")],
        ),
        (
            "families",
            "code,name,colour\nF1,Bikes,red\n",
            [
                Problem(
                    "families.csv", 1, "colour", "unknown column; expected: code, name, category"
                )
            ],
        ),
        (
            "families",
            "code,name\nF1,Bikes\nF2,\n",
            [Problem("families.csv", 3, "name", "is empty but required")],
        ),
        (
            "sales_history",
            "item,location,period,quantity\nA,L1,2027-01-01,ten\n",
            [Problem("sales_history.csv", 2, "quantity", '"ten" is not a number')],
        ),
        (
            "sales_history",
            "item,location,period,quantity\nA,L1,2027-01-01,1e999\nA,L1,2027-02-01,inf\n",
            [
                Problem("sales_history.csv", 3, "quantity", '"inf" is not a number'),
                Problem("sales_history.csv", 2, "quantity", '"1e999" is not a finite number'),
            ],
        ),
        (
            "sales_history",
            "item,location,period,quantity\nA,L1,2027-01-01,1\nA,L1,2027-02-01,-3\n",
            [Problem("sales_history.csv", 3, "quantity", '"-3" is below the minimum 0')],
        ),
        (
            "sales_history",
            "item,location,period,quantity\nA,L1,01/02/2027,1\n",
            [
                Problem(
                    "sales_history.csv",
                    2,
                    "period",
                    '"01/02/2027" is not a date (YYYY-MM-DD or YYYY-MM)',
                )
            ],
        ),
        (
            "sales_history",
            "item,location,period,quantity\nA,L1,2027-02-15,1\n",
            [
                Problem(
                    "sales_history.csv", 2, "period", '"2027-02-15" is not the first day of a month'
                )
            ],
        ),
        (
            "items",
            "code,family,lifecycle_status,launch_date\nA,F1,retired,2027-02-30\n",
            [
                Problem(
                    "items.csv",
                    2,
                    "lifecycle_status",
                    '"retired" is not one of active, new, phase_out',
                ),
                Problem("items.csv", 2, "launch_date", '"2027-02-30" is not a date (YYYY-MM-DD)'),
            ],
        ),
        (
            "items",
            "code,family,lifecycle_status,is_kit\nA,F1,active,maybe\n",
            [Problem("items.csv", 2, "is_kit", '"maybe" is not true or false')],
        ),
        (
            "launches",
            "item,scale,ramp_up_periods\nA,0,2.5\n",
            [
                Problem("launches.csv", 2, "scale", '"0" must be greater than 0'),
                Problem("launches.csv", 2, "ramp_up_periods", '"2.5" is not a whole number'),
            ],
        ),
        (
            "families",
            "code,name\nF1,Bi\x07kes\n",
            [Problem("families.csv", 2, "name", '"Bi\\u0007kes" contains a control character')],
        ),
    ],
)
def test_each_bad_cell_is_one_problem(
    tmp_path: Path, table: str, text: str, expected: list[Problem]
) -> None:
    _, problems = check(tmp_path, with_table(table, text))
    assert problems == expected


def test_duplicate_keys_name_the_rows_that_clash(tmp_path: Path) -> None:
    text = (
        "item,location,period,quantity\n"
        "A,L1,2027-01-01,1\nA,L2,2027-01-01,1\nA,L1,2027-01,2\nA,L1,2027-01-01,3\n"
    )
    _, problems = check(tmp_path, with_table("sales_history", text))
    clash = "item, location, period"
    assert problems == [
        Problem(
            "sales_history.csv",
            4,
            clash,
            'repeats the key of row 2 (item "A", location "L1", period "2027-01")',
        ),
        Problem(
            "sales_history.csv",
            5,
            clash,
            'repeats the key of row 2 (item "A", location "L1", period "2027-01-01")',
        ),
    ]


def test_references_must_exist_in_the_package_or_the_database(tmp_path: Path) -> None:
    text = "item,location,period,quantity\nA,L1,2027-01-01,1\nZ9,L1,2027-01-01,1\n"
    _, problems = check(tmp_path, with_table("sales_history", text))
    assert problems == [
        Problem(
            "sales_history.csv",
            3,
            "item",
            '"Z9" is not a code in items (not in this package, checked alone)',
        )
    ]
    _, problems = check(tmp_path, with_table("sales_history", text), {"items": {"Z9"}})
    assert problems == []
    _, problems = check(tmp_path, with_table("sales_history", text), {"items": {"Y1"}})
    assert [p.message for p in problems] == [
        '"Z9" is not a code in items (neither in this package nor in the database)'
    ]


def test_a_package_may_lean_on_keys_already_in_the_database(tmp_path: Path) -> None:
    only_sales = "item,location,period,quantity\nA,L1,2027-01-01,1\n"
    (tmp_path / "sales_history.csv").write_text(only_sales)
    raw = read_package(tmp_path, SCHEMA)
    _, problems = validate_package(raw, SCHEMA, {"items": {"A", "B"}})
    assert problems == []
    _, problems = validate_package(raw, SCHEMA)
    assert [(p.row, p.column) for p in problems] == [(2, "item")]


def test_one_of_and_ordered_rules(tmp_path: Path) -> None:
    text = (
        "code,item,family,start_period,end_period,uplift_pct,uplift_quantity\n"
        "E1,A,,2027-01,2027-03,0.1,\n"  # fine
        "E2,A,F1,2027-01,2027-03,,5\n"  # both item and family
        "E3,,,2027-05-01,2027-03-01,,\n"  # neither, and ends before it starts
    )
    _, problems = check(tmp_path, with_table("demand_events", text))
    assert problems == [
        Problem(
            "demand_events.csv",
            3,
            "item, family",
            'exactly one of item, family must be given, not item "A", family "F1"',
        ),
        Problem(
            "demand_events.csv",
            4,
            "item, family",
            "exactly one of item, family must be given; none is",
        ),
        Problem(
            "demand_events.csv",
            4,
            "uplift_pct, uplift_quantity",
            "exactly one of uplift_pct, uplift_quantity must be given; none is",
        ),
        Problem(
            "demand_events.csv",
            4,
            "end_period",
            'end_period "2027-03-01" is before start_period "2027-05-01"',
        ),
    ]


def test_items_ordered_dates_and_self_reference(tmp_path: Path) -> None:
    text = (
        "code,family,lifecycle_status,launch_date,end_date,like_item\n"
        "A,F1,active,2027-01-01,2026-01-01,\nB,F1,new,,,C\n"
    )
    _, problems = check(tmp_path, with_table("items", text))
    assert problems == [
        Problem(
            "items.csv", 2, "end_date", 'end_date "2026-01-01" is before launch_date "2027-01-01"'
        ),
        Problem(
            "items.csv",
            3,
            "like_item",
            '"C" is not a code in items (not in this package, checked alone)',
        ),
    ]


def test_problems_are_capped_per_column_and_check(tmp_path: Path) -> None:
    rows = "".join(f"A,L{i},2027-01-01,bad\n" for i in range(PROBLEMS_PER_CHECK + 5))
    _, problems = check(
        tmp_path, with_table("sales_history", "item,location,period,quantity\n" + rows)
    )
    assert len(problems) == PROBLEMS_PER_CHECK + 1
    assert [p.row for p in problems[:3]] == [2, 3, 4]
    assert problems[-1] == Problem(
        "sales_history.csv", None, "quantity", "and 5 more rows that are not numbers"
    )


def test_unknown_tables_and_read_problems_come_first(tmp_path: Path) -> None:
    files = with_table("warehouses", "code\nW1\n")
    _, problems = check(tmp_path, files)
    assert len(problems) == 1
    assert problems[0].file == "warehouses.csv"
    assert problems[0].message.startswith("unknown table 'warehouses'")


def test_check_and_load_raise_with_every_problem(tmp_path: Path) -> None:
    check(tmp_path, with_table("families", "code,name\nF1,\nF2,\n"))
    raw = read_package(tmp_path, SCHEMA)
    with pytest.raises(ValidationFailed) as failure:
        check_package(raw, SCHEMA)
    assert [p.row for p in failure.value.problems] == [2, 3]
    with pytest.raises(ValidationFailed):
        load_package(tmp_path, SCHEMA)


def test_carriage_returns_become_line_feeds(tmp_path: Path) -> None:
    frames, problems = check(tmp_path, with_table("families", 'code,name\nF1,"a\r\nb\rc"\n'))
    assert problems == []
    assert frames["families"].loc[0, "name"] == "a\nb\nc"


def test_an_empty_schema_rejects_every_table(tmp_path: Path) -> None:
    (tmp_path / "families.csv").write_text(GOOD["families"])
    raw = read_package(tmp_path, SCHEMA)
    frames, problems = validate_package(raw, PackageSchema(()))
    assert frames == {}
    assert [p.message for p in problems] == ["unknown table 'families'"]


def test_problems_in_a_workbook_name_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "sales_history"
    sheet.append(["item", "location", "period", "quantity"])
    sheet.append(["A", "L1", dt.date(2027, 1, 1), 5])
    sheet.append(["A", "L1", dt.date(2027, 2, 1), -1])
    workbook.save(tmp_path / "plan.xlsx")
    raw = read_package(tmp_path / "plan.xlsx", SCHEMA)
    frames, problems = validate_package(raw, SCHEMA, {"items": {"A"}})
    assert problems == [
        Problem("plan.xlsx, sheet sales_history", 3, "quantity", '"-1" is below the minimum 0')
    ]
    assert frames["sales_history"]["period"].tolist() == [
        pd.Timestamp("2027-01-01"),
        pd.Timestamp("2027-02-01"),
    ]

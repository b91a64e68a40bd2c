"""The planning grid: the consensus as one row per item x location and one column per month.

`export_grid` writes a demand version's consensus to an xlsx workbook people edit; `import_grid`
reads it back and turns each changed cell into an absolute ``item_location`` override with the
reason ``grid edit``. A workbook with any problem changes nothing; each problem names the sheet,
row and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from oneplan.config import Settings, get_settings
from oneplan.datapack import ReadLimits, package_schema
from oneplan.datapack.safety import check_xlsx
from oneplan.datapack.write import text_cell, xlsx_cells
from oneplan.db.session import unit_of_work
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.demand import demand_version
from oneplan.services.demand_overrides import add_overrides, parse_month
from oneplan.services.exports import read_tables

GRID_SHEET = "demand"
ABOUT_SHEET = "about"
KEY_COLUMNS = ["item", "location"]
INFO_COLUMNS = ["description", "family"]
GRID_REASON = "grid edit"
DECIMALS = 2


@dataclass(frozen=True)
class GridExport:
    version_id: int
    rows: int
    months: int


@dataclass(frozen=True)
class GridImport:
    version_id: int
    changed_cells: int
    override_ids: list[int]


def planning_grid(consensus: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Consensus units wide: [item, location, (description, family), one column per YYYY-MM].

    >>> c = pd.DataFrame({"item": ["A", "A"], "location": ["L", "L"], "quantity": [1.234, 5.0],
    ...     "period": pd.to_datetime(["2027-01-01", "2027-02-01"])})
    >>> planning_grid(c).to_dict("records")
    [{'item': 'A', 'location': 'L', '2027-01': 1.23, '2027-02': 5.0}]
    """
    month = pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m")
    grid = consensus.assign(month=month).pivot_table(
        index=KEY_COLUMNS, columns="month", values="quantity", aggfunc="sum", fill_value=0.0
    )
    grid = grid.round(DECIMALS).reset_index()
    grid.columns.name = None
    if items is not None:
        info = items[["code", *INFO_COLUMNS]].rename(columns={"code": "item"})
        grid = grid.merge(info, on="item", how="left")
        months = [c for c in grid.columns if c not in (*KEY_COLUMNS, *INFO_COLUMNS)]
        grid = grid[[*KEY_COLUMNS, *INFO_COLUMNS, *months]]
    return grid


def export_grid(engine: sa.Engine, path: Path, version_id: int | None = None) -> GridExport:
    """Write the planning grid of a demand version (default: the newest) to ``path`` (.xlsx)."""
    if path.suffix.lower() != ".xlsx":
        raise ValidationFailed([Problem(str(path), None, None, "the grid is an .xlsx workbook")])
    with unit_of_work(engine, write=False) as session:
        version, frames = demand_version(session, version_id, ["consensus"])
        items = read_tables(session.connection(), package_schema(), ["items"])["items"]
        about: dict[str, Any] = {
            "version": version.id,
            "cycle": version.cycle,
            "name": version.name,
        }
    grid = planning_grid(frames["consensus"], items)
    _write_workbook(grid, about, path)
    months = len(grid.columns) - len(KEY_COLUMNS) - len(INFO_COLUMNS)
    return GridExport(int(about["version"]), len(grid), months)


def _write_workbook(grid: pd.DataFrame, about: dict[str, Any], path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = dt.datetime(2000, 1, 1)
    sheet = workbook.create_sheet(GRID_SHEET)
    sheet.freeze_panes = "E2"
    bold = Font(bold=True)
    header = []
    for name in grid.columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    # whole columns at a time, by the same cell rules as the data package's workbooks
    columns = [
        xlsx_cells(sheet, grid[c], "string" if c in (*KEY_COLUMNS, *INFO_COLUMNS) else "number")
        for c in grid.columns
    ]
    for row in zip(*columns, strict=True):
        sheet.append(list(row))
    info = workbook.create_sheet(ABOUT_SHEET)
    info.append(["key", "value"])
    for key, value in about.items():
        info.append([key, text_cell(info, value)])
    info.append(
        ["how to", "Edit month cells on the demand sheet, then run oneplan demand import-grid"]
    )
    workbook.save(path)


def _read_sheets(path: Path) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    import openpyxl

    refused = check_xlsx(path, ReadLimits())
    if refused:
        raise ValidationFailed([Problem(path.name, None, None, refused)])
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        message = f"cannot be read as an xlsx workbook ({error})"
        raise ValidationFailed([Problem(path.name, None, None, message)]) from error
    try:
        if GRID_SHEET not in workbook.sheetnames:
            raise ValidationFailed([Problem(path.name, None, None, f"has no sheet {GRID_SHEET!r}")])
        rows = list(workbook[GRID_SHEET].iter_rows(values_only=True))
        about: dict[str, Any] = {}
        if ABOUT_SHEET in workbook.sheetnames:
            for row in workbook[ABOUT_SHEET].iter_rows(min_row=2, values_only=True):
                if len(row) >= 2 and row[0] is not None:
                    about[str(row[0])] = row[1]
    finally:
        workbook.close()
    return rows, about


def _month_header(value: Any) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"  # a spreadsheet may turn "2027-01" into a date
    month = parse_month(value)
    return None if month is None else f"{month:%Y-%m}"


def read_grid(path: Path, consensus: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """The cells of an edited grid that differ from ``consensus``, and their spreadsheet rows.

    Returns [item, location, period (YYYY-MM), value] and the row number of each.
    """
    rows, _ = _read_sheets(path)
    source = f"{path.name}, sheet {GRID_SHEET}"
    if not rows:
        raise ValidationFailed([Problem(source, 1, None, "is empty; expected a header row")])
    header = ["" if v is None else v for v in rows[0]]
    problems: list[Problem] = []
    if [str(h) for h in header[:2]] != KEY_COLUMNS:
        problems.append(Problem(source, 1, None, "the first two columns must be item, location"))
        raise ValidationFailed(problems)
    months: dict[int, str] = {}
    known = set(pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m"))
    for position, name in enumerate(header[2:], start=2):
        if str(name) in INFO_COLUMNS or name == "":
            continue
        month = _month_header(name)
        if month is None or month not in known:
            problems.append(
                Problem(source, 1, str(name), "is not a month of this demand plan (YYYY-MM)")
            )
        else:
            months[position] = month
    if problems:
        raise ValidationFailed(problems)
    body = pd.DataFrame([list(r) + [None] * (len(header) - len(r)) for r in rows[1:]])
    if body.empty:
        return pd.DataFrame(columns=["item", "location", "period", "value"]), []
    body = body.iloc[:, : len(header)]
    body["row"] = np.arange(2, len(body) + 2)
    body = body[body.iloc[:, : len(header)].notna().any(axis=1)]
    body["item"] = body[0].astype(str).str.strip()
    body["location"] = body[1].astype(str).str.strip()
    plan = consensus.assign(period=pd.to_datetime(consensus["period"]).dt.strftime("%Y-%m"))
    pairs = plan[KEY_COLUMNS].drop_duplicates()
    found = body.merge(pairs.assign(planned=True), on=KEY_COLUMNS, how="left")
    for row, item, location in found.loc[
        found["planned"].isna(), ["row", "item", "location"]
    ].itertuples(index=False):
        problems.append(
            Problem(source, int(row), "item", f"{item}|{location} is not a series of this plan")
        )
    for row in body.loc[body.duplicated(KEY_COLUMNS), "row"]:
        problems.append(Problem(source, int(row), "item", "this item and location appear twice"))
    long = body.melt(id_vars=["row", "item", "location"], value_vars=list(months), var_name="col")
    long["period"] = long["col"].map(months)
    numbers = pd.to_numeric(long["value"].where(long["value"].map(_is_number)), errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    wrong = long[bad]
    for row, col, value in zip(wrong["row"], wrong["col"], wrong["value"], strict=True):
        blank = value is None or (isinstance(value, float) and np.isnan(value))
        if blank:
            what = "is empty; type the units"
        elif isinstance(value, str) and value.startswith("="):
            what = f"{value!r} is a formula; type the units as a number"
        else:
            what = f"{value!r} is not a number >= 0"
        problems.append(Problem(source, int(row), str(header[int(col)]), what))
    if problems:
        raise ValidationFailed(problems)
    long["value"] = numbers.astype("float64")
    current = plan.groupby([*KEY_COLUMNS, "period"], as_index=False)["quantity"].sum()
    long = long.merge(current, on=[*KEY_COLUMNS, "period"], how="left")
    changed = (long["value"] - long["quantity"].round(DECIMALS)).abs() > 0.5 * 10**-DECIMALS
    edits = long[changed].sort_values(["row", "period"])
    return edits[["item", "location", "period", "value"]].reset_index(drop=True), edits[
        "row"
    ].astype(int).tolist()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def import_grid(engine: sa.Engine, path: Path, *, settings: Settings | None = None) -> GridImport:
    """Turn each changed cell of an edited grid into an absolute item_location override.

    The grid is compared with the demand version it was exported from (the ``about`` sheet;
    without it, the newest). All cells are checked first; any problem and nothing is stored.
    """
    settings = settings or get_settings()
    _, about = _read_sheets(path)
    wanted = about.get("version")
    version_id = int(wanted) if isinstance(wanted, int | float) else None
    with unit_of_work(engine, write=True) as session:
        version, frames = demand_version(session, version_id, ["consensus"])
        edits, rows = read_grid(path, frames["consensus"])
        overrides = [
            {
                "level": "item_location",
                "member": f"{e.item}|{e.location}",
                "period": e.period,
                "kind": "absolute",
                "value": e.value,
                "reason": GRID_REASON,
            }
            for e in edits.itertuples(index=False)
        ]
        added = add_overrides(
            session,
            overrides,
            cycle=version.cycle,
            settings=settings,
            source=f"{path.name}, sheet {GRID_SHEET}",
            rows=rows,
        )
        return GridImport(version.id, len(edits), [o.id for o in added])

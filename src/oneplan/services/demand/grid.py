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

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.datapack import ReadLimits
from oneplan.datapack.safety import check_xlsx
from oneplan.datapack.write import text_cell, xlsx_cells
from oneplan.engines.demand.grid import INFO_COLUMNS, KEY_COLUMNS, grid_edits, planning_grid
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.demand.service import demand_version

GRID_SHEET = "demand"
ABOUT_SHEET = "about"
GRID_REASON = "grid edit"


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


def export_grid(
    session: Session, actor: Actor, path: Path, version_id: int | None = None
) -> GridExport:
    """Write the planning grid of a demand version (default: the newest) to ``path`` (.xlsx)."""
    if path.suffix.lower() != ".xlsx":
        raise ValidationFailed([Problem(str(path), None, None, "the grid is an .xlsx workbook")])
    version, frames = demand_version(session, actor, version_id, ["consensus"])
    items = read_tables(session, ["items"])["items"]
    about: dict[str, Any] = {"version": version.id, "cycle": version.cycle, "name": version.name}
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


@dataclass(frozen=True)
class GridWorkbook:
    """An edited grid as read from its workbook: the grid sheet's rows and the about sheet."""

    name: str
    rows: list[tuple[Any, ...]]
    about: dict[str, Any]


def read_grid_workbook(path: Path) -> GridWorkbook:
    """Read an edited grid workbook (no database: read it before opening a transaction)."""
    rows, about = _read_sheets(path)
    return GridWorkbook(path.name, rows, about)


def import_grid(session: Session, actor: Actor, workbook: GridWorkbook) -> GridImport:
    """Turn each changed cell of an edited grid into an absolute item_location override.

    The grid is compared with the demand version it was exported from (the ``about`` sheet;
    without it, the newest). All cells are checked first; any problem and nothing is stored.
    """
    wanted = workbook.about.get("version")
    version_id = int(wanted) if isinstance(wanted, int | float) else None
    version, frames = demand_version(session, actor, version_id, ["consensus"])
    source = f"{workbook.name}, sheet {GRID_SHEET}"
    edits, rows = grid_edits(workbook.rows, frames["consensus"], source)
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
    added = add_overrides(session, actor, overrides, cycle=version.cycle, source=source, rows=rows)
    return GridImport(version.id, len(edits), [o.id for o in added])

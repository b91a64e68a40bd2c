"""The executive pack as a workbook: a sheet per page, every figure a number with its format
(amounts with thousands, shares as percentages, changes signed and coloured), charts embedded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from oneplan.reports import views
from oneplan.reports.pack import NO_SCENARIOS, Pack
from oneplan.reports.tables import (
    AMOUNT,
    DAYS,
    POINTS,
    SHARE,
    SIGNED_AMOUNT,
    SIGNED_SHARE,
    Column,
    image,
    put,
    scenario_unit,
    sheet_table,
    tone,
)

GREEN, RED = "2E8B57", "C0392B"
#: Review-table kind -> workbook number format.
FORMATS = {
    "amount": AMOUNT,
    "signed": SIGNED_AMOUNT,
    "share": SHARE,
    "change": SIGNED_SHARE,
    "points": POINTS,
    "days": DAYS,
    "month": "yyyy-mm",
    "text": "@",
}


def _colour(cell: Any, value: Any, higher_is_better: bool = True) -> None:
    """Green for a change the better way, red for the worse."""
    from openpyxl.styles import Font

    found = tone(value, higher_is_better)
    if found:
        cell.font = Font(color=GREEN if found == "good" else RED)


def _summary(sheet: Any, pack: Pack) -> None:
    from openpyxl.styles import Font

    put(sheet, 1, 1, pack.title).font = Font(bold=True, size=14)
    put(sheet, 2, 1, f"cycle {pack.cycle}, made {pack.as_of}".strip(", "))
    put(sheet, 3, 1, "What the meeting is asked").font = Font(bold=True)
    for offset, line in enumerate(pack.summary, start=4):
        put(sheet, offset, 1, line)
    top = 5 + len(pack.summary)
    sheet_table(sheet, pack.kpis, top=top)
    for offset, k in enumerate(pack.kpis.to_dict("records"), start=top + 1):
        share = k["unit"] == "%"
        for column in (2, 3):
            sheet.cell(row=offset, column=column).number_format = SHARE if share else AMOUNT
        variance = sheet.cell(row=offset, column=4)
        variance.number_format = POINTS if share else SIGNED_AMOUNT
        if share:  # a change of a share is in points: the cell holds points, not a share
            variance.value = None if pd.isna(k["variance"]) else float(k["variance"]) * 100
        sheet.cell(row=offset, column=5).number_format = SIGNED_SHARE
        for column in (4, 5):
            _colour(sheet.cell(row=offset, column=column), k["variance"])
    sheet.column_dimensions["A"].width = 28
    image(sheet, pack.charts["kpis"], f"H{top}")


def _review(sheet: Any, frame: pd.DataFrame, columns: Mapping[str, Column], top: int = 1) -> int:
    """A review table with each column's format and green/red changes; the next free row."""
    from openpyxl.styles import Font

    shown = frame.reindex(columns=list(columns))
    for column, (header, _, _) in enumerate(columns.values(), start=1):
        put(sheet, top, column, header).font = Font(bold=True)
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = max(14, len(header) + 2)
    for offset, record in enumerate(shown.to_dict("records"), start=top + 1):
        for column, (name, (_, kind, better)) in enumerate(columns.items(), start=1):
            cell = put(sheet, offset, column, record[name])
            cell.number_format = FORMATS[kind]
            if better:
                _colour(cell, record[name], better == "up")
    return top + len(shown) + 2


def _changes(sheet: Any, pack: Pack) -> None:
    if not len(pack.changes):
        put(sheet, 1, 1, "No earlier released or approved plan to compare with.")
        return
    put(sheet, 1, 1, f"This plan against {pack.previous_name}")
    sheet_table(sheet, pack.changes, top=2)
    for offset, row in enumerate(pack.changes.to_dict("records"), start=3):
        share = row["unit"] == "%"
        for column in (2, 3):
            sheet.cell(row=offset, column=column).number_format = SHARE if share else AMOUNT
        cell = sheet.cell(row=offset, column=4)
        cell.number_format = SIGNED_SHARE if share else SIGNED_AMOUNT
        way = views.BETTER.get(str(row["measure"]), "")
        if way:
            _colour(cell, row["change"], way == "up")


def _scenario_sheet(sheet: Any, pack: Pack) -> None:
    if not len(pack.scenarios):
        put(sheet, 1, 1, NO_SCENARIOS)
        return
    row = sheet_table(sheet, pack.scenarios)
    shape = {"%": SHARE, "": AMOUNT, "text": "@"}
    for offset, kpi in enumerate(pack.scenarios["kpi"], start=2):
        for column in range(2, len(pack.scenarios.columns) + 1):
            sheet.cell(row=offset, column=column).number_format = shape[scenario_unit(str(kpi))]
    image(sheet, pack.charts["scenarios"], f"A{row + 1}")


def write_xlsx(pack: Pack, path: Path) -> Path:
    """The pack as a workbook: Summary, Families, Demand vs supply, Inventory and service,
    Capacity, Bridge, Issues, Forecast accuracy, Changes, Trend, Scenarios."""
    import openpyxl

    money = {"value": SIGNED_AMOUNT, "cumulative": AMOUNT}
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Summary"
    _summary(summary, pack)

    sheet = workbook.create_sheet("Families")
    row = _review(sheet, pack.families, views.FAMILY_TABLE)
    image(sheet, pack.charts["families"], f"A{row + 1}")

    sheet = workbook.create_sheet("Demand vs supply")
    number = {c: AMOUNT for c in ("consensus", "production", "shipped")}
    sheet_table(sheet, pack.monthly, formats={"period": "yyyy-mm", **number})
    image(sheet, pack.charts["demand_supply"], "F2")

    sheet = workbook.create_sheet("Inventory and service")
    row = _review(sheet, pack.service, views.SERVICE_TABLE)
    image(sheet, pack.charts["service"], f"A{row + 1}")

    sheet = workbook.create_sheet("Capacity")
    grid = pack.utilisation.assign(
        month=pd.to_datetime(pack.utilisation["period"]).dt.strftime("%Y-%m")
    )
    wide = grid.pivot_table(index="resource", columns="month", values="utilisation", aggfunc="max")
    wide = wide.reset_index()
    wide.columns = [str(c) for c in wide.columns]
    row = sheet_table(sheet, wide, formats={c: "0%" for c in wide.columns[1:]})
    image(sheet, pack.charts["capacity"], f"A{row + 1}")

    # revenue bridge on top, gross margin bridge below it, each table beside its chart
    sheet = workbook.create_sheet("Bridge")
    put(sheet, 1, 1, "revenue bridge")
    sheet_table(sheet, pack.bridge, top=2, formats=money)
    image(sheet, pack.charts["bridge"], "E2")
    below = max(len(pack.bridge) + 4, 24)  # under the revenue chart (about 20 rows high)
    put(sheet, below, 1, "gross margin bridge")
    sheet_table(sheet, pack.margin_bridge, top=below + 1, formats=money)
    image(sheet, pack.charts["margin_bridge"], f"E{below + 1}")

    sheet = workbook.create_sheet("Issues")
    row = sheet_table(
        sheet, pack.issues, formats={"period": "yyyy-mm", "units": AMOUNT, "money": AMOUNT}
    )
    image(sheet, pack.charts["issues"], f"A{row + 1}")

    _review(workbook.create_sheet("Forecast accuracy"), pack.accuracy, views.ACCURACY_TABLE)
    _changes(workbook.create_sheet("Changes"), pack)
    sheet = workbook.create_sheet("Trend")
    trend = pack.trend_rows
    cycles = [c for c in trend.columns if c not in ("KPI", "unit", "basis")]
    row = sheet_table(sheet, trend)
    # each row in its own unit: shares as percentages, money whole, days and turns with a decimal
    for offset, unit in enumerate(trend["unit"], start=2):
        in_money = unit in (pack.currency, "money")
        shape = "0.0%" if unit == "share" else AMOUNT if in_money else "0.0"
        for column in range(4, 4 + len(cycles)):
            sheet.cell(row=offset, column=column).number_format = shape
    if "trend" in pack.charts:
        image(sheet, pack.charts["trend"], f"A{row + 2}")
    _scenario_sheet(workbook.create_sheet("Scenarios"), pack)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path

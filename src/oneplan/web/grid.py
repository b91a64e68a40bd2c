"""A read-only grid every page uses for a table of numbers: AG Grid (sorting, filtering,
keyboard navigation, a virtual scroll for long tables) with the numbers formatted as planners
read them, and a button that gives the same rows as an xlsx file.

AG Grid's own Excel export is not in its free edition, so the file is written by the server
(openpyxl), from the same frame the grid shows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from nicegui import ui

#: A grid's number format: whole units, money with the currency, or a share as a percentage.
NUMBER_FORMATS = {
    "units": "value == null ? '' : Math.round(value).toLocaleString('en-US')",
    "money": "value == null ? '' : Math.round(value).toLocaleString('en-US')",
    "share": "value == null ? '' : (100 * value).toFixed(1) + ' %'",
    "decimal": "value == null ? '' : value.toLocaleString('en-US', {maximumFractionDigits: 2})",
}


def column_defs(
    frame: pd.DataFrame, formats: dict[str, str], titles: dict[str, str] | None = None
) -> list[dict[str, object]]:
    """AG Grid column definitions: numbers right-aligned in their format, text filterable.

    >>> column_defs(pd.DataFrame({"item": ["A"], "qty": [1.0]}), {"qty": "units"})[1]["type"]
    'rightAligned'
    """
    titles = titles or {}
    columns: list[dict[str, object]] = []
    for name in frame.columns:
        column: dict[str, object] = {
            "field": str(name),
            "headerName": titles.get(str(name), str(name).replace("_", " ")),
            "sortable": True,
            "resizable": True,
        }
        kind = formats.get(str(name))
        if kind is not None:
            column |= {
                "type": "rightAligned",
                ":valueFormatter": f"params => {{ const value = params.value; "
                f"return {NUMBER_FORMATS[kind]}; }}",
                "filter": "agNumberColumnFilter",
            }
        else:
            column["filter"] = "agTextColumnFilter"
        columns.append(column)
    return columns


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """``frame`` as one sheet of an xlsx workbook."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows for the browser: missing values as null, dates as ISO text."""
    shown = frame.copy()
    for name in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[name]):
            shown[name] = shown[name].dt.strftime("%Y-%m-%d")
    shown = shown.astype(object)
    rows: list[dict[str, object]] = [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
        for row in shown.to_dict("records")
    ]
    return rows


def data_grid(
    frame: pd.DataFrame,
    *,
    name: str,
    formats: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
    pinned: Sequence[str] = (),
    height: str = "h-96",
) -> ui.aggrid:
    """A grid of ``frame`` with an "Export to xlsx" button above it (file ``<name>.xlsx``)."""
    columns = column_defs(frame, formats or {}, titles)
    for column in columns:
        if column["field"] in pinned:
            column["pinned"] = "left"
    with ui.row().classes("w-full justify-end"):
        ui.button(
            "Export to xlsx",
            icon="download",
            on_click=lambda: ui.download.content(xlsx_bytes(frame, name), f"{name}.xlsx"),
        ).props("flat dense").mark(f"export-{name}")
    grid = ui.aggrid(
        {
            "columnDefs": columns,
            "rowData": records(frame),
            "defaultColDef": {"flex": 1, "minWidth": 90},
            "animateRows": False,
        },
        theme="balham",
    ).classes(f"w-full {height}")
    return grid.mark(f"grid-{name}")

"""How the pack's tables are written: workbook cells and HTML rows (pure, no files).

Text from the data is always stored as text in the workbook and escaped in HTML, so a name such
as ``=HYPERLINK(...)`` or ``<b>`` shows as typed and does nothing.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def figure_text(value: Any, unit: str) -> str:
    """A figure as people read it: a share as a percentage, anything else rounded.

    >>> figure_text(0.4321, "%"), figure_text(1234567.8, "EUR"), figure_text(float("nan"), "")
    ('43.2%', '1,234,568', '-')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{float(value):.1%}" if unit == "%" else f"{float(value):,.0f}"


def scenario_unit(kpi: str) -> str:
    """How a scenario KPI reads: ``%`` for shares, ``text`` for names, else an amount.

    >>> [scenario_unit(k) for k in ("service level on time", "top bottleneck", "total cost")]
    ['%', 'text', '']
    """
    if kpi.startswith(("service level", "utilisation")):
        return "%"
    return "text" if kpi == "top bottleneck" else ""


def scenario_text(value: Any, unit: str) -> str:
    """One cell of the scenario table as text (a missing figure is ``-``).

    >>> scenario_text(0.95, "%"), scenario_text("P2 2027-03", "text"), scenario_text(None, "")
    ('95.0%', 'P2 2027-03', '-')
    """
    if unit == "text":
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    try:
        return figure_text(None if value is None else float(value), unit)
    except (TypeError, ValueError):
        return str(value)


# -- workbook -----------------------------------------------------------------------------


def _cell_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """One cell; text is always stored as text, so "=SUM(...)" from a name stays inert."""
    cell = sheet.cell(row=row, column=column, value=_cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
    return cell


def sheet_table(
    sheet: Any, frame: pd.DataFrame, top: int = 1, formats: Mapping[str, str] | None = None
) -> int:
    """Write a frame with a bold header at row `top`; returns the next free row."""
    from openpyxl.styles import Font

    for column, name in enumerate(frame.columns, start=1):
        put(sheet, top, column, str(name)).font = Font(bold=True)
    formats = formats or {}
    for offset, values in enumerate(frame.itertuples(index=False), start=1):
        for column, (name, value) in enumerate(zip(frame.columns, values, strict=True), start=1):
            cell = put(sheet, top + offset, column, value)
            if name in formats:
                cell.number_format = formats[name]
    for column, name in enumerate(frame.columns, start=1):
        width = max([len(str(name)), *(len(str(v)) for v in frame[name].head(200))], default=8)
        letter = sheet.cell(row=1, column=column).column_letter
        current = sheet.column_dimensions[letter].width or 0
        sheet.column_dimensions[letter].width = max(current, min(width + 2, 60))
    return top + len(frame) + 2


def image(sheet: Any, png: bytes, anchor: str) -> None:
    """Embed a PNG with its top left corner at `anchor` (e.g. ``"E2"``)."""
    from openpyxl.drawing.image import Image

    sheet.add_image(Image(io.BytesIO(png)), anchor)


# -- HTML ---------------------------------------------------------------------------------


def kpi_rows(kpis: pd.DataFrame) -> str:
    """The headline KPI table's rows, green ahead of budget and red behind."""
    rows = []
    for k in kpis.to_dict("records"):
        unit, variance, share = str(k["unit"]), float(k["variance"]), float(k["variance_pct"])
        tone = "" if not np.isfinite(variance) else ("good" if variance >= 0 else "bad")
        change = "-" if not np.isfinite(share) else f"{share:+.1%}"
        if unit == "%" and np.isfinite(variance):
            change = f"{variance * 100:+.1f} pts"
        cells = [
            f"<td>{html.escape(str(k['measure']))}</td>",
            f'<td class="n">{figure_text(k["plan"], unit)}</td>',
            f'<td class="n">{figure_text(k["budget"], unit)}</td>',
            f'<td class="n {tone}">{figure_text(variance, unit)}</td>',
            f'<td class="n {tone}">{change}</td>',
            f"<td>{html.escape(unit)}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def issue_rows(issues: pd.DataFrame) -> str:
    """The ranked issue table's rows."""
    rows = []
    for issue in issues.to_dict("records"):

        def text(column: str, row: dict[Any, Any] = issue) -> str:
            return html.escape(str(row[column]))

        stamp = issue["period"]
        period = "" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m}"
        cells = [
            f'<td class="n">{text("rank")}</td>',
            f"<td>{text('kind').replace('_', ' ')}</td>",
            f"<td>{text('subject')}</td>",
            f"<td>{period}</td>",
            f'<td class="n">{text("periods")}</td>',
            f'<td class="n">{figure_text(issue["units"], "")} {text("unit")}</td>',
            f'<td class="n">{figure_text(issue["money"], "")}</td>',
            f"<td>{text('decision')}</td>",
            f"<td>{text('cause')}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def bridge_table(steps: pd.DataFrame) -> str:
    """A bridge's steps as a table: each step's value and the running total after it."""
    rows = ["<tr><th>step</th><th>value</th><th>cumulative</th></tr>"]
    for step, value, cumulative in steps[["step", "value", "cumulative"]].itertuples(index=False):
        rows.append(
            f"<tr><td>{html.escape(str(step))}</td>"
            f'<td class="n">{figure_text(value, "")}</td>'
            f'<td class="n">{figure_text(cumulative, "")}</td></tr>'
        )
    return "<table>" + "\n".join(rows) + "</table>"


def scenario_table(scenarios: pd.DataFrame) -> str:
    """The scenario KPIs side by side: a row per KPI, a column for the base and each scenario."""
    plans = [str(c) for c in scenarios.columns[1:]]
    rows = ["<tr><th>KPI</th>" + "".join(f"<th>{html.escape(p)}</th>" for p in plans) + "</tr>"]
    for record in scenarios.itertuples(index=False):
        kpi, *values = record
        unit = scenario_unit(str(kpi))
        cells = "".join(f'<td class="n">{html.escape(scenario_text(v, unit))}</td>' for v in values)
        rows.append(f"<tr><td>{html.escape(str(kpi))}</td>{cells}</tr>")
    return "<table>" + "\n".join(rows) + "</table>"

"""How the pack's tables are written: workbook cells and HTML rows (pure, no files).

Text from the data is always stored as text in the workbook and escaped in HTML, so a name such
as ``=HYPERLINK(...)`` or ``<b>`` shows as typed and does nothing.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.kpi.figures import is_share

#: Workbook number formats: amounts whole with thousands, shares with one decimal, changes
#: signed (a change of a share is in percentage points).
AMOUNT = "#,##0"
SHARE = "0.0%"
SIGNED_AMOUNT = "+#,##0;-#,##0;0"
SIGNED_SHARE = "+0.0%;-0.0%;0.0%"
POINTS = '+0.0" pts";-0.0" pts";0.0" pts"'
DAYS = "#,##0.0"
#: A change smaller than this shows as zero (a share's 0.05 pts) and is not coloured.
QUIET = 5e-4
#: A code as the data spells it (``SPR-0040@DC-CENTRAL``, ``2027-04``): never broken in HTML.
CODE = re.compile(r"[A-Za-z0-9_.]+(?:[-@/][A-Za-z0-9_.]+)+")


def figure_text(value: Any, unit: str) -> str:
    """A figure as people read it: a share as a percentage, anything else rounded.

    >>> figure_text(0.4321, "%"), figure_text(1234567.8, "EUR"), figure_text(float("nan"), "")
    ('43.2%', '1,234,568', '-')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{float(value):.1%}" if unit == "%" else f"{float(value):,.0f}"


def change_text(value: Any, unit: str) -> str:
    """A change with its sign; a change of a share in percentage points.

    >>> change_text(0.036, "%"), change_text(-107537.4, "EUR"), change_text(-0.0004, "%")
    ('+3.6 pts', '-107,537', '0.0 pts')
    """
    if value is None or not np.isfinite(float(value)):
        return "-"
    return _unsigned_zero(
        f"{float(value) * 100:+.1f} pts" if unit == "%" else f"{float(value):+,.0f}"
    )


def _unsigned_zero(text: str) -> str:
    """A change that rounds to nothing carries no sign: ``0.0 pts``, never ``-0.0 pts``."""
    return text if re.search("[1-9]", text) else text.lstrip("+-")


def tone(value: Any, higher_is_better: bool = True) -> str:
    """``good`` (green) or ``bad`` (red) for a variance; empty when there is none or it rounds
    to nothing where it is shown (below `QUIET`: 0.0 pts of a share).

    >>> tone(5.0), tone(-1.0), tone(float("nan")), tone(5.0, higher_is_better=False)
    ('good', 'bad', '', 'bad')
    """
    if value is None or not np.isfinite(float(value)) or abs(float(value)) < QUIET:
        return ""
    return "good" if (float(value) > 0) == higher_is_better else "bad"


def nobreak_codes(text: str) -> str:
    """Escaped HTML in which codes such as ``SPR-0040@DC-CENTRAL`` never wrap at a hyphen.

    >>> nobreak_codes("build SPR-0040 <now>")
    'build <span class="code">SPR-0040</span> &lt;now&gt;'
    """
    out, last = [], 0
    for found in CODE.finditer(text):
        out.append(html.escape(text[last : found.start()]))
        out.append(f'<span class="code">{html.escape(found.group())}</span>')
        last = found.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def scenario_unit(kpi: str) -> str:
    """How a scenario KPI reads: ``%`` for shares, ``text`` for names, else an amount.

    >>> [scenario_unit(k) for k in ("service level on time", "margin %", "top bottleneck")]
    ['%', '%', 'text']
    """
    if is_share(kpi):
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
        colour = tone(variance)
        change = change_text(variance, "%") if unit == "%" else f"{share:+.1%}"
        if not np.isfinite(share) and unit != "%":
            change = "-"
        cells = [
            f"<td>{html.escape(str(k['measure']))}</td>",
            f'<td class="n">{figure_text(k["plan"], unit)}</td>',
            f'<td class="n">{figure_text(k["budget"], unit)}</td>',
            f'<td class="n {colour}">{change_text(variance, unit)}</td>',
            f'<td class="n {colour}">{change}</td>',
            f"<td>{html.escape(unit)}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def issue_rows(issues: pd.DataFrame) -> str:
    """The ranked issue table's rows: what it is about by name, codes kept whole."""
    rows = []
    for issue in issues.to_dict("records"):
        stamp = issue["period"]
        period = "" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m}"
        about = str(issue.get("label") or issue["subject"])
        cells = [
            f'<td class="n">{html.escape(str(issue["rank"]))}</td>',
            f"<td>{html.escape(str(issue['kind']).replace('_', ' '))}</td>",
            f"<td>{nobreak_codes(about)}</td>",
            f'<td class="code">{period}</td>',
            f'<td class="n">{html.escape(str(issue["periods"]))}</td>',
            f'<td class="n">{figure_text(issue["units"], "")}</td>',
            f"<td>{html.escape(str(issue['unit']))}</td>",
            f'<td class="n">{figure_text(issue["money"], "")}</td>',
            f"<td>{nobreak_codes(str(issue['decision']))}</td>",
            f"<td>{nobreak_codes(str(issue['cause']))}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def bridge_table(steps: pd.DataFrame) -> str:
    """A bridge's steps as a table: each step's value (effects green up, red down) and the
    running total after it."""
    rows = ["<tr><th>step</th><th>value</th><th>cumulative</th></tr>"]
    last = len(steps) - 1
    for at, (step, value, cumulative) in enumerate(
        steps[["step", "value", "cumulative"]].itertuples(index=False)
    ):
        total = at in (0, last)
        shown = figure_text(value, "") if total else change_text(value, "")
        rows.append(
            f"<tr><td>{html.escape(str(step))}</td>"
            f'<td class="n {"" if total else tone(value)}">{shown}</td>'
            f'<td class="n">{figure_text(cumulative, "")}</td></tr>'
        )
    return "<table>" + "\n".join(rows) + "</table>"


#: How a column of a review table reads: its header, its kind and whether higher is better.
Column = tuple[str, str, str]


def cell_text(value: Any, kind: str) -> str:
    """One review-table cell as text by its kind.

    >>> cell_text(0.1234, "share"), cell_text(-0.02, "change"), cell_text(12.34, "days")
    ('12.3%', '-2.0%', '12.3')
    """
    if kind == "text":
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if value is None or not np.isfinite(float(value)):
        return "-"
    number = float(value)
    texts = {
        "amount": f"{number:,.0f}",
        "signed": f"{number:+,.0f}",
        "share": f"{number:.1%}",
        "change": f"{number:+.1%}",
        "points": f"{number * 100:+.1f} pts",
        "days": f"{number:,.1f}",
        "month": "",
    }
    return _unsigned_zero(texts[kind]) if kind in ("signed", "change", "points") else texts[kind]


def review_table(frame: pd.DataFrame, columns: Mapping[str, Column]) -> str:
    """A review page's table: ``columns`` maps a frame column to (header, kind, better) where
    kind is text, amount, signed, share, change, points, days or month and better is
    ``up``, ``down`` or empty (changes coloured green when they go the better way)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h, _, _ in columns.values())
    rows = [f"<tr>{head}</tr>"]
    for record in frame.to_dict("records"):
        cells = []
        for name, (_, kind, better) in columns.items():
            value = record.get(name)
            if kind == "month":
                text = "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m}"
                cells.append(f'<td class="code">{text}</td>')
            elif kind == "text":
                cells.append(f"<td>{nobreak_codes(cell_text(value, kind))}</td>")
            else:
                colour = tone(value, better == "up") if better else ""
                cells.append(f'<td class="n {colour}">{cell_text(value, kind)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
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


def change_rows(changes: pd.DataFrame, better: Mapping[str, str]) -> str:
    """The changes since the previous plan: a row per figure, each in its own unit."""
    rows = ["<tr><th>measure</th><th>previous</th><th>now</th><th>change</th><th>unit</th></tr>"]
    for row in changes.to_dict("records"):
        unit, way = str(row["unit"]), better.get(str(row["measure"]), "")
        colour = tone(row["change"], way == "up") if way else ""
        rows.append(
            f"<tr><td>{html.escape(str(row['measure']))}</td>"
            f'<td class="n">{figure_text(row["previous"], unit)}</td>'
            f'<td class="n">{figure_text(row["now"], unit)}</td>'
            f'<td class="n {colour}">{change_text(row["change"], unit)}</td>'
            f"<td>{html.escape(unit)}</td></tr>"
        )
    return "<table>" + "\n".join(rows) + "</table>"

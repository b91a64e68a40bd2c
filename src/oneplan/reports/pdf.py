"""The executive pack as a PDF: A4 landscape, the same pages as the HTML report.

fpdf2 is pure Python and needs no system libraries; the text font is the DejaVu Sans that
matplotlib ships, so names in any European language print as written.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from oneplan.reports.pack import CHARTS, NO_SCENARIOS, Pack
from oneplan.reports.tables import figure_text, scenario_text, scenario_unit

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
#: How many issues the PDF lists; the workbook keeps them all.
PDF_ISSUES = 15


def _kpi_rows(pack: Pack) -> list[list[str]]:
    rows = [["measure", "plan", "budget", "vs budget", "vs budget %", "unit"]]
    for k in pack.kpis.to_dict("records"):
        unit, share = str(k["unit"]), float(k["variance_pct"])
        change = "-" if not np.isfinite(share) else f"{share:+.1%}"
        if unit == "%" and np.isfinite(float(k["variance"])):
            change = f"{float(k['variance']) * 100:+.1f} pts"
        figures = [figure_text(k[c], unit) for c in ("plan", "budget", "variance")]
        rows.append([str(k["measure"]), *figures, change, unit])
    return rows


def _issue_rows(pack: Pack) -> list[list[str]]:
    rows = [["#", "issue", "subject", "from", "units", "money", "decision asked for"]]
    for issue in pack.issues.head(PDF_ISSUES).to_dict("records"):
        stamp = issue["period"]
        rows.append(
            [
                str(issue["rank"]),
                str(issue["kind"]).replace("_", " "),
                str(issue["subject"]),
                "" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m}",
                f"{figure_text(issue['units'], '')} {issue['unit']}",
                figure_text(issue["money"], ""),
                str(issue["decision"]),
            ]
        )
    return rows


def _scenario_rows(pack: Pack) -> list[list[str]]:
    rows = [["KPI", *(str(c) for c in pack.scenarios.columns[1:])]]
    for kpi, *values in pack.scenarios.itertuples(index=False):
        unit = scenario_unit(str(kpi))
        rows.append([str(kpi), *(scenario_text(v, unit) for v in values)])
    return rows


def render_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes: headline KPIs, the issues, one chart per page, the scenarios."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font("dejavu", "", str(FONT / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONT / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=12)
    money = f" ({pack.currency})" if pack.currency else ""

    def heading(text: str) -> None:
        pdf.set_font("dejavu", "B", 14)
        pdf.cell(text=text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def table(rows: list[list[str]], widths: tuple[int, ...]) -> None:
        pdf.set_font("dejavu", "", 8)
        with pdf.table(col_widths=widths, first_row_as_headings=True) as grid:
            for row in rows:
                line = grid.row()
                for text in row:
                    line.cell(text)

    pdf.add_page()
    heading(f"Executive S&OP pack {pack.cycle}".strip())
    versions = ", ".join(f"{kind} #{number}" for kind, number in pack.versions.items())
    pdf.set_font("dejavu", "", 9)
    pdf.cell(text=f"Plan versions: {versions or '-'}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    heading(f"Headline KPIs against budget{money}")
    table(_kpi_rows(pack), (30, 18, 18, 18, 14, 8))
    pdf.image(io.BytesIO(pack.charts["kpis"]), h=80)
    pdf.add_page()
    heading("Gaps and the decisions asked for")
    table(_issue_rows(pack), (4, 14, 22, 8, 12, 10, 40))
    for name in ("issues", "demand_supply", "capacity"):
        pdf.add_page()
        heading(CHARTS[name][0])
        pdf.image(io.BytesIO(pack.charts[name]), w=pdf.epw, h=pdf.eph - 20, keep_aspect_ratio=True)
    for name, steps in (("bridge", pack.bridge), ("margin_bridge", pack.margin_bridge)):
        pdf.add_page()
        heading(f"{CHARTS[name][0]}, budget to plan{money}")
        rows = [["step", "value", "cumulative"]]
        rows += [
            [str(step), figure_text(value, ""), figure_text(total, "")]
            for step, value, total in steps[["step", "value", "cumulative"]].itertuples(index=False)
        ]
        pdf.set_font("dejavu", "", 8)
        with pdf.table(width=90, col_widths=(3, 2, 2), align="LEFT") as grid:
            for row in rows:
                line = grid.row()
                for text in row:
                    line.cell(text)
        pdf.ln(3)
        room = pdf.h - pdf.b_margin - pdf.get_y()  # the chart fills the page below the table
        pdf.image(io.BytesIO(pack.charts[name]), w=pdf.epw, h=room, keep_aspect_ratio=True)
    pdf.add_page()
    heading("Scenarios")
    if not len(pack.scenarios):
        pdf.set_font("dejavu", "", 10)
        pdf.cell(text=NO_SCENARIOS, new_x="LMARGIN", new_y="NEXT")
    else:
        plans = len(pack.scenarios.columns) - 1
        table(_scenario_rows(pack), (3, *(2,) * plans))
        pdf.add_page()
        heading(CHARTS["scenarios"][0])
        pdf.image(
            io.BytesIO(pack.charts["scenarios"]), w=pdf.epw, h=pdf.eph - 20, keep_aspect_ratio=True
        )
    return bytes(pdf.output())


def write_pdf(pack: Pack, path: Path) -> Path:
    """Write `render_pdf` to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_pdf(pack))
    return path

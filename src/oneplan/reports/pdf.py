"""The executive pack as a PDF: A4 landscape, the same pages as the HTML report.

fpdf2 is pure Python and needs no system libraries; the text font is the DejaVu Sans that
matplotlib ships, so names in any European language print as written. Every block (a line of
text, a table, a chart) is placed by `Layout`, which records the box it takes on its page:
`layout_pdf` returns them, and a test checks that no two boxes of a page overlap and that none
runs off the page.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from PIL import Image

from oneplan.reports import views
from oneplan.reports.pack import CHARTS, NO_SCENARIOS, NO_TREND, Pack
from oneplan.reports.tables import (
    Column,
    cell_text,
    change_text,
    figure_text,
    scenario_text,
    scenario_unit,
    tone,
)

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
MARGIN = 12.0
GAP = 3.0
#: The shortest a chart may be drawn below a table before it moves to a page of its own.
SHORTEST_CHART = 70.0
INK = {"good": (46, 139, 87), "bad": (192, 57, 43), "": (34, 34, 34)}
HEADINGS = (238, 242, 246)

#: One table cell: its text and its tone (``good`` green, ``bad`` red, or empty).
Cell = tuple[str, str]


@dataclass(frozen=True)
class Box:
    """The rectangle a block takes on a page, in millimetres from the top left corner."""

    page: int
    x: float
    y: float
    width: float
    height: float
    what: str

    def overlaps(self, other: Box) -> bool:
        """True when the two boxes share any area (touching edges do not count)."""
        slack = 0.01
        return (
            self.page == other.page
            and self.x + self.width > other.x + slack
            and other.x + other.width > self.x + slack
            and self.y + self.height > other.y + slack
            and other.y + other.height > self.y + slack
        )


@dataclass
class Layout:
    """An fpdf2 document that records the box of everything it places."""

    pdf: Any
    boxes: list[Box] = field(default_factory=list)

    @property
    def bottom(self) -> float:
        return float(self.pdf.h - self.pdf.b_margin)

    @property
    def room(self) -> float:
        """Height left on the page below the cursor."""
        return self.bottom - float(self.pdf.get_y())

    def _record(self, what: str, x: float, width: float, page: int, top: float) -> None:
        """The box from (page, top) to the cursor, split where the block ran onto a new page."""
        pdf = self.pdf
        for at in range(page, pdf.page + 1):
            start = top if at == page else float(pdf.t_margin)
            end = float(pdf.get_y()) if at == pdf.page else self.bottom
            if end > start:
                self.boxes.append(Box(at, x, start, width, end - start, what))

    def page(self) -> None:
        self.pdf.add_page()

    def text(self, text: str, size: float = 10, bold: bool = False, after: float = 1.0) -> None:
        pdf = self.pdf
        pdf.set_font("dejavu", "B" if bold else "", size)
        pdf.set_text_color(*INK[""])
        page, top = pdf.page, float(pdf.get_y())
        pdf.multi_cell(pdf.epw, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self._record("text", float(pdf.l_margin), float(pdf.epw), page, top)
        pdf.ln(after)

    def heading(self, text: str) -> None:
        self.text(text, size=14, bold=True, after=2.0)

    def table(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        aligns: Sequence[str],
        size: float = 8,
        width: float | None = None,
    ) -> None:
        """A table with a heading row, numbers right-aligned, changes green or red."""
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font("dejavu", "", size)
        page, top, left = pdf.page, float(pdf.get_y()), float(pdf.l_margin)
        wide = float(width or pdf.epw)
        heads = FontFace(emphasis="BOLD", fill_color=HEADINGS)
        with pdf.table(
            width=wide,
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            align="LEFT",
            headings_style=heads,
            line_height=size * 0.55,
        ) as grid:
            for row in rows:
                line = grid.row()
                for text, colour in row:
                    line.cell(text, style=FontFace(color=INK[colour]) if colour else None)
        self._record("table", left, wide, page, top)
        pdf.ln(GAP)

    def chart(
        self, png: bytes, height: float | None = None, x: float | None = None, width: float = 0
    ) -> None:
        """A chart as large as fits in ``width`` x ``height`` (default: the rest of the page),
        its aspect kept; on a new page when less than `SHORTEST_CHART` is left."""
        pdf = self.pdf
        if height is None and self.room < SHORTEST_CHART:
            self.page()
        left = float(pdf.l_margin if x is None else x)
        most_w = float(width or (pdf.w - pdf.r_margin - left))
        most_h = float(height if height is not None else self.room)
        pixels_w, pixels_h = Image.open(io.BytesIO(png)).size
        scale = min(most_w / pixels_w, most_h / pixels_h)
        drawn_w, drawn_h = pixels_w * scale, pixels_h * scale
        top = float(pdf.get_y())
        pdf.image(io.BytesIO(png), x=left, y=top, w=drawn_w, h=drawn_h)
        self.boxes.append(Box(pdf.page, left, top, drawn_w, drawn_h, "chart"))
        if x is None:
            pdf.set_y(top + drawn_h + GAP)


def _kpi_rows(pack: Pack) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        [(h, "") for h in ("measure", "plan", "budget", "vs budget", "vs budget %", "unit")]
    ]
    for k in pack.kpis.to_dict("records"):
        unit, colour = str(k["unit"]), tone(k["variance"])
        change = (
            change_text(k["variance"], "%")
            if unit == "%"
            else cell_text(k["variance_pct"], "change")
        )
        rows.append(
            [
                (str(k["measure"]), ""),
                (figure_text(k["plan"], unit), ""),
                (figure_text(k["budget"], unit), ""),
                (change_text(k["variance"], unit), colour),
                (change, colour),
                (unit, ""),
            ]
        )
    return rows


def _issue_rows(pack: Pack) -> list[list[Cell]]:
    heads = ["#", "issue", "about", "from", "months", "units", "money", "decision asked for"]
    rows: list[list[Cell]] = [[(h, "") for h in heads]]
    for issue in pack.shown_issues.to_dict("records"):
        stamp = issue["period"]
        rows.append(
            [
                (str(issue["rank"]), ""),
                (str(issue["kind"]).replace("_", " "), ""),
                (str(issue.get("label") or issue["subject"]), ""),
                ("" if pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m}", ""),
                (str(issue["periods"]), ""),
                (figure_text(issue["units"], ""), ""),
                (figure_text(issue["money"], ""), ""),
                (str(issue["decision"]), ""),
            ]
        )
    return rows


def _review_rows(frame: pd.DataFrame, columns: Mapping[str, Column]) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[(h, "") for h, _, _ in columns.values()]]
    for record in frame.reindex(columns=list(columns)).to_dict("records"):
        line: list[Cell] = []
        for name, (_, kind, better) in columns.items():
            value = record[name]
            if kind == "month":
                line.append(("" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m}", ""))
            else:
                colour = tone(value, better == "up") if better and kind != "text" else ""
                line.append((cell_text(value, kind), colour))
        rows.append(line)
    return rows


def _aligns(columns: Mapping[str, Column]) -> list[str]:
    return ["LEFT" if kind in ("text", "month") else "RIGHT" for _, kind, _ in columns.values()]


def _change_rows(pack: Pack) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[(h, "") for h in ("measure", "previous", "now", "change", "unit")]]
    for row in pack.changes.to_dict("records"):
        unit, way = str(row["unit"]), views.BETTER.get(str(row["measure"]), "")
        rows.append(
            [
                (str(row["measure"]), ""),
                (figure_text(row["previous"], unit), ""),
                (figure_text(row["now"], unit), ""),
                (change_text(row["change"], unit), tone(row["change"], way == "up") if way else ""),
                (unit, ""),
            ]
        )
    return rows


def _bridge_rows(steps: pd.DataFrame) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[("step", ""), ("value", ""), ("cumulative", "")]]
    last = len(steps) - 1
    for at, (step, value, total) in enumerate(
        steps[["step", "value", "cumulative"]].itertuples(index=False)
    ):
        effect = at not in (0, last)
        shown = change_text(value, "") if effect else figure_text(value, "")
        rows.append(
            [(str(step), ""), (shown, tone(value) if effect else ""), (figure_text(total, ""), "")]
        )
    return rows


def _scenario_rows(pack: Pack) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[("KPI", ""), *((str(c), "") for c in pack.scenarios.columns[1:])]]
    for kpi, *values in pack.scenarios.itertuples(index=False):
        unit = scenario_unit(str(kpi))
        rows.append([(str(kpi), ""), *((scenario_text(v, unit), "") for v in values)])
    return rows


def _first_page(layout: Layout, pack: Pack, money: str) -> None:
    pdf = layout.pdf
    layout.page()
    layout.text(pack.title, size=18, bold=True, after=1.0)
    versions = ", ".join(f"{kind} #{number}" for kind, number in pack.versions.items())
    made = f" · made {pack.as_of}" if pack.as_of else ""
    layout.text(f"S&OP cycle {pack.cycle}{made} · plan versions {versions or '-'}", size=9, after=4)
    layout.text("What the meeting is asked", size=12, bold=True, after=1.0)
    for number, line in enumerate(pack.summary, start=1):
        layout.text(f"{number}. {line}", size=10, after=0.5)
    pdf.ln(GAP)
    layout.text(f"Headline KPIs against budget{money}", size=12, bold=True, after=1.0)
    top = float(pdf.get_y())
    table_width = 150.0
    layout.table(
        _kpi_rows(pack),
        (44, 24, 24, 22, 20, 16),
        ("LEFT", *("RIGHT",) * 4, "LEFT"),
        width=table_width,
    )
    below = float(pdf.get_y())
    pdf.set_y(top)  # the chart stands beside the table, never on it
    left = MARGIN + table_width + 6.0
    layout.chart(pack.charts["kpis"], height=layout.bottom - top, x=left)
    pdf.set_y(below)


def layout_pdf(pack: Pack) -> tuple[bytes, list[Box]]:
    """The pack as PDF bytes and the box of every block on every page."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font("dejavu", "", str(FONT / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONT / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    layout = Layout(pdf)
    money = f" ({pack.currency})" if pack.currency else ""
    _first_page(layout, pack, money)

    layout.page()
    layout.heading("Gaps and the decisions asked for")
    layout.chart(pack.charts["issues"])
    layout.page()
    more = len(pack.issues) - len(pack.shown_issues)
    rest = f"; the workbook lists all {len(pack.issues):,}" if more > 0 else ""
    layout.heading(f"The {len(pack.shown_issues)} largest issues{money}{rest}")
    layout.table(
        _issue_rows(pack),
        (8, 26, 62, 15, 13, 18, 20, 111),
        ("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        size=7,
    )

    layout.page()
    layout.heading(CHARTS["families"][0])
    layout.table(
        _review_rows(pack.families, views.FAMILY_TABLE),
        (60, 28, 28, 28, 24, 24),
        _aligns(views.FAMILY_TABLE),
        width=192,
    )
    layout.chart(pack.charts["families"])

    layout.page()
    layout.heading(CHARTS["demand_supply"][0])
    layout.chart(pack.charts["demand_supply"])

    layout.page()
    layout.heading(f"{CHARTS['service'][0]}{money}")
    layout.chart(pack.charts["service"], height=80.0)
    layout.table(
        _review_rows(pack.service, views.SERVICE_TABLE),
        (18, 18, 22, 22, 24, 26, 24, 32),
        _aligns(views.SERVICE_TABLE),
        size=7,
        width=186,
    )

    layout.page()
    layout.heading(CHARTS["capacity"][0])
    layout.chart(pack.charts["capacity"])

    for name, steps in (("bridge", pack.bridge), ("margin_bridge", pack.margin_bridge)):
        layout.page()
        layout.heading(f"{CHARTS[name][0]}, budget to plan{money}")
        layout.table(_bridge_rows(steps), (3, 2, 2), ("LEFT", "RIGHT", "RIGHT"), width=90)
        layout.chart(pack.charts[name])

    layout.page()
    layout.heading("Forecast accuracy (backtest of the statistical forecast)")
    if len(pack.accuracy):
        layout.table(
            _review_rows(pack.accuracy, views.ACCURACY_TABLE),
            (60, 28, 30, 30, 28, 28),
            _aligns(views.ACCURACY_TABLE),
            width=204,
        )
    else:
        layout.text("The demand plan has no backtest to measure.")
    layout.heading("What changed since the previous plan")
    if len(pack.changes):
        layout.text(f"This plan against {pack.previous_name}.", size=9)
        layout.table(
            _change_rows(pack),
            (50, 30, 30, 30, 16),
            ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
            width=156,
        )
    else:
        layout.text("No earlier released or approved plan to compare with.")

    layout.page()
    layout.heading(CHARTS["trend"][0])
    if "trend" in pack.charts:
        layout.text(
            "Each closed cycle's released plan against the actuals that came after it; a "
            "dashed line is the released plan's own figure (no actual for it in the data). "
            "Definitions: docs/cycle.md.",
            size=9,
        )
        layout.chart(pack.charts["trend"])
    else:
        layout.text(NO_TREND)

    layout.page()
    layout.heading("Scenarios")
    if not len(pack.scenarios):
        layout.text(NO_SCENARIOS)
    else:
        plans = len(pack.scenarios.columns) - 1
        wide = min(float(pdf.epw), 60.0 + 32.0 * plans)
        layout.table(
            _scenario_rows(pack), (60, *(32,) * plans), ("LEFT", *("RIGHT",) * plans), width=wide
        )
        layout.chart(pack.charts["scenarios"])
    return bytes(pdf.output()), layout.boxes


def render_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes (pages: docs/executive-pack.md)."""
    return layout_pdf(pack)[0]


def write_pdf(pack: Pack, path: Path) -> Path:
    """Write `render_pdf` to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_pdf(pack))
    return path

"""The executive pack from small hand-made frames: figures, workbook sheets and images, HTML."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image

from oneplan.errors import InputError
from oneplan.reports.pack import KPI_COLUMNS, NO_SCENARIOS, NO_TREND, build_pack
from oneplan.reports.page import render_html, write_html
from oneplan.reports.pdf import write_pdf
from oneplan.reports.workbook import write_xlsx

MONTHS = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])
SHEETS = ["Summary", "Families", "Demand vs supply", "Inventory and service", "Capacity"]
SHEETS += ["Bridge", "Issues", "Forecast accuracy", "Changes", "Trend", "Scenarios"]
#: Sheets without a chart (the Bridge has two; no cycle is closed in the small frames).
IMAGES = {"Bridge": 2, "Scenarios": 0, "Forecast accuracy": 0, "Changes": 0, "Trend": 0}
#: The margin bridge of the small frames: budget 145, volume -3, mix +5, price +3, plan 150.
MARGIN_STEPS = ["budget", "volume", "mix", "price", "plan"]
MARGIN_VALUES = [145.0, -3.0, 5.0, 3.0, 150.0]


def comparison() -> pd.DataFrame:
    """KPIs side by side as `compare_scenarios` gives them: indexed by KPI, a column per plan."""
    kpis = pd.DataFrame(
        {
            "base": [91_250.0, 0.9125, 12.0, "PRESS 2027-02", 0.81],
            "second shift": [104_800.0, 0.9871, 0.0, "", 0.64],
            "press down <March>": [97_300.0, 0.8512, 140.0, "PRESS 2027-03", None],
        },
        index=pd.Index(
            [
                "total cost",
                "service level on time",
                "unmet units",
                "top bottleneck",
                "utilisation PRESS",
            ],
            name="kpi",
        ),
    )
    return kpis


def small_frames() -> dict[str, dict[str, pd.DataFrame]]:
    """Two items, three months, one press; a budget for two of the months."""
    consensus = pd.DataFrame(
        {
            "item": ["A", "B"] * 3,
            "location": "P1",
            "period": MONTHS.repeat(2),
            "quantity": [10.0, 5.0, 12.0, 6.0, 14.0, 7.0],
        }
    )
    supply_plan = consensus.rename(columns={"quantity": "demand"}).assign(
        production=[10.0, 5.0, 11.0, 6.0, 12.0, 7.0],
        subcontract=[0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        backlog=[0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        lost_sales=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        end_inventory=[2.0, 1.0, 0.0, 1.0, 0.0, 3.0],
        safety_stock_shortfall=[0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
    )
    capacity = pd.DataFrame(
        {
            "resource": ["PRESS", "PRESS", "PRESS", "OVEN", "OVEN", "OVEN"],
            "period": list(MONTHS) * 2,
            "utilisation": [0.7, 1.0, 1.0, 0.3, 0.4, 0.5],
        }
    )
    lines = supply_plan[["item", "location", "period"]].assign(
        shipped_quantity=[10.0, 5.0, 11.0, 6.0, 14.0, 7.0],
        revenue=[100.0, 80.0, 110.0, 96.0, 140.0, 112.0],
        gross_margin=[40.0, 30.0, 44.0, 36.0, 56.0, 42.0],
    )
    variance = pd.DataFrame(
        {
            "family": ["F", "F"],
            "period": MONTHS[:2],
            "budget_volume": [16.0, 16.0],
            "plan_volume": [15.0, 17.0],
            "budget_revenue": [200.0, 200.0],
            "plan_revenue": [180.0, 206.0],
            "budget_margin": [70.0, 75.0],
            "plan_margin": [70.0, 80.0],
        }
    )
    bridge = pd.DataFrame(
        {
            "step": ["budget", "volume", "mix", "price", "plan"],
            "value": [400.0, -10.0, 6.0, -10.0, 386.0],
            "cumulative": [400.0, 390.0, 396.0, 386.0, 386.0],
        }
    )
    issues = pd.DataFrame(
        {
            "rank": [2, 1],
            "kind": ["capacity_shortfall", "unmet_demand"],
            "subject": ['=HYPERLINK("http://x")', "A at P1"],
            "period": MONTHS[1:3],
            "periods": [2, 1],
            "units": [1.0, 1.0],
            "unit": ["hours", "units"],
            "money": [50.0, 120.0],
            "decision": ["add a shift on <PRESS>", "+expedite A"],
            "cause": ["capacity", "capacity"],
        }
    )
    finance = {
        "lines": lines,
        "budget_variance": variance,
        "revenue_bridge": bridge,
        "margin_bridge": pd.DataFrame(
            {
                "step": MARGIN_STEPS,
                "value": MARGIN_VALUES,
                "cumulative": [*np.cumsum(MARGIN_VALUES[:-1]).tolist(), 150.0],
            }
        ),
        "working_capital": pd.DataFrame({"period": MONTHS, "working_capital": [50.0, 70.0, 60.0]}),
        "cash_flow": pd.DataFrame({"period": MONTHS, "operating_cash_flow": [5.0, -2.0, 9.0]}),
        "issues": issues,
    }
    return {
        "demand": {"consensus": consensus},
        "supply": {"supply_plan": supply_plan, "capacity_plan": capacity},
        "finance": finance,
    }


def test_kpis_equal_the_frames_sums() -> None:
    frames = small_frames()
    pack = build_pack(frames, cycle="2027-01", currency="EUR", versions={"finance": 3})
    kpis = pack.kpis.set_index("measure")
    assert list(pack.kpis.columns) == KPI_COLUMNS
    assert kpis.loc["revenue", "plan"] == 386.0 and kpis.loc["revenue", "budget"] == 400.0
    assert kpis.loc["revenue", "variance"] == -14.0
    assert kpis.loc["revenue", "variance_pct"] == pytest.approx(-14.0 / 400.0)
    assert kpis.loc["gross margin", "plan"] == 150.0 and kpis.loc["gross margin", "budget"] == 145.0
    assert kpis.loc["margin %", "plan"] == pytest.approx(150.0 / 386.0)
    assert kpis.loc["shipped units", "variance"] == 0.0
    assert kpis.loc["revenue, whole plan", "plan"] == frames["finance"]["lines"]["revenue"].sum()
    assert np.isnan(kpis.loc["revenue, whole plan", "budget"])
    assert kpis.loc["working capital at end", "plan"] == 60.0  # the last month, not a sum
    assert kpis.loc["operating cash flow", "plan"] == 12.0
    # 54 units demanded, 1 still owed at the end of February and 1 at the end of March
    assert kpis.loc["on time", "plan"] == pytest.approx(1 - 2 / 54)

    monthly = pack.monthly.set_index("period")
    assert monthly["consensus"].tolist() == [15.0, 18.0, 21.0]
    assert monthly["production"].tolist() == [15.0, 17.0, 20.0]  # production + subcontract
    assert monthly["shipped"].tolist() == [15.0, 17.0, 21.0]
    assert pack.issues["rank"].tolist() == [1, 2]


def test_a_missing_frame_or_column_is_named() -> None:
    frames = small_frames()
    del frames["supply"]["capacity_plan"]
    with pytest.raises(InputError, match="supply plan: has no frame 'capacity_plan'") as error:
        build_pack(frames)
    assert (error.value.table, error.value.column) == ("supply plan", None)
    frames = small_frames()
    frames["finance"]["lines"] = frames["finance"]["lines"].drop(columns="revenue")
    with pytest.raises(InputError, match=r"^finance plan lines, column revenue: is missing") as e:
        build_pack(frames)
    assert (e.value.table, e.value.column) == ("finance plan lines", "revenue")


def test_workbook_has_the_sheets_figures_images_and_inert_text(tmp_path: Path) -> None:
    pack = build_pack(small_frames(), cycle="2027-01", currency="EUR")
    path = write_xlsx(pack, tmp_path / "pack.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    summary = book["Summary"]
    assert summary["A1"].value == "S&OP pack 2027-01"
    assert summary["A3"].value == "What the meeting is asked"
    assert [summary.cell(row=r, column=1).value for r in range(4, 9)] == pack.summary
    assert [summary.cell(row=10, column=c).value for c in range(1, 7)] == KPI_COLUMNS
    assert summary["A11"].value == "revenue"
    assert summary["B11"].value == 386.0 and summary["C11"].value == 400.0
    assert summary["D11"].value == -14.0
    for name in SHEETS:
        images = book[name]._images
        assert len(images) == IMAGES.get(name, 1), name
    png = book["Capacity"]._images[0]._data()
    assert Image.open(io.BytesIO(png)).format == "PNG"
    issues = book["Issues"]
    assert issues["C2"].value == "A at P1"
    formula = issues["C3"]
    assert formula.value == '=HYPERLINK("http://x")' and formula.data_type == "s"
    # no cell anywhere holds a formula
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    capacity = book["Capacity"]
    assert [capacity.cell(row=1, column=c).value for c in range(1, 5)] == [
        "resource",
        "2027-01",
        "2027-02",
        "2027-03",
    ]
    assert capacity["A3"].value == "PRESS" and capacity["C3"].value == 1.0


def test_html_is_self_contained_with_each_section(tmp_path: Path) -> None:
    pack = build_pack(small_frames(), cycle="2027-01", currency="EUR")
    path = write_html(pack, tmp_path / "pack.html")
    page = path.read_text(encoding="utf-8")
    assert page == render_html(pack)
    for section in ("kpis", "issues", "demand-supply", "capacity", "bridge", "margin-bridge"):
        assert f'<section id="{section}">' in page
    # no scenario chart without scenarios
    assert page.count('src="data:image/png;base64,') == 8
    assert "http" not in page.replace('=HYPERLINK("http://x")', "").replace("&quot;http", "")
    assert "add a shift on &lt;PRESS&gt;" in page and "<PRESS>" not in page
    assert "386" in page and "400" in page and "-3.5%" in page
    assert "+3.0 pts" not in page  # margin % moved from 36.25% to 38.86%: +2.6 points
    assert "+2.6 pts" in page


def test_pdf_has_a_page_per_chart_and_prints_any_name(tmp_path: Path) -> None:
    frames = small_frames()
    frames["finance"]["issues"].loc[1, "subject"] = "Größe Ø 12 \u2013 Łódź"  # beyond latin-1
    pack = build_pack(frames, cycle="2027-01", currency="EUR", versions={"finance": 3})
    document = write_pdf(pack, tmp_path / "pack.pdf").read_bytes()
    assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type /Page\b", document))
    assert pages >= 8  # KPIs, issues, a page per remaining chart, the scenarios
    assert document.count(b"/Subtype /Image") == 8
    with_scenarios = build_pack(frames, scenarios=comparison())
    document = write_pdf(with_scenarios, tmp_path / "scenarios.pdf").read_bytes()
    assert document.count(b"/Subtype /Image") == 9


def test_margin_bridge_is_in_the_workbook_and_the_page(tmp_path: Path) -> None:
    pack = build_pack(small_frames(), cycle="2027-01", currency="EUR")
    # the bridge's effects add up from budget to plan, as the page says
    assert sum(MARGIN_VALUES[1:-1]) == MARGIN_VALUES[-1] - MARGIN_VALUES[0]
    assert pack.margin_bridge["value"].tolist() == MARGIN_VALUES
    sheet = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))["Bridge"]
    cells = {
        (row[0].value, row[1].value, row[2].value)
        for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row, max_col=3)
    }
    assert ("revenue bridge", None, None) in cells and ("gross margin bridge", None, None) in cells
    running = [145.0, 142.0, 147.0, 150.0, 150.0]
    for step, value, total in zip(MARGIN_STEPS, MARGIN_VALUES, running, strict=True):
        assert (step, value, total) in cells, step
    assert ("volume", -10.0, 390.0) in cells  # the revenue bridge is still there
    page = render_html(pack)
    section = page.split('<section id="margin-bridge">')[1].split("</section>")[0]
    assert "Gross margin bridge, budget to plan (EUR)" in section
    figures = re.findall(r'<td class="n[^"]*">([^<]*)</td>', section)
    assert figures == ["145", "145", "-3", "142", "+5", "147", "+3", "150", "150", "150"]
    assert '<td class="n bad">-3</td>' in section and '<td class="n good">+5</td>' in section
    assert section.count("data:image/png;base64,") == 1


def test_scenario_page_lists_each_plans_kpis(tmp_path: Path) -> None:
    given = comparison()
    pack = build_pack(small_frames(), cycle="2027-01", currency="EUR", scenarios=given)
    assert pack.scenarios.columns.tolist() == ["kpi", *given.columns]
    sheet = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))["Scenarios"]
    assert [c.value for c in sheet[1]] == ["kpi", *given.columns]
    assert len(sheet._images) == 1
    for row, kpi in enumerate(given.index, start=2):
        assert sheet.cell(row=row, column=1).value == kpi
        for column, plan in enumerate(given.columns, start=2):
            expected = given.loc[kpi, plan]
            written = sheet.cell(row=row, column=column).value
            assert written == (None if expected in (None, "") else expected), (kpi, plan)
    assert sheet.cell(row=3, column=2).number_format == "0.0%"

    page = render_html(pack)
    section = page.split('<section id="scenarios">')[1].split("</section>")[0]
    assert "<th>press down &lt;March&gt;</th>" in section and "<March>" not in section
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", section)
    shown = {kpi: re.findall(r'<td class="n">([^<]*)</td>', cells) for kpi, cells in rows}
    assert shown == {
        "total cost": ["91,250", "104,800", "97,300"],
        "service level on time": ["91.2%", "98.7%", "85.1%"],
        "unmet units": ["12", "0", "140"],
        "top bottleneck": ["PRESS 2027-02", "", "PRESS 2027-03"],
        "utilisation PRESS": ["81.0%", "64.0%", "-"],
    }
    assert section.count("data:image/png;base64,") == 1
    assert page.count("data:image/png;base64,") == 9


def test_without_scenario_runs_the_page_says_so(tmp_path: Path) -> None:
    for scenarios in (None, comparison().iloc[0:0]):
        pack = build_pack(small_frames(), scenarios=scenarios)
        assert "scenarios" not in pack.charts and not len(pack.scenarios)
        page = render_html(pack)
        section = page.split('<section id="scenarios">')[1].split("</section>")[0]
        assert section == f"<h2>Scenarios</h2><p>{NO_SCENARIOS}</p>"
    sheet = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))["Scenarios"]
    assert sheet["A1"].value == NO_SCENARIOS and sheet.max_row == 1


def trend() -> pd.DataFrame:
    """Two closed cycles: cycle time on record, on-time delivery from the plan, WAPE by lag."""
    rows = [
        ("2026-11", "sop_cycle_time", "", None, 23.1, "days", "record"),
        ("2026-12", "sop_cycle_time", "", None, 20.1, "days", "record"),
        ("2026-11", "on_time_delivery", "", None, 0.93, "share", "plan"),
        ("2026-12", "on_time_delivery", "", None, 0.95, "share", "plan"),
        ("2026-11", "forecast_wape", "consensus", 1, 0.25, "share", "actual"),
        ("2026-12", "forecast_wape", "consensus", 1, np.nan, "share", "pending"),
    ]
    frame = pd.DataFrame(rows, columns=["cycle", "kpi", "layer", "lag", "value", "unit", "basis"])
    return frame.assign(lag=frame["lag"].astype("Int64"), note="")


def test_the_trend_page_shows_each_kpi_over_the_closed_cycles(tmp_path: Path) -> None:
    pack = build_pack(small_frames(), cycle="2027-01", currency="EUR", trend=trend())
    assert "trend" in pack.charts
    table = pack.trend_rows
    assert list(table.columns) == ["KPI", "unit", "basis", "2026-11", "2026-12"]
    on_time = table[table["KPI"] == "on-time delivery"].iloc[0]
    assert on_time["basis"] == "plan" and on_time["2026-12"] == pytest.approx(0.95)
    assert table[table["KPI"] == "WAPE, consensus, lag 1"]["2026-12"].isna().all()
    page = render_html(pack)
    section = page.split('<section id="trend">')[1].split("</section>")[0]
    assert "KPIs cycle over cycle" in section and "data:image/png" in section
    assert "93.0%" in section and "23.1" in section
    sheet = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))["Trend"]
    assert sheet["A1"].value == "KPI" and sheet["D1"].value == "2026-11"
    on_time_row = next(r for r in range(2, 5) if sheet.cell(r, 1).value == "on-time delivery")
    assert sheet.cell(on_time_row, 5).number_format == "0.0%"
    assert len(sheet._images) == 1
    document = write_pdf(pack, tmp_path / "pack.pdf").read_bytes()
    assert document.count(b"/Subtype /Image") == 9  # the eight charts and the trend


def test_before_any_closed_cycle_the_trend_page_says_so(tmp_path: Path) -> None:
    pack = build_pack(small_frames())
    assert "trend" not in pack.charts
    assert html.escape(NO_TREND) in render_html(pack)
    sheet = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))["Trend"]
    assert sheet["A1"].value == "KPI"

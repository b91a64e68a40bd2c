"""The pack as people read it: no block of a PDF page on another, figures in their formats,
the first page's summary, the review pages' figures and the HTML's order."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from tests.reports.test_pack import MONTHS, comparison, small_frames

from oneplan.reports import views
from oneplan.reports.pack import ISSUES_SHOWN, build_pack
from oneplan.reports.page import render_html
from oneplan.reports.pdf import MARGIN, layout_pdf
from oneplan.reports.style import short
from oneplan.reports.workbook import write_xlsx

A4_LANDSCAPE = (297.0, 210.0)


def crowded_frames() -> dict[str, dict[str, pd.DataFrame]]:
    """The small frames with 60 issues whose decisions and names run long."""
    frames = small_frames()
    count = 60
    frames["finance"]["issues"] = pd.DataFrame(
        {
            "rank": np.arange(1, count + 1),
            "kind": "below_safety_stock",
            "subject": [f"SPR-{n:04d}@DC-CENTRAL" for n in range(count)],
            "period": MONTHS[0],
            "periods": 1,
            "units": np.linspace(5_000.0, 10.0, count),
            "unit": "units below safety stock",
            "money": np.linspace(700_000.0, 900.0, count),
            "decision": [
                f"build ahead SPR-{n:04d}@DC-CENTRAL before 2028-06 or accept lower service, "
                "after checking the crew plan of the North plant with its supervisor"
                for n in range(count)
            ],
            "cause": "safety stock",
        }
    )
    return frames


def tables(count: int = 60) -> dict[str, pd.DataFrame]:
    items = pd.DataFrame(
        {
            "code": ["A", "B", *(f"SPR-{n:04d}" for n in range(count))],
            "description": [
                "Hose A",
                "Hose B",
                *(f"Impulse sprinkler on spike, model {n}, green" for n in range(count)),
            ],
            "family": ["F", "F", *("G",) * count],
        }
    )
    families = pd.DataFrame({"code": ["F", "G"], "name": ["Hoses", "Sprinklers"]})
    history = pd.DataFrame(
        {
            "item": ["A", "B", "A", "B"],
            "location": "P1",
            "period": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01", "2025-12-01"]),
            "quantity": [8.0, 4.0, 10.0, 99.0],
        }
    )
    return {"items": items, "families": families, "sales_history": history}


def check_layout(boxes: list, pages: int) -> None:
    width, height = A4_LANDSCAPE
    assert {box.page for box in boxes} == set(range(1, pages + 1))  # no empty page
    for box in boxes:
        assert box.x >= MARGIN - 0.01 and box.y >= MARGIN - 0.01, box
        assert box.x + box.width <= width - MARGIN + 0.01, box
        assert box.y + box.height <= height - MARGIN + 0.01, box
    for first, second in itertools.combinations(boxes, 2):
        assert not first.overlaps(second), (first, second)


@pytest.mark.parametrize("crowded", [False, True])
def test_no_block_of_a_pdf_page_lies_on_another(crowded: bool) -> None:
    frames = crowded_frames() if crowded else small_frames()
    pack = build_pack(
        frames,
        cycle="2027-01",
        currency="EUR",
        company="Greenfield Garden & Home GmbH, a company with a long registered name",
        as_of="2026-12-04",
        versions={"demand": 1, "supply": 2, "finance": 3},
        scenarios=comparison() if crowded else None,
        tables=tables(),
    )
    document, boxes = layout_pdf(pack)
    pages = len(re.findall(rb"/Type /Page\b", document))
    check_layout(boxes, pages)
    first = [box for box in boxes if box.page == 1]
    assert {"text", "table", "chart"} <= {box.what for box in first}
    chart = next(box for box in first if box.what == "chart")
    table = next(box for box in first if box.what == "table")
    assert chart.x >= table.x + table.width  # the KPI chart stands beside its table


def test_boxes_that_share_area_overlap() -> None:
    from oneplan.reports.pdf import Box

    table = Box(1, 12.0, 50.0, 150.0, 60.0, "table")
    assert table.overlaps(Box(1, 100.0, 100.0, 100.0, 50.0, "chart"))
    assert not table.overlaps(Box(1, 162.0, 50.0, 100.0, 60.0, "chart"))  # touching
    assert not table.overlaps(Box(2, 100.0, 100.0, 100.0, 50.0, "chart"))  # another page


def test_first_page_names_company_cycle_date_and_five_asks() -> None:
    pack = build_pack(
        crowded_frames(),
        cycle="2027-01",
        currency="EUR",
        company="Greenfield",
        as_of="2026-12-04",
        tables=tables(),
    )
    assert pack.title == "Greenfield - S&OP pack 2027-01"
    assert len(pack.summary) == 5
    assert pack.summary[0].startswith("Approve a plan of EUR 386 revenue")
    assert "-3.5%" in pack.summary[0]
    assert pack.summary[1].startswith("On time 96.3%: 2 units of demand late or lost")
    assert pack.summary[2] == "No earlier released or approved plan to compare with."
    assert pack.summary[3].startswith("Decide: build ahead SPR-0000@DC-CENTRAL")
    assert "Impulse sprinkler on spike, model 0, green, EUR 700.0 k at stake" in pack.summary[3]
    page = render_html(pack)
    assert "<h1>Greenfield - S&amp;OP pack 2027-01</h1>" in page
    assert "S&amp;OP cycle 2027-01, made 2026-12-04" in page
    assert "Plan versions" in page and "version ids" not in page


def test_figures_keep_one_decimal_on_millions_and_thousands() -> None:
    assert short(22_040_000.0) != short(22_940_000.0)
    assert [short(v) for v in (22_040_000.0, 22_940_000.0, 13_600.0)] == [
        "22.0 M",
        "22.9 M",
        "13.6 k",
    ]


def test_a_change_that_rounds_to_nothing_is_plain() -> None:
    from oneplan.reports.tables import cell_text, change_text, tone

    assert change_text(-0.0004, "%") == "0.0 pts" and tone(-0.0004) == ""
    assert cell_text(-0.0001, "change") == "0.0%" and change_text(-0.4, "EUR") == "0"
    assert change_text(-0.0006, "%") == "-0.1 pts" and tone(-0.0006) == "bad"


def test_shares_are_percentages_in_every_format(tmp_path: Path) -> None:
    given = comparison()
    given.loc["margin %"] = [0.386, 0.352, 0.371]
    pack = build_pack(small_frames(), cycle="2027-01", scenarios=given, tables=tables())
    book = openpyxl.load_workbook(write_xlsx(pack, tmp_path / "pack.xlsx"))
    summary = book["Summary"]
    rows = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    margin = rows["margin %"]
    assert summary.cell(row=margin, column=2).number_format == "0.0%"
    assert summary.cell(row=margin, column=3).number_format == "0.0%"
    assert summary.cell(row=margin, column=4).number_format.startswith('+0.0" pts"')
    assert summary.cell(row=rows["revenue"], column=5).number_format.startswith("+0.0%")
    assert summary.cell(row=rows["revenue"], column=4).font.color.rgb.endswith("C0392B")  # red
    scenarios = book["Scenarios"]
    found = {scenarios.cell(row=r, column=1).value: r for r in range(1, scenarios.max_row + 1)}
    assert scenarios.cell(row=found["margin %"], column=2).number_format == "0.0%"
    families = book["Families"]
    assert families.cell(row=2, column=5).number_format == "+0.0%;-0.0%;0.0%"
    page = render_html(pack)
    section = page.split('<section id="scenarios">')[1].split("</section>")[0]
    assert '<td>margin %</td><td class="n">38.6%</td>' in section
    kpis = page.split('<section id="kpis">')[1].split("</section>")[0]
    assert '<td class="n">38.9%</td>' in kpis  # plan margin % 150 / 386
    assert '<td class="n bad">-14</td>' in kpis and '<td class="n bad">-3.5%</td>' in kpis
    assert '<td class="n good">+5</td>' in kpis  # gross margin ahead of budget
    assert not re.search(r"<td>[-+]?[\d,.]+%?</td>", page)  # every figure is right-aligned


def test_html_shows_charts_first_and_folds_at_most_twenty_issues() -> None:
    pack = build_pack(crowded_frames(), cycle="2027-01", tables=tables())
    page = render_html(pack)
    detail = page.index("<details>")
    assert page.count("data:image/png;base64,") == 8
    assert page.index("data:image/png;base64,") < detail
    assert page.index('<section id="asked">') < page.index('<section id="kpis">') < detail
    folded = page[detail : page.index("</details>", detail)]
    assert folded.count("<tr>") == ISSUES_SHOWN + 1  # the heading row and twenty issues
    assert "the workbook lists all 60" in folded
    assert 'Impulse sprinkler on spike, model 0, green (<span class="code">SPR-0000@DC-CENTRAL' in (
        folded
    )
    assert ".code{white-space:nowrap}" in page
    book_rows = pack.issues
    assert len(book_rows) == 60  # the workbook keeps every issue


def test_family_demand_against_budget_and_the_same_months_a_year_before() -> None:
    frames = small_frames()
    pack = build_pack(frames, tables=tables())
    families = pack.families.set_index("family")
    # budget months are January and February 2027: plan 15 + 18, budget 16 + 16
    assert families.loc["F", "plan"] == 33.0 and families.loc["F", "budget"] == 32.0
    # last year: January and February 2026 only (December 2025 is not a budget month a year on)
    assert families.loc["F", "last_year"] == 22.0
    assert families.loc["F", "name"] == "Hoses"
    assert families.loc["F", "vs_budget"] == pytest.approx(1 / 32)
    assert families.loc["F", "vs_last_year"] == pytest.approx(11 / 22)
    assert families.loc["total", "plan"] == 33.0


def test_inventory_and_service_by_month() -> None:
    pack = build_pack(small_frames())
    service = pack.service.set_index("period")
    assert service["on_time"].tolist() == pytest.approx([1.0, 17 / 18, 20 / 21])
    assert service["inventory_units"].tolist() == [3.0, 1.0, 3.0]
    assert service["below_safety_stock"].tolist() == [0, 1, 1]
    assert service.loc[MONTHS[0], "days_of_supply"] == pytest.approx(3.0 / (15.0 / (365.25 / 12)))


def test_forecast_accuracy_by_family_from_the_backtest() -> None:
    backtest = pd.DataFrame(
        {
            "item": ["A", "A", "B", "B"],
            "horizon_step": [1, 2, 1, 2],
            "y": [10.0, 10.0, 20.0, 20.0],
            "forecast": [12.0, 5.0, 18.0, 20.0],
        }
    )
    table = views.forecast_accuracy(backtest, {"A": "F", "B": "G"}, {"F": "Hoses"}).set_index(
        "family"
    )
    assert table.loc["F", "wape_lag1"] == pytest.approx(0.2)
    assert table.loc["F", "bias_lag1"] == pytest.approx(0.2)
    assert table.loc["F", "wape"] == pytest.approx(7 / 20) and table.loc["F", "name"] == "Hoses"
    assert table.loc["total", "wape_lag1"] == pytest.approx(4 / 30)
    assert table.loc["total", "bias"] == pytest.approx(-5 / 60)


def test_changes_since_the_previous_plan() -> None:
    frames = small_frames()
    earlier = {
        "supply": {"supply_plan": frames["supply"]["supply_plan"].assign(backlog=0.0)},
        "finance": {
            "lines": frames["finance"]["lines"].assign(revenue=lambda f: f["revenue"] * 0.5),
            "working_capital": frames["finance"]["working_capital"],
        },
    }
    pack = build_pack(frames, previous=earlier, previous_name="the released plan of 2026-12")
    changes = pack.changes.set_index("measure")
    assert changes.loc["revenue, whole plan", "change"] == pytest.approx(638.0 / 2)
    assert changes.loc["on time", "previous"] == 1.0
    assert changes.loc["on time", "change"] == pytest.approx(-2 / 54)
    assert pack.summary[2].startswith("Since the released plan of 2026-12: revenue +319")
    assert "on time -3.7 pts" in pack.summary[2]
    page = render_html(pack)
    section = page.split('<section id="changes">')[1].split("</section>")[0]
    assert (
        '<td class="n good">+319</td>' in section and '<td class="n bad">-3.7 pts</td>' in section
    )

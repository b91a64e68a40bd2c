"""The finance page over a valued plan: the months and the bridges, and a decision recorded on
an issue of the meeting list that joins the cycle's agenda."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from nicegui import ui
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.cycle.service import open_cycle
from oneplan.services.finance.service import finance_run
from oneplan.services.permissions import Role

pytestmark = pytest.mark.anyio


@pytest.fixture
def valued(planned: tuple[sa.Engine, pd.DataFrame]) -> sa.Engine:
    """The planned demo valued in money, with the cycle 2027-01 open."""
    engine, _ = planned
    run_phased(engine, finance_run(ADMIN))
    with unit_of_work(engine) as session:
        open_cycle(session, ADMIN, "2027-01")
    return engine


async def test_finance_shows_the_months_and_the_bridges(web: Browsers, valued: sa.Engine) -> None:
    controller = web.person("fin", Role.finance)
    await controller.open("/finance")
    await controller.should_see(marker="revenue")
    [grid] = controller.find(marker="grid-financial_plan_by_month").elements
    assert isinstance(grid, ui.aggrid)
    headings = [c["headerName"] for c in grid.options["columnDefs"]]
    assert headings[1:4] == ["2027-01", "2027-02", "2027-03"]
    measures = [row["measure"] for row in grid.options["rowData"]]
    assert measures[:4] == ["Revenue", "Cost of goods", "Gross margin", "Gross margin %"]
    [bridge] = controller.find(marker="revenue-bridge").elements
    assert isinstance(bridge, ui.echart)
    assert bridge.options["xAxis"]["data"][0] == "Budget"
    assert bridge.options["xAxis"]["data"][-1] == "Plan"
    base = bridge.options["series"][0]
    assert base["itemStyle"]["color"] == "transparent"  # the waterfall's invisible base
    await controller.should_see(marker="margin-bridge")
    await controller.should_see(marker="grid-three_years_by_year")
    await controller.open("/finance?grain=quarter")
    await controller.should_see(marker="grid-financial_plan_by_quarter")


async def test_a_decision_on_an_issue_appears_on_the_cycles_agenda(
    web: Browsers, valued: sa.Engine
) -> None:
    controller = web.person("fin", Role.finance)
    await controller.open("/finance")
    await controller.should_see(marker="issues")
    controller.find(marker="decide-1").click()
    await controller.should_see(marker="decision-text")
    controller.find(marker="decision-text").clear().type("Run the spring promotion for hoses")
    controller.find(marker="decision-save").click()
    await controller.should_see("on the 2027-01 agenda")
    await controller.should_see(marker="decided-1")
    await controller.open("/cycle")
    await controller.should_see("Run the spring promotion for hoses")


async def test_a_viewer_reads_the_issues_but_decides_nothing(
    web: Browsers, valued: sa.Engine
) -> None:
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/finance")
    await viewer.should_see(marker="issues")
    await viewer.should_not_see(marker="decide-1")

"""The supply page over a planned database: the capacity heatmap, the binding limits in words,
and re-planning as a job followed on the page."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.testing.user import User
from tests.web.conftest import ADMIN, Browsers

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Role
from oneplan.services.supply.overview import supply_overview
from oneplan.worker import Worker

pytestmark = pytest.mark.anyio


def _engine(planned: tuple[sa.Engine, pd.DataFrame]) -> sa.Engine:
    return planned[0]


def open_tab(user: User, name: str) -> None:
    """Show the tab ``name``, as a click on it does: the page draws a tab when first shown."""
    for tabs in user.find(kind=ui.tabs).elements:
        tabs.value = name


async def test_the_supply_page_shows_the_heatmap_and_what_a_limit_is_worth(
    web: Browsers, planned: tuple[sa.Engine, pd.DataFrame]
) -> None:
    with unit_of_work(_engine(planned)) as session:
        view = supply_overview(session, ADMIN)
    planner = web.person("sam", Role.supply_planner)
    await planner.open(f"/supply?version={view.version.id}")
    await planner.should_see(marker="balance-chart")
    open_tab(planner, "Capacity")
    await planner.should_see(marker="capacity-heatmap")
    [chart] = planner.find(marker="capacity-heatmap").elements
    assert isinstance(chart, ui.echart)
    [series] = chart.options["series"]
    assert series["type"] == "heatmap" and len(series["data"]) == len(view.utilisation)
    assert set(chart.options["yAxis"]["data"]) == set(view.utilisation["resource"])
    open_tab(planner, "Binding limits")
    with planner.scope(marker="binding-words"):
        await planner.should_see(str(view.strongest["words"].iloc[0]))
    await planner.should_see(marker="balance-chart")
    await planner.should_see(marker="grid-supply_plan_by_month")
    open_tab(planner, "Unmet demand")
    await planner.should_see(marker="unmet")


async def test_a_re_plan_is_a_job_whose_progress_the_page_follows(
    web: Browsers, planned: tuple[sa.Engine, pd.DataFrame]
) -> None:
    engine = _engine(planned)
    planner = web.person("sam", Role.supply_planner)
    await planner.open("/supply")
    planner.find(marker="replan").click()
    await planner.should_see("Supply run queued as job")
    await planner.should_see(marker="replan-progress")
    await planner.should_see("waiting for a worker")
    worker = Worker(engine, Settings(database_url="sqlite://", user="tester"))
    ran = await asyncio.to_thread(worker.run_once)
    assert ran is not None and ran[1] is JobState.succeeded
    await planner.should_see(marker="replan-open", retries=60)
    # the same inputs: the run finds its plan stored and says so
    await planner.should_see("Nothing changed in the inputs")


async def test_a_viewer_sees_the_plan_but_cannot_re_plan(
    web: Browsers, planned: tuple[sa.Engine, pd.DataFrame]
) -> None:
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/supply")
    open_tab(viewer, "Capacity")
    await viewer.should_see(marker="capacity-heatmap")
    await viewer.should_not_see(marker="replan")
    await viewer.should_not_see(marker="replan-card")


async def test_without_a_plan_the_page_says_what_to_do(web: Browsers) -> None:
    planner = web.person("sam", Role.supply_planner)
    await planner.open("/supply")
    await planner.should_see("No supply plan to show")
    await planner.should_see(marker="replan")

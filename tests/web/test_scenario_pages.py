"""The scenarios page: a scenario made from the typed form, an edit made on a scenario someone
changed meanwhile, a scenario compared with the base plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from nicegui.testing.user import User
from tests.web.conftest import Browsers

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Role
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import create_scenario, scenario_run, show_scenario
from oneplan.worker import Worker

pytestmark = pytest.mark.anyio
TESTER = Actor.administrator("tester")
SETTINGS = Settings(database_url="sqlite://", user="tester")
#: Tries of 0.1 s for what a page shows after an action: it reloads through the services first.
RETRIES = 50
HOSES_UP = Assumption(
    kind="demand_change", target_level="family", target="HOS", value=10.0, unit="percent"
)


def choose(user: User, marker: str, value: Any) -> None:
    """Set a field of the page as a person picking or typing it would."""
    for element in user.find(marker=marker).elements:
        element.value = value


def scenario(engine: sa.Engine, name: str) -> Any:
    with unit_of_work(engine, write=False) as session:
        return show_scenario(session, TESTER, name)


async def test_a_scenario_is_made_from_the_form_with_two_assumptions(
    web: Browsers, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/scenarios")
    await planner.should_see("No scenario yet", retries=RETRIES)
    choose(planner, "new-name", "Hoses up, press down")
    choose(planner, "new-kind", "demand_change")
    choose(planner, "new-level", "family")
    choose(planner, "new-target", "HOS")
    choose(planner, "new-from", "2027-05")
    choose(planner, "new-value", 10)
    choose(planner, "new-note", "retail promotion")
    planner.find(marker="add-pending").click()
    await planner.should_see(
        "1. Demand change: family HOS, 2027-05 to the end, +10 %", retries=RETRIES
    )
    choose(planner, "new-kind", "capacity_change")  # the level and unit follow the kind
    choose(planner, "new-target", "INJ-N1")
    choose(planner, "new-from", "2027-03")
    choose(planner, "new-to", "2027-03")
    choose(planner, "new-value", -100)
    planner.find(marker="add-pending").click()
    await planner.should_see(
        "2. Capacity change: resource INJ-N1, 2027-03, -100 %", retries=RETRIES
    )
    planner.find(marker="create-scenario").click()
    await planner.should_see(
        "Scenario Hoses up, press down created with 2 assumption(s)", retries=RETRIES
    )
    await planner.should_see("not run yet", retries=RETRIES)
    made = scenario(engine, "Hoses up, press down").assumptions
    assert made[["kind", "target_level", "target", "value", "unit"]].values.tolist() == [
        ["demand_change", "family", "HOS", 10.0, "percent"],
        ["capacity_change", "resource", "INJ-N1", -100.0, "percent"],
    ]
    assert made["period_from"].tolist() == [date(2027, 5, 1), date(2027, 3, 1)]
    assert made["note"].tolist() == ["retail promotion", ""]


async def test_a_stale_assumption_edit_is_refused_and_shows_the_current(
    web: Browsers, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        create_scenario(session, TESTER, "Hoses up", assumptions=[HOSES_UP])
    first, second = web.person("dana", Role.demand_planner), web.person("sam", Role.supply_planner)
    await first.open("/scenarios?name=Hoses up")
    await second.open("/scenarios?name=Hoses up")
    await second.should_see("+10 %", retries=RETRIES)
    first.find(marker="edit-1").click()
    choose(first, "edit-value", 20)
    first.find(marker="edit-save").click()
    await first.should_see("Assumption 1 of Hoses up changed", retries=RETRIES)
    second.find(marker="edit-1").click()
    choose(second, "edit-value", 30)
    second.find(marker="edit-save").click()
    await second.should_see("Someone changed this meanwhile", retries=RETRIES)
    await second.should_see("+20 %", retries=RETRIES)  # the page now shows the scenario as it is
    assert scenario(engine, "Hoses up").assumptions["value"].tolist() == [20.0]


async def test_compare_shows_the_base_and_the_scenario(
    web: Browsers, planned: Any, actor: Actor
) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        create_scenario(session, actor, "Hoses up", assumptions=[HOSES_UP])
    run = run_phased(engine, scenario_run(actor, "Hoses up"))
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/scenarios?name=Hoses up&compare=Hoses up")
    await viewer.should_see("Plan versions compared: base #", retries=200)  # valued meanwhile
    await viewer.should_see(f"Hoses up #{run.version_id}", retries=RETRIES)
    await viewer.should_not_see(marker="run-scenario")  # a viewer reads, runs nothing
    grid = next(iter(viewer.find(marker="grid-scenario-kpis").elements))
    rows = {row["kpi"]: row for row in grid.options["rowData"]}
    assert {"base", "Hoses up", "Hoses up vs base"} <= set(rows["revenue"])
    assert rows["revenue"]["Hoses up"] > rows["revenue"]["base"]  # more hoses sold
    change = rows["revenue"]["Hoses up"] - rows["revenue"]["base"]
    assert rows["revenue"]["Hoses up vs base"] == pytest.approx(change)
    summary = next(iter(viewer.find(marker="diff-summary-Hoses up").elements))
    assert "changed" in summary.text


async def test_a_run_is_a_job_followed_by_its_progress_bar(
    web: Browsers, planned: Any, actor: Actor
) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        create_scenario(session, actor, "Hoses up", assumptions=[HOSES_UP])
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/scenarios?name=Hoses up")
    await planner.should_see("not run yet", retries=RETRIES)
    planner.find(marker="run-scenario").click()
    await planner.should_see("Scenario Hoses up is queued as job #1", retries=RETRIES)
    await planner.should_see("queued", retries=RETRIES)
    # the server's in-process worker takes the job; here the test is the worker
    assert Worker(engine, SETTINGS).run_once() == (1, JobState.succeeded)
    await planner.should_see("Scenario Hoses up has run", retries=50)  # the next poll
    await planner.should_see("Runs, newest first", retries=RETRIES)
    assert scenario(engine, "Hoses up").runs
    planner.find(marker="edit-1").click()  # a change after the run: the run no longer shows it
    choose(planner, "edit-value", 12)
    planner.find(marker="edit-save").click()
    await planner.should_see("changed since its run", retries=RETRIES)


async def test_a_branch_shows_its_parents_assumptions_and_changes_only_its_own(
    web: Browsers, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        create_scenario(session, TESTER, "Hoses up", assumptions=[HOSES_UP])
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/scenarios?name=Hoses up")
    planner.find(marker="branch-scenario").click()
    choose(planner, "branch-name", "Hoses up more")
    planner.find(marker="branch-save").click()
    await planner.should_see("Scenario Hoses up more branches from Hoses up", retries=RETRIES)
    await planner.should_not_see(marker="edit-1")  # the parent's: changed in the parent
    planner.find(marker="add-assumption").click()
    choose(planner, "add-level", "family")
    choose(planner, "add-target", "HOS")
    choose(planner, "add-value", 5)
    planner.find(marker="add-assumption-save").click()
    await planner.should_see("Assumption added to Hoses up more", retries=RETRIES)
    planner.find(marker="remove-2").click()
    await planner.should_see("Assumption 2 removed from Hoses up more", retries=RETRIES)
    assert scenario(engine, "Hoses up more").assumptions["scenario"].tolist() == ["Hoses up"]
    assert scenario(engine, "Hoses up").version == 1

"""The executive page: the plan put forward is approved by an executive, never by the one who
put it forward, and a viewer sees it without a sign-off."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.cycle.moves import approve_step, submit_step
from oneplan.services.cycle.service import cycle_status, open_cycle
from oneplan.services.permissions import Role
from oneplan.services.versions.store import save_version

pytestmark = pytest.mark.anyio
MONTH = "2027-03"
SUBMITTER = Actor.administrator("sam")
#: Tries of 0.1 s for what a page shows after an action: it reloads through the services first.
RETRIES = 50


def _put_forward(engine: sa.Engine) -> int:
    """A cycle walked up to its executive meeting, submitted by sam with a supply plan (before
    the database has users, so one person may sign the earlier steps off)."""
    with unit_of_work(engine) as session:
        open_cycle(session, ADMIN, MONTH)
        plan = save_version(
            session,
            ADMIN,
            cycle=MONTH,
            kind="supply",
            name=f"Supply plan {MONTH}",
            frames={"supply_plan": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash="-",
        ).id
    for step in ("gather_data", "demand_review", "supply_review", "pre_sop"):
        with unit_of_work(engine) as session:
            submit_step(session, ADMIN, step, month=MONTH)
            approve_step(session, ADMIN, step, month=MONTH)
    with unit_of_work(engine) as session:
        submit_step(session, SUBMITTER, "executive_meeting", month=MONTH, plan_version_id=plan)
    return plan


def _meeting_state(engine: sa.Engine, plan: int) -> tuple[str, str]:
    with unit_of_work(engine, write=False) as session:
        steps = cycle_status(session, ADMIN, MONTH).steps
        step = next(s for s in steps if s.name == "executive_meeting")
        return step.state, session.get_one(PlanVersion, plan).state


async def test_an_executive_approves_the_plan_put_forward(web: Browsers, engine: sa.Engine) -> None:
    plan = _put_forward(engine)
    executive = web.person("eve", Role.executive)
    await executive.open("/executive")
    await executive.should_see(
        "No plan to show yet", retries=RETRIES
    )  # no financial plan in this database
    await executive.should_see(f"Plan put forward: #{plan} Supply plan {MONTH}", retries=RETRIES)
    await executive.should_see("Submitted by sam", retries=RETRIES)
    executive.find(marker="approve-plan").click()
    await executive.should_see("The plan is approved", retries=RETRIES)
    await executive.should_see("Approved by eve", retries=RETRIES)
    await executive.should_not_see(marker="approve-plan")
    assert _meeting_state(engine, plan) == ("approved", "approved")


async def test_who_put_the_plan_forward_cannot_approve_it(web: Browsers, engine: sa.Engine) -> None:
    plan = _put_forward(engine)
    submitter = web.person("sam", Role.admin)
    await submitter.open("/executive")
    await submitter.should_see("You put this plan forward", retries=RETRIES)
    await submitter.should_not_see(marker="approve-plan")
    assert _meeting_state(engine, plan) == ("submitted", "proposed")


async def test_a_viewer_sees_the_plan_but_cannot_approve_it(
    web: Browsers, engine: sa.Engine
) -> None:
    plan = _put_forward(engine)
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/executive")
    await viewer.should_see(f"Plan put forward: #{plan}", retries=RETRIES)
    await viewer.should_see("Only an executive approves", retries=RETRIES)
    await viewer.should_not_see(marker="approve-plan")
    await viewer.should_not_see(marker="make-pack")
    assert _meeting_state(engine, plan) == ("submitted", "proposed")

"""The home and cycle pages: who sees which steps, and the sign-offs they may make."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.session import unit_of_work
from oneplan.services.cycle.service import open_cycle
from oneplan.services.permissions import Role

pytestmark = pytest.mark.anyio


def _open(engine: sa.Engine) -> str:
    with unit_of_work(engine) as session:
        return open_cycle(session, ADMIN, "2027-03").cycle.month


async def test_a_visitor_not_logged_in_is_sent_to_the_log_in_form(web: Browsers) -> None:
    answer = await web.stranger().http_client.get("/cycle?month=2027-03")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/login?next=/cycle?month=2027-03"


async def test_home_lists_my_steps_and_what_waits_for_my_approval(
    web: Browsers, engine: sa.Engine
) -> None:
    _open(engine)
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/")
    await planner.should_see("S&OP cycle 2027-03")
    with planner.scope(marker="my-steps"):
        await planner.should_see("Demand review")
        await planner.should_not_see("Supply review")
    await planner.should_see("Nothing waits for you.")


async def test_a_step_is_submitted_and_approved_by_someone_else(
    web: Browsers, engine: sa.Engine
) -> None:
    _open(engine)
    admin = web.person("ada", Role.admin)
    await admin.open("/cycle")
    await admin.should_see("Gather data")
    admin.find(marker="submit-gather_data").click()
    await admin.should_see("Gather data: submitted")
    await admin.should_not_see(marker="approve-gather_data")  # four eyes: not one's own
    other = web.person("bert", Role.admin)
    await other.open("/cycle")
    other.find(marker="approve-gather_data").click()
    await other.should_see("Gather data: approved")


async def test_a_stale_approval_shows_the_step_as_it_is_now(
    web: Browsers, engine: sa.Engine
) -> None:
    _open(engine)
    submitter, first, second = (web.person(n, Role.admin) for n in ("ada", "bert", "cleo"))
    await submitter.open("/cycle")
    submitter.find(marker="submit-gather_data").click()
    await submitter.should_see("Gather data: submitted")
    await first.open("/cycle")
    await second.open("/cycle")
    first.find(marker="approve-gather_data").click()
    await first.should_see("Gather data: approved")
    second.find(marker="approve-gather_data").click()
    await second.should_see("Someone changed this meanwhile")
    await second.should_not_see(marker="approve-gather_data")


async def test_a_viewer_sees_the_cycle_but_no_sign_off(web: Browsers, engine: sa.Engine) -> None:
    _open(engine)
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/cycle")
    await viewer.should_see("Gather data")
    await viewer.should_not_see(marker="submit-gather_data")


async def test_home_measures_the_kpis_after_it_is_shown_and_only_for_the_whole_company(
    web: Browsers, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)  # a grant's family must exist
    _open(engine)
    executive = web.person("eve", Role.executive)
    await executive.open("/")
    await executive.should_see("No cycle is closed yet", retries=50)
    sales = web.person("saul", Role.sales, families=frozenset({"HOS"}))
    await sales.open("/")
    await sales.should_see(marker="inbox")
    await sales.should_not_see(marker="kpis", retries=20)


async def test_a_comment_on_a_step_mentions_a_colleague_who_finds_it_in_the_inbox(
    web: Browsers, engine: sa.Engine
) -> None:
    _open(engine)
    ada, bert = web.person("ada", Role.admin), web.person("bert", Role.demand_planner)
    await ada.open("/cycle")
    box = "comment-box-cycle_step-2027-03/gather_data"
    await ada.should_see(marker=box, retries=50)
    ada.find(marker=box).type("@bert the stock file is late")
    ada.find(marker="comment-send-cycle_step-2027-03/gather_data").click()
    await ada.should_see("Gather data (1)", retries=50)
    await bert.open("/")
    with bert.scope(marker="inbox"):
        await bert.should_see("Inbox (1 unread)")

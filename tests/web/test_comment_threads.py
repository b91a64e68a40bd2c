"""Comments in the pages: a controller comments on an issue of the meeting list and mentions a
planner, who finds it in the inbox on their home page and follows its link."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.cycle.service import open_cycle
from oneplan.services.finance.service import finance_run
from oneplan.services.permissions import Role

pytestmark = pytest.mark.anyio


@pytest.fixture
def valued(planned: tuple[sa.Engine, pd.DataFrame]) -> sa.Engine:
    engine, _ = planned
    run_phased(engine, finance_run(ADMIN))
    with unit_of_work(engine) as session:
        open_cycle(session, ADMIN, "2027-01")
    return engine


async def test_a_mention_on_an_issue_reaches_the_inbox(web: Browsers, valued: sa.Engine) -> None:
    planner = web.person("dora", Role.demand_planner)
    controller = web.person("fin", Role.finance)
    await controller.open("/finance")
    controller.find(marker="comment-box-issue-2027-01/1").type("@dora is the hose price real?")
    controller.find(marker="comment-send-issue-2027-01/1").click()
    await controller.should_see("Discussion (1)", retries=50)

    await planner.open("/")
    with planner.scope(marker="inbox"):
        await planner.should_see("Inbox (1 unread)")
        await planner.should_see("fin")


async def test_a_mention_of_someone_unknown_is_refused_in_words(
    web: Browsers, valued: sa.Engine
) -> None:
    controller = web.person("fin", Role.finance)
    await controller.open("/finance")
    controller.find(marker="comment-box-issue-2027-01/1").type("@nobody look")
    controller.find(marker="comment-send-issue-2027-01/1").click()
    await controller.should_see("@nobody is not a user of this database", retries=50)
    await controller.should_see("Discussion (0)")

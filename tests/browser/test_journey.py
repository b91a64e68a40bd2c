"""The S&OP month in a real browser: each role does its part under its own name.

One test walks the month in order (each step builds on the one before), taking the pictures of
docs/screenshots on the way: a sales manager overrides his family, the demand planner sees the
consensus change and submits, the supply planner re-plans and sees the bottleneck, finance runs
a scenario, the executive compares and approves, and a viewer is refused an edit.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import Person, Site

pytestmark = pytest.mark.slow
#: A run (re-plan, scenario) is a job of the server's own worker: allow it its time.
RUN = 180_000


def sign_off(person: Person, verb: str, step: str) -> None:
    """``verb`` (Submit, Approve) the ``step`` on the cycle page, and see it done."""
    page = person.go("/cycle")
    page.get_by_test_id(f"actions-{step}").get_by_role("button", name=verb).click()
    done = "submitted" if verb == "Submit" else "approved"
    expect(page.get_by_text(re.compile(rf": {done}$"))).to_be_visible()


def consensus_row(page: Page) -> int:
    """The row index of the consensus in the demand grid (override rows come before it)."""
    labels = page.locator(
        ".ag-pinned-left-cols-container .ag-row, .ag-center-cols-container .ag-row"
    ).filter(has_text=re.compile(r"^Consensus$"))
    index = labels.first.get_attribute("row-index")
    assert index is not None
    return int(index)


def type_in_consensus(page: Page, month: str, typed: str, reason: str) -> None:
    row = page.locator(f'.ag-center-cols-container .ag-row[row-index="{consensus_row(page)}"]')
    row.locator(f'[col-id="{month}"]').dblclick()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    page.get_by_test_id("override-reason").fill(reason)
    page.get_by_test_id("save-override").click()


def test_the_month_in_the_browser(site: Site, people: dict[str, Person]) -> None:
    saul, dora, suki = people["saul"], people["dora"], people["suki"]
    finn, eve, vic = people["finn"], people["eve"], people["vic"]

    # the demand planner's home names the steps she owns
    page = dora.go("/")
    expect(page.get_by_test_id("my-steps")).to_contain_text("Gather data")
    dora.shoot("home")
    sign_off(dora, "Submit", "gather_data")
    sign_off(suki, "Approve", "gather_data")

    # the sales manager for hoses raises March by 10 %, with his reason
    page = saul.go("/demand?level=family&node=HOS")
    expect(page.get_by_test_id("grid-plan")).to_contain_text("Consensus")
    type_in_consensus(page, "2027-03", "+10%", "retail promotion in March")
    expect(page.get_by_text(re.compile(r"override #\d+ by saul"))).to_be_visible()
    saul.shoot("demand")

    # the demand planner sees his layer in the plan, builds the demand plan with it (a job),
    # and submits the demand review
    page = dora.go("/demand?level=family&node=HOS")
    expect(page.get_by_test_id("grid-plan")).to_contain_text("Override by saul")
    page.get_by_test_id("replan-button").click()
    expect(page.get_by_test_id("replan-open")).to_contain_text("new demand plan", timeout=RUN)
    sign_off(dora, "Submit", "demand_review")
    sign_off(eve, "Approve", "demand_review")

    # the supply planner re-plans (a job; the page stays usable) and reads the bottleneck
    page = suki.go("/supply")
    page.get_by_test_id("replan-button").click()
    expect(page.get_by_test_id("replan-open")).to_contain_text("new supply plan", timeout=RUN)
    page.get_by_test_id("replan-open").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("tab", name=re.compile("binding", re.I)).click()
    expect(page.get_by_test_id("binding-words").first).to_contain_text("worth")
    suki.shoot("supply")
    sign_off(suki, "Submit", "supply_review")
    sign_off(eve, "Approve", "supply_review")

    # finance values the plan and asks what 5 % more hoses would do: a scenario, run as a job
    page = finn.go("/finance")
    expect(page.get_by_test_id("page-ready")).to_be_attached()
    finn.shoot("finance")
    page = finn.go("/scenarios")
    page.get_by_text("New scenario").click()
    page.get_by_test_id("new-name").fill("Hoses up 5%")
    page.get_by_test_id("new-level").click()
    page.get_by_role("option", name="family", exact=True).click()
    page.get_by_test_id("new-target").click()
    page.get_by_role("option", name="HOS").first.click()
    page.get_by_test_id("new-value").fill("5")
    page.get_by_test_id("add-pending").click()
    expect(page.get_by_text("1. Demand change: family HOS")).to_be_visible()
    page.get_by_test_id("create-scenario").click()
    expect(page.get_by_text("created with 1 assumption")).to_be_visible()
    page.get_by_test_id("run-scenario").click()
    expect(page.get_by_text(re.compile(r"^version #\d+ · .* · optimal"))).to_be_visible(timeout=RUN)
    finn.shoot("scenarios")
    sign_off(finn, "Submit", "pre_sop")
    sign_off(eve, "Approve", "pre_sop")
    sign_off(suki, "Submit", "executive_meeting")

    # a viewer reads the plan but may change nothing
    page = vic.go("/demand?level=family&node=HOS")
    expect(page.get_by_text("Read only")).to_be_visible()
    page = vic.go("/cycle")
    expect(page.get_by_test_id("steps")).to_contain_text("Executive meeting")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    # the executive compares the scenario with the base and approves the plan put forward
    page = eve.go("/executive")
    expect(page.get_by_test_id("headline")).to_be_visible()
    expect(page.get_by_text("Hoses up 5%").first).to_be_visible()
    eve.shoot("executive")
    page.get_by_test_id("approve-plan").click()
    expect(page.get_by_text(re.compile("approved", re.I)).first).to_be_visible()
    page = eve.go("/cycle")
    expect(page.get_by_test_id("steps")).to_be_visible()
    eve.shoot("cycle")
    # the admin's pages: the data, the audit trail of the month, the users
    ada = people["ada"]
    for path, picture in (("/data", "data"), ("/audit", "audit"), ("/admin", "admin")):
        page = ada.go(path)
        expect(page.get_by_test_id("page-ready")).to_be_attached()
        ada.shoot(picture)
    page = ada.go("/audit")
    expect(page.get_by_text("cycle.step.approve").first).to_be_visible()

    assert states(site) == {
        "gather_data": "approved",
        "demand_review": "approved",
        "supply_review": "approved",
        "pre_sop": "approved",
        "executive_meeting": "approved",
        "release": "in_progress",
    }
    overrides = stored_overrides(site)
    assert overrides == [("saul", "family", "HOS", "retail promotion in March")]


def states(site: Site) -> dict[str, str]:
    """Each step's state as the database holds it after the journey."""
    from oneplan.config import Settings
    from oneplan.db.session import create_db_engine, unit_of_work
    from oneplan.services.actor import Actor
    from oneplan.services.cycle.service import cycle_status

    url = site.env["ONEPLAN_DATABASE_URL"]
    engine = create_db_engine(url, Settings(database_url=url))
    with unit_of_work(engine, write=False) as session:
        cycle = cycle_status(session, Actor.administrator("ada"))
    engine.dispose()
    return {str(step.name): str(step.state) for step in cycle.steps}


def stored_overrides(site: Site) -> list[tuple[str, str, str, str]]:
    import sqlalchemy as sa

    engine = sa.create_engine(site.env["ONEPLAN_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select author, level, member, reason from demand_overrides where author = 'saul'"
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]

"""The S&OP month in a real browser: each role does its part under its own name.

One test walks the whole journey in order (each step builds on the one before), taking the
screenshots of docs/screenshots on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.browser.conftest import Person, Site

pytestmark = pytest.mark.slow


def _sign_off(person: Person, verb: str, step: str) -> None:
    page = person.go("/cycle")
    page.get_by_test_id(f"actions-{step}").get_by_role("button", name=verb).click()
    expect(page.get_by_text(re.compile(rf"{verb}", re.I)).first).to_be_visible()


def test_the_month_in_the_browser(site: Site, people: dict[str, Person]) -> None:
    ada, dora, vic = people["ada"], people["dora"], people["vic"]

    # the demand planner's home names the steps she owns
    page = dora.go("/")
    expect(page.get_by_test_id("my-steps")).to_contain_text("Gather data")
    dora.shoot("home")

    # data gathered: the planner submits, the admin approves (never one's own submission)
    page = dora.go("/cycle")
    page.get_by_test_id("actions-gather_data").get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Gather data: submitted")).to_be_visible()
    expect(page.get_by_test_id("actions-gather_data").get_by_role("button")).to_have_count(0)
    dora.shoot("cycle")

    # a viewer sees the cycle but may sign nothing off
    page = vic.go("/cycle")
    expect(page.get_by_test_id("steps")).to_contain_text("Gather data")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    page = ada.go("/cycle")
    page.get_by_test_id("actions-gather_data").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Gather data: approved")).to_be_visible()

"""The Audit page: a search finds an event, its detail shows before and after; the chain's
check is shown to administrators only."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nicegui.testing.user import User
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.permissions import Role

pytestmark = pytest.mark.anyio


def _trail(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        record(
            session,
            Actor.administrator("bert"),
            "plan.approve",
            "plan_version",
            4,
            {"from": "proposed", "to": "approved", "note": "volumes agreed with sales"},
        )
        for n in range(60):
            record(session, ADMIN, "demand.override", "override", n, {"family": f"F{n}"})


def _rows(user: User, marker: str) -> list[dict[str, Any]]:
    (grid,) = user.find(marker=marker).elements
    rows: list[dict[str, Any]] = grid.props["options"]["rowData"]
    return rows


async def test_a_search_finds_an_event_and_shows_what_it_changed(
    web: Browsers, engine: sa.Engine
) -> None:
    viewer = web.person("vic", Role.viewer)
    _trail(engine)
    await viewer.open("/audit?subject_type=override")
    await viewer.should_see("60 events match; 1 to 50 shown, newest first (page 1 of 2)")
    viewer.find(marker="audit-subject_type").clear()
    viewer.find(marker="audit-text").type("agreed with SALES")
    viewer.find(marker="audit-search").click()
    await viewer.should_see("1 event matches")
    (row,) = _rows(viewer, "grid-audit")
    assert (row["actor"], row["action"], row["subject"]) == (
        "bert",
        "plan.approve",
        "plan_version 4",
    )
    viewer.find(marker="grid-audit").trigger("rowClicked", {"data": {"event": row["event"]}})
    await viewer.should_see(marker="audit-detail")
    changed = {
        r["field"]: (r["before"], r["after"]) for r in _rows(viewer, f"grid-event-{row['event']}")
    }
    assert changed["state"] == ("proposed", "approved")
    await viewer.should_not_see(marker="audit-verify")  # the chain is for administrators


async def test_a_search_is_a_link_and_pages_on(web: Browsers, engine: sa.Engine) -> None:
    admin = web.person("ada", Role.admin)
    _trail(engine)
    await admin.open("/audit?action=demand.&page=2")
    await admin.should_see("60 events match; 51 to 60 shown, newest first (page 2 of 2)")
    admin.find(marker="audit-verify").click()
    await admin.should_see("The chain holds", retries=50)

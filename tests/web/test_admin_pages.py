"""The Admin page: an administrator creates a user with a scoped grant and gives and takes
roles; tokens are shown once; a person who does not manage users is refused in words."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.web.conftest import ADMIN, Browsers

from oneplan.db.session import unit_of_work
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import grant, show_user

pytestmark = pytest.mark.anyio


def _with_families(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO families (code, name, category, created_at, created_by, updated_at,"
                " updated_by)"
                " VALUES ('HOS', 'Hoses', 'Garden', CURRENT_TIMESTAMP, 't', CURRENT_TIMESTAMP, 't')"
            )
        )


async def test_an_administrator_creates_a_user_with_a_scoped_grant(
    web: Browsers, engine: sa.Engine
) -> None:
    _with_families(engine)
    admin = web.person("ada", Role.admin)
    await admin.open("/admin")
    admin.find(marker="new-user").click()
    admin.find(marker="new-name").type("hal")
    admin.find(marker="new-password").type("a long enough password")
    (role,) = admin.find(marker="new-role").elements
    role.value = "sales"
    (families,) = admin.find(marker="new-families").elements
    families.value = ["HOS"]
    admin.find(marker="create-user").click()
    await admin.should_see("User hal created", retries=100)  # hashing takes time
    with unit_of_work(engine, write=False) as session:
        hal = show_user(session, ADMIN, "hal")
    assert [(g.role, g.families, g.locations) for g in hal.grants] == [(Role.sales, ["HOS"], [])]
    await admin.should_see("sales for families HOS", retries=50)
    await admin.should_see(marker="create-token", retries=50)
    admin.find(marker="create-token").click()  # no label: refused in words
    await admin.should_see("label", retries=50)
    await admin.should_see(marker="token-label", retries=50)  # the panel redrawn
    admin.find(marker="token-label").type("excel")
    admin.find(marker="create-token").click()
    await admin.should_see(marker="new-token", retries=50)
    await admin.should_see(marker="revoke-0", retries=50)
    admin.find(marker="revoke-0").click()
    await admin.should_see("taken from hal", retries=50)
    with unit_of_work(engine, write=False) as session:
        assert show_user(session, ADMIN, "hal").grants == []


async def test_a_person_who_does_not_manage_users_is_refused_in_words(web: Browsers) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/admin")
    await planner.should_see(marker="admin-refused")
    await planner.should_see("may not manage users")
    await planner.should_not_see(marker="new-user")


async def test_the_settings_hide_secrets(web: Browsers) -> None:
    admin = web.person("ada", Role.admin)
    await admin.open("/admin?tab=settings")
    (grid,) = admin.find(marker="grid-settings").elements
    shown = {r["variable"]: r["value"] for r in grid.props["options"]["rowData"]}
    assert "ONEPLAN_MAX_UPLOAD_BYTES" in shown and "ONEPLAN_DATABASE_URL" in shown
    (calendar,) = admin.find(marker="grid-calendar").elements
    assert calendar.props["options"]["rowData"][0]["step"] == "gather data"


async def test_a_grant_on_a_user_changed_meanwhile_is_refused_as_stale(
    web: Browsers, engine: sa.Engine
) -> None:
    admin = web.person("ada", Role.admin)
    web.person("bo", Role.viewer)
    await admin.open("/admin?user=bo")  # a link names the user shown
    await admin.should_see(marker="give-grant", retries=50)
    with unit_of_work(engine) as session:
        grant(session, ADMIN, "bo", Grant(Role.executive))
    admin.find(marker="give-grant").click()  # viewer, which bo holds: but first, the version
    await admin.should_see("Someone changed this meanwhile", retries=50)
    await admin.should_see("executive", retries=50)  # the user as they are now
    with unit_of_work(engine, write=False) as session:
        assert {g.role for g in show_user(session, ADMIN, "bo").grants} == {
            Role.viewer,
            Role.executive,
        }

"""The demand page: a node by deep link, a typed override with its reason, the scope and role
refusals in words, and a stale edit that shows the other person's figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.testing.user import User
from tests.conftest import Preparation
from tests.web.conftest import ADMIN, Browsers

from oneplan.config import Settings
from oneplan.db.demand import DemandOverride
from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.demand.service import demand_run
from oneplan.services.permissions import Role
from oneplan.services.versions.store import save_version

pytestmark = pytest.mark.anyio

#: Attempts (0.1 s apart) to wait for a change: it reads and replays the plan twice.
SLOW = 50
MONTHS = ["2027-01", "2027-02", "2027-03", "2027-04"]


@pytest.fixture(scope="session")
def demand_frames(tmp_path_factory: pytest.TempPathFactory, demo_csv: Path) -> dict[str, Any]:
    """The small demo's demand plan four months ahead, forecast once for all the tests."""
    from oneplan.db import migrate
    from oneplan.db.session import create_db_engine

    settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('plan') / 'p.db'}")
    engine = create_db_engine(settings.database_url, settings)
    migrate.upgrade(engine)
    Preparation(demo_csv, pd.DataFrame(), ADMIN).import_demo(engine)
    result = run_phased(engine, demand_run(ADMIN, DemandOptions(horizon=4, n_windows=1)))
    engine.dispose()
    return {"frames": result.frames, "summary": result.summary, "cycle": result.cycle}


@pytest.fixture
def demand_planned(
    engine: sa.Engine, prepare: Preparation, demand_frames: dict[str, Any]
) -> sa.Engine:
    """The small demo imported and its demand plan stored (no forecast: it is made once)."""
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        save_version(
            session,
            ADMIN,
            cycle=demand_frames["cycle"],
            kind="demand",
            name="Demand plan",
            frames={k: demand_frames["frames"][k] for k in ("consensus", "baseline")},
            settings={},
            summary=demand_frames["summary"],
            input_hash="-",
        )
    return engine


def plan_rows(user: User) -> dict[str, dict[str, Any]]:
    """The plan grid's rows by layer, as the browser has them."""
    grid = user.find(marker="grid-plan").elements.pop()
    assert isinstance(grid, ui.aggrid)
    return {str(row["layer"]): row for row in grid.options["rowData"]}


def type_into(user: User, month: str, entry: str) -> None:
    """What AG Grid reports when a planner types ``entry`` in the consensus row's ``month``."""
    user.find(marker="grid-plan").trigger(
        "cellValueChanged",
        {"colId": month, "data": {"layer": "consensus"}, "newValue": entry},
    )


def overrides(engine: sa.Engine) -> list[tuple[str, str, str, float, str]]:
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            sa.select(
                DemandOverride.author,
                DemandOverride.member,
                DemandOverride.kind,
                DemandOverride.value,
                DemandOverride.reason,
            ).order_by(DemandOverride.sequence)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_planner_opens_a_family_by_its_deep_link(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/demand?level=family&node=Hoses")
    await planner.should_see("Hoses (HOS)")
    rows = plan_rows(planner)
    assert set(rows) >= {"statistical", "lifecycle", "events", "consensus", "consensus_value"}
    assert all(rows["consensus"][month] > 0 for month in MONTHS)
    await planner.should_see(marker="breadcrumbs")
    await planner.should_see("Garden")  # the family's category, a link up the hierarchy


async def test_a_typed_override_with_a_reason_changes_the_consensus(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/demand?level=family&node=HOS")
    before = plan_rows(planner)["consensus"]["2027-02"]
    type_into(planner, "2027-02", "+10%")
    await planner.should_see("Reason (required")
    planner.find(marker="override-reason").type("garden centre campaign")
    planner.find(marker="save-override").click()
    await planner.should_see("override #1 by dana", retries=SLOW)
    rows = plan_rows(planner)
    assert rows["consensus"]["2027-02"] == pytest.approx(before * 1.1)
    assert rows["override:dana"]["2027-02"] == pytest.approx(before * 0.1)
    assert overrides(demand_planned) == [
        ("dana", "HOS", "relative", 10.0, "garden centre campaign")
    ]


async def test_a_sales_user_outside_their_family_is_refused_in_words(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    seller = web.person("sol", Role.sales, families=frozenset({"SPR"}))
    await seller.open("/demand?level=family&node=HOS")
    type_into(seller, "2027-03", "1200")
    seller.find(marker="override-reason").type("big order")
    seller.find(marker="save-override").click()
    await seller.should_see("may not override demand for family HOS", retries=SLOW)
    assert overrides(demand_planned) == []


async def test_a_viewer_reads_the_plan_but_cannot_edit_it(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/demand?level=family&node=HOS")
    await viewer.should_see(marker="read-only")
    grid = viewer.find(marker="grid-plan").elements.pop()
    assert isinstance(grid, ui.aggrid)
    assert not any(":editable" in column for column in grid.options["columnDefs"])
    type_into(viewer, "2027-02", "1200")
    await viewer.should_not_see(marker="override-reason")
    assert overrides(demand_planned) == []


async def test_a_stale_edit_shows_the_other_persons_figure(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    first, second = web.person("dana", Role.demand_planner), web.person("otto", Role.admin)
    await first.open("/demand?level=family&node=HOS")
    await second.open("/demand?level=family&node=HOS")
    type_into(first, "2027-03", "5000")
    first.find(marker="override-reason").type("retailer listing")
    first.find(marker="save-override").click()
    await first.should_see("override #1 by dana", retries=SLOW)
    type_into(second, "2027-03", "7000")
    second.find(marker="override-reason").type("my own view")
    second.find(marker="save-override").click()
    await second.should_see("Someone changed this meanwhile", retries=SLOW)
    await second.should_see("Changed meanwhile by dana: now 5,000 units.", retries=SLOW)
    assert plan_rows(second)["consensus"]["2027-03"] == pytest.approx(5000.0)
    assert [row[0] for row in overrides(demand_planned)] == ["dana"]


async def test_the_nodes_below_come_a_page_at_a_time(
    web: Browsers, demand_planned: sa.Engine
) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/demand?level=total")
    await planner.should_see("All demand")
    for panels in planner.find(kind=ui.tab_panels).elements:  # the tab is read when opened
        panels.value = "below"
    await planner.should_see(marker="nodes-count", retries=50)
    counter = planner.find(marker="nodes-count").elements.pop()
    assert isinstance(counter, ui.label)
    assert counter.text.endswith("of 2")  # the categories: Garden and Home

"""The reads behind the supply and finance pages, on SQLite and PostgreSQL: a stored plan on
one screen (its sums recomputed from the stored frames), the version a page opens on, and a
decision recorded on an issue of the meeting list."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound, PermissionDenied
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.cycle.decisions import list_decisions
from oneplan.services.cycle.issues import decide_on_issue, meeting_issues
from oneplan.services.cycle.service import open_cycle
from oneplan.services.finance.overview import finance_overview
from oneplan.services.finance.service import finance_run
from oneplan.services.permissions import Grant, Role
from oneplan.services.supply.overview import supply_overview
from oneplan.services.supply.service import supply_version

VIEWER = Actor("vic", frozenset({Grant(Role.viewer)}))


def read(engine: sa.Engine, service: Any, *args: Any, actor: Actor = VIEWER, **kw: Any) -> Any:
    with unit_of_work(engine) as session:
        return service(session, actor, *args, **kw)


@pytest.fixture
def valued(planned: tuple[sa.Engine, pd.DataFrame], actor: Actor) -> sa.Engine:
    """The planned demo with its financial plan and the cycle 2027-01 open."""
    engine, _ = planned
    run_phased(engine, finance_run(actor))
    with unit_of_work(engine) as session:
        open_cycle(session, actor, "2027-01")
    return engine


def test_the_supply_overview_adds_up_to_the_stored_plan(
    planned: tuple[sa.Engine, pd.DataFrame], actor: Actor
) -> None:
    engine, _ = planned
    view = read(engine, supply_overview)  # a viewer reads it
    _, frames = read(engine, supply_version, None, ["supply_plan", "capacity_plan"], actor=actor)
    plan = frames["supply_plan"]
    assert view.version.kind == "supply" and [p.id for p in view.plans] == [view.version.id]
    for measure in ("demand", "production", "backlog", "lost_sales", "end_inventory"):
        by_month = plan.groupby("period")[measure].sum().to_numpy()
        assert view.balance[measure].to_numpy() == pytest.approx(by_month)
    capacity = frames["capacity_plan"]
    kept = capacity[(capacity["capacity"] > 0) | (capacity["used"] > 1e-6)]
    assert len(view.utilisation) == len(kept)
    assert set(view.utilisation["resource"]) == set(kept["resource"])
    # one row per limit in the overview; every binding row worded in money
    assert len(view.binding) >= len(view.strongest) > 0
    assert view.binding["words"].str.startswith("One more ").all()
    currency = view.currency
    assert view.strongest["words"].str.contains(f"{currency} ").all()
    limits = view.strongest[["constraint", "resource", "item", "location"]].astype(str)
    assert not limits.duplicated().any()


def test_a_page_opens_on_the_open_cycles_plan_or_the_one_asked_for(valued: sa.Engine) -> None:
    supply = read(valued, supply_overview)
    assert supply.version.cycle == "2027-01"
    assert read(valued, supply_overview, supply.version.id).version.id == supply.version.id
    finance = read(valued, finance_overview)
    with pytest.raises(NotFound, match="is a finance plan, not a supply plan"):
        read(valued, supply_overview, finance.version.id)


def test_the_finance_overview_has_months_quarters_years_and_bridges(valued: sa.Engine) -> None:
    view = read(valued, finance_overview)
    assert set(view.totals["grain"]) == {"month", "quarter", "year"}
    months = view.totals[view.totals["grain"] == "month"]
    years = view.three_years[view.three_years["grain"] == "year"]
    quarters = view.three_years[view.three_years["grain"] == "quarter"]
    assert years["revenue"].sum() == pytest.approx(quarters["revenue"].sum())
    assert len(years) == 3 and set(years["basis"]) <= {"plan", "trend"}
    # the long-range view starts with the plan's own months
    first_year = months[months["period"].dt.year == 2027]["revenue"].sum()
    assert years["revenue"].iloc[0] == pytest.approx(first_year)
    for bridge in (view.revenue_bridge, view.margin_bridge):
        assert bridge["step"].iloc[0] == "budget" and bridge["step"].iloc[-1] == "plan"
        steps = bridge["value"].iloc[1:-1].sum()
        assert bridge["value"].iloc[0] + steps == pytest.approx(bridge["value"].iloc[-1])
    summary = view.version.summary
    assert view.variance["revenue_variance"].sum() == pytest.approx(summary["revenue_vs_budget"])


def test_a_decision_on_an_issue_joins_the_open_cycles_agenda(
    valued: sa.Engine, actor: Actor
) -> None:
    listed = read(valued, meeting_issues)
    assert not listed.may_decide and listed.month == "2027-01"  # a viewer only reads
    assert listed.issues["rank"].tolist() == list(range(1, len(listed.issues) + 1))
    with pytest.raises(PermissionDenied):
        read(valued, decide_on_issue, 1, "accept the gap", "vic")
    with pytest.raises(NotFound, match="no issue 999"):
        read(valued, decide_on_issue, 999, "accept the gap", "ada", actor=actor)
    made = read(valued, decide_on_issue, 1, "promotion in March", "ada", actor=actor)
    assert made.issue_rank == 1 and made.plan_version_id == listed.version.id
    assert made.agenda == "2027-01"
    agenda = read(valued, list_decisions)
    assert [(d.id, d.issue_rank) for d in agenda] == [(made.id, 1)]
    again = read(valued, meeting_issues, actor=actor)
    assert again.may_decide and [d.id for d in again.decisions[1]] == [made.id]

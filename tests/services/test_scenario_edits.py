"""Changing and removing a scenario's assumptions against its version, the choices the form
offers, and the executive view's figures, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound, PermissionDenied, Stale, ValidationFailed
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.finance.service import finance_run
from oneplan.services.permissions import Grant, Role
from oneplan.services.report.executive import executive_view
from oneplan.services.scenario.edits import change_assumption, remove_assumption
from oneplan.services.scenario.freshness import changed_since_run
from oneplan.services.scenario.schemas import Assumption, ScenarioView
from oneplan.services.scenario.service import create_scenario, scenario_run, show_scenario
from oneplan.services.scenario.targets import assumption_choices
from oneplan.services.versions.store import load_frames

TESTER = Actor.administrator("tester")
HOSES_UP = Assumption(
    kind="demand_change", target_level="family", target="HOS", value=10.0, unit="percent"
)
PRESS_DOWN = Assumption(
    kind="capacity_change",
    target_level="resource",
    target="INJ-N1",
    period_from=date(2027, 3, 1),
    period_to=date(2027, 3, 1),
    value=-100.0,
    unit="percent",
)
SPRINKLERS_CHEAPER = Assumption(
    kind="price_change", target_level="family", target="SPR", value=-5.0, unit="percent"
)


def act(engine: sa.Engine, call: Any, *args: Any, **kwargs: Any) -> Any:
    with unit_of_work(engine) as session:
        return call(session, *args, **kwargs)


def own(engine: sa.Engine, name: str) -> pd.DataFrame:
    with unit_of_work(engine, write=False) as session:
        info = show_scenario(session, TESTER, name)
    frame = info.assumptions
    return frame[frame["scenario"] == name]


def test_an_assumption_is_changed_and_removed_against_the_version_read(
    engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    act(engine, create_scenario, TESTER, "S", assumptions=[HOSES_UP, PRESS_DOWN, HOSES_UP])
    higher = HOSES_UP.model_copy(update={"value": 20.0, "note": "promotion"})
    assert act(engine, change_assumption, TESTER, "S", 1, higher, expected=1) == 2
    with pytest.raises(Stale) as stale:
        act(engine, change_assumption, TESTER, "S", 1, HOSES_UP, expected=1)
    current = stale.value.current
    assert isinstance(current, ScenarioView) and current.version == 2
    assert current.assumptions[0].value == 20.0
    assert act(engine, remove_assumption, TESTER, "S", 2, expected=2) == 3
    frame = own(engine, "S")
    assert frame["own_position"].tolist() == [1, 2]  # the later one moved up
    assert frame["value"].tolist() == [20.0, 10.0]
    assert frame["note"].tolist() == ["promotion", ""]
    with unit_of_work(engine, write=False) as session:
        actions = [e.action for e in events(session, TESTER, "scenario")]
    assert "scenario.change_assumption" in actions and "scenario.remove_assumption" in actions


def test_bad_edits_change_nothing(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    act(engine, create_scenario, TESTER, "parent", assumptions=[HOSES_UP])
    act(engine, create_scenario, TESTER, "child", parent="parent", assumptions=[PRESS_DOWN])
    with pytest.raises(NotFound, match="no assumption of its own at position 2"):
        act(engine, change_assumption, TESTER, "child", 2, HOSES_UP)  # the parent's, not its own
    with pytest.raises(NotFound, match="no scenario"):
        act(engine, remove_assumption, TESTER, "nowhere", 1)
    too_much = HOSES_UP.model_copy(update={"value": -150.0})
    with pytest.raises(ValidationFailed, match="below -100"):
        act(engine, change_assumption, TESTER, "child", 1, too_much)
    sprinklers = Actor("spr", frozenset({Grant(Role.demand_planner, frozenset({"SPR"}))}))
    with pytest.raises(PermissionDenied):
        act(engine, change_assumption, sprinklers, "parent", 1, SPRINKLERS_CHEAPER)
    assert own(engine, "child")["value"].tolist() == [-100.0]
    assert own(engine, "parent")["value"].tolist() == [10.0]
    with unit_of_work(engine, write=False) as session:
        assert show_scenario(session, TESTER, "parent").version == 1


def test_the_form_offers_the_codes_and_the_plans_months(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    viewer = Actor("vic", frozenset({Grant(Role.viewer)}))
    with unit_of_work(engine, write=False) as session:
        choices = assumption_choices(session, viewer)
    assert "HOS" in choices.targets["family"] and "INJ-N1" in choices.targets["resource"]
    assert choices.targets["total"] == []
    assert len(choices.months) == 18 and choices.months[0] == "2027-01"


def test_the_executive_view_reads_the_financial_plan_and_its_demand_and_supply(
    planned: Any, actor: Actor
) -> None:
    engine, consensus = planned
    viewer = Actor("vic", frozenset({Grant(Role.viewer)}))
    with unit_of_work(engine, write=False) as session, pytest.raises(NotFound, match="finance"):
        executive_view(session, viewer)
    done = run_phased(engine, finance_run(actor))
    with unit_of_work(engine, write=False) as session:
        view = executive_view(session, viewer)
        finance = load_frames(session, done.version_id, ["budget_variance"])
    assert view.versions["finance"] == done.version_id
    kpis = view.kpis.set_index("measure")
    assert list(kpis.index) == [
        "revenue",
        "gross margin",
        "margin %",
        "on time",
        "inventory at end",
        "inventory value at end",
    ]
    budget = finance["budget_variance"]
    assert kpis.loc["revenue", "plan"] == pytest.approx(budget["plan_revenue"].sum())
    assert kpis.loc["revenue", "budget"] == pytest.approx(budget["budget_revenue"].sum())
    assert view.monthly["consensus"].sum() == pytest.approx(consensus["quantity"].sum())
    assert len(view.monthly) == 18


def test_a_scenario_changed_since_its_run_is_known(planned: Any, actor: Actor) -> None:
    engine, _ = planned
    act(engine, create_scenario, actor, "parent", assumptions=[HOSES_UP])
    act(engine, create_scenario, actor, "child", parent="parent", assumptions=[PRESS_DOWN])
    run_phased(engine, scenario_run(actor, "child"))
    with unit_of_work(engine, write=False) as session:
        assert changed_since_run(session, actor) == set()  # the parent never ran: not listed
    act(engine, change_assumption, actor, "parent", 1, HOSES_UP.model_copy(update={"value": 12}))
    with unit_of_work(engine, write=False) as session:
        assert changed_since_run(session, actor) == {"child"}  # a parent's change reaches it

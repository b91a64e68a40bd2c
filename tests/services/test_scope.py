"""A grant's scope in the services: a sales manager for a family overrides that family only; a
plant's supply planner builds and runs scenarios about that plant only."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.permissions import Grant, Role
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import (
    add_assumption,
    create_scenario,
    delete_scenario,
    load_scenario_inputs,
    scenario_run,
    store_scenario_run,
)
from oneplan.services.supply.schemas import SupplyOptions


def person(
    role: Role, families: set[str] = frozenset(), locations: set[str] = frozenset()
) -> Actor:
    return Actor("someone", frozenset({Grant(role, frozenset(families), frozenset(locations))}))


def override(level: str, member: str) -> dict[str, Any]:
    return {
        "level": level,
        "member": member,
        "period": "2027-03",
        "kind": "relative",
        "value": 5.0,
        "reason": "trade fair",
    }


def overrides_stored(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM demand_overrides")).scalar_one()


HOSES = person(Role.sales, frozenset({"HOS"}))
GARDEN = person(Role.sales, frozenset({"HOS", "SPR"}))
HOSES_AT_DC = person(Role.sales, frozenset({"HOS"}), frozenset({"DC-CENTRAL"}))
DC = person(Role.sales, locations=frozenset({"DC-CENTRAL"}))


@pytest.mark.parametrize(
    ("who", "level", "member", "allowed"),
    [
        (HOSES, "item", "HOS-0001", True),
        (HOSES, "family", "HOS", True),
        (HOSES, "item_location", "HOS-0001|PL-NORTH", True),
        (HOSES, "item", "SPR-0001", False),
        (HOSES, "family", "SPR", False),
        (HOSES, "category", "Garden", False),
        (GARDEN, "category", "Garden", True),
        (HOSES, "total", "", False),
        (HOSES, "location", "DC-CENTRAL", False),
        (HOSES_AT_DC, "item_location", "HOS-0001|DC-CENTRAL", True),
        (HOSES_AT_DC, "family", "HOS", False),
        (HOSES_AT_DC, "item_location", "HOS-0001|PL-NORTH", False),
        (DC, "location", "DC-CENTRAL", True),
        (DC, "region", "Central", True),
        (DC, "region", "North", False),
    ],
)
def test_a_scoped_grant_overrides_within_its_scope_only(
    engine: sa.Engine, prepare: Any, who: Actor, level: str, member: str, allowed: bool
) -> None:
    prepare.import_demo(engine)
    if allowed:
        with unit_of_work(engine) as session:
            add_overrides(session, who, [override(level, member)])
        assert overrides_stored(engine) == 1
        return
    with pytest.raises(PermissionDenied) as refused, unit_of_work(engine) as session:
        add_overrides(session, who, [override(level, member)])
    assert "override_demand" in str(refused.value) and "sales for" in str(refused.value)
    assert overrides_stored(engine) == 0


def test_one_override_out_of_scope_refuses_the_whole_batch(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    batch = [override("family", "HOS"), override("family", "SPR")]
    with pytest.raises(PermissionDenied, match="for family SPR"), unit_of_work(engine) as session:
        add_overrides(session, HOSES, batch)
    assert overrides_stored(engine) == 0


NORTH_PLANNER = person(Role.supply_planner, locations=frozenset({"PL-NORTH"}))
NORTH_PRESS = Assumption.from_text("capacity_change:resource:INJ-N1:2027-03:2027-03:-50:percent")
SOUTH_PRESS = Assumption.from_text("capacity_change:resource:INJ-S1:2027-03:2027-03:-50:percent")


def test_a_plants_supply_planner_edits_scenarios_about_that_plant_only(
    engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        create_scenario(session, NORTH_PLANNER, "north press", assumptions=[NORTH_PRESS])
    with (
        pytest.raises(PermissionDenied, match="location PL-SOUTH"),
        unit_of_work(engine) as session,
    ):
        add_assumption(session, NORTH_PLANNER, "north press", SOUTH_PRESS)
    with (
        pytest.raises(PermissionDenied, match="location PL-SOUTH"),
        unit_of_work(engine) as session,
    ):
        create_scenario(session, NORTH_PLANNER, "south press", assumptions=[SOUTH_PRESS])
    with unit_of_work(engine) as session:
        create_scenario(session, Actor.administrator("ann"), "both", assumptions=[SOUTH_PRESS])
    with pytest.raises(PermissionDenied), unit_of_work(engine) as session:
        delete_scenario(session, NORTH_PLANNER, "both")
    with unit_of_work(engine) as session:
        delete_scenario(session, NORTH_PLANNER, "north press")


def test_a_plants_supply_planner_runs_scenarios_about_that_plant_only(
    planned: tuple[sa.Engine, pd.DataFrame],
) -> None:
    engine, _ = planned
    with unit_of_work(engine) as session:
        create_scenario(session, NORTH_PLANNER, "north press", assumptions=[NORTH_PRESS])
        # a branch of it about the south plant: its run reaches both plants
        create_scenario(
            session,
            Actor.administrator("ann"),
            "and south",
            parent="north press",
            assumptions=[SOUTH_PRESS],
        )
    with unit_of_work(engine, write=False) as session:
        inputs = load_scenario_inputs(session, "and south")
    with (
        pytest.raises(PermissionDenied, match="location PL-SOUTH"),
        unit_of_work(engine) as session,
    ):
        # refused before anything planned is looked at
        store_scenario_run(session, NORTH_PLANNER, inputs, None, SupplyOptions(), {})  # type: ignore[arg-type]
    run = run_phased(engine, scenario_run(NORTH_PLANNER, "north press"))
    assert run.version_id is not None


def test_a_scoped_grant_still_reads_and_verifies_the_trail(engine: sa.Engine) -> None:
    from oneplan.services.audit.verify import verify_chain

    with unit_of_work(engine, write=False) as session:
        assert verify_chain(session, HOSES).broken is None

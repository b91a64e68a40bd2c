"""The demand plan node by node on SQLite and PostgreSQL: the live plan equals what the next
demand run stores, deep links by code or name, a level a page at a time, a typed entry, a stale
change refused with the figure now, and the lists that reach a node."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from tests.conftest import Preparation

from oneplan.db.session import unit_of_work
from oneplan.errors import InputError, NotFound, PermissionDenied, Stale
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.demand.node_edits import change_node, node_month, parse_entry
from oneplan.services.demand.node_lists import node_lists
from oneplan.services.demand.nodes import ancestors, list_nodes, live_plan, node_plan
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.demand.service import demand_run, demand_version
from oneplan.services.permissions import Grant, Role

PLANNER = Actor.administrator("planner")
SELLER = Actor("sol", frozenset({Grant(Role.sales, families=frozenset({"SPR"}))}))


@pytest.fixture
def demand_planned(engine: sa.Engine, prepare: Preparation) -> sa.Engine:
    prepare.import_demo(engine)
    run_phased(engine, demand_run(PLANNER, DemandOptions(horizon=4, n_windows=1)))
    return engine


def test_the_live_plan_is_what_the_next_run_stores(demand_planned: sa.Engine) -> None:
    engine = demand_planned
    with unit_of_work(engine) as session:
        change_node(session, PLANNER, "family", "HOS", "2027-02", "+10%", "campaign")
        change_node(session, PLANNER, "item", "HOS-0004", "2027-02", "300", "listing")
        change_node(session, SELLER, "family", "Sprinklers", "2027-03", "-20%", "late spring")
    with unit_of_work(engine, write=False) as session:
        live = live_plan(session, PLANNER).cells
    run_phased(engine, demand_run(PLANNER, DemandOptions(horizon=4, n_windows=1)))
    with unit_of_work(engine, write=False) as session:
        _, frames = demand_version(session, PLANNER, None, ["consensus"])
    stored = frames["consensus"]
    keys = ["item", "location", "period"]
    both = live.merge(stored.assign(period=pd.to_datetime(stored["period"])), on=keys)
    assert len(both) == len(stored)
    assert both["consensus"].to_numpy() == pytest.approx(both["quantity"].to_numpy())
    assert both["override"].to_numpy() == pytest.approx(both["override_adjustment"].to_numpy())


def test_a_node_is_found_by_code_or_name_with_its_layers_and_band(
    demand_planned: sa.Engine,
) -> None:
    with unit_of_work(demand_planned, write=False) as session:
        by_name = node_plan(session, PLANNER, "family", "hoses")
        by_code = node_plan(session, PLANNER, "family", "HOS")
        with pytest.raises(NotFound, match="there is no family 'Hose'"):
            node_plan(session, PLANNER, "family", "Hose")
        assert ancestors(session, PLANNER, "item_location", "HOS-0004|DC-CENTRAL") == {
            "item": "HOS-0004",
            "family": "HOS",
            "category": "Garden",
            "location": "DC-CENTRAL",
            "region": "Central",
        }
    assert (by_name.member, by_name.title) == ("HOS", "Hoses (HOS)")
    assert by_name.layers.equals(by_code.layers)
    layers = by_name.layers.set_index("layer")[by_name.months]
    summed = layers.loc[["statistical", "lifecycle", "events"]].sum()
    assert layers.loc["consensus"].to_numpy() == pytest.approx(summed.to_numpy())
    band = by_name.band.set_index("period")
    centre = layers.loc["statistical"].to_numpy()
    assert (band["lo_95"].to_numpy() <= band["lo_80"].to_numpy() + 1e-9).all()
    assert (band["lo_80"].to_numpy() <= centre + 1e-9).all()
    assert (centre <= band["hi_80"].to_numpy() + 1e-9).all()
    assert by_name.history["period"].max() < pd.Timestamp("2027-01-01")


def test_a_level_comes_a_page_at_a_time_biggest_first(demand_planned: sa.Engine) -> None:
    with unit_of_work(demand_planned, write=False) as session:
        first = list_nodes(session, PLANNER, "item_location", limit=5)
        second = list_nodes(session, PLANNER, "item_location", limit=5, offset=5)
        hoses = list_nodes(session, PLANNER, "item", within=("family", "HOS"), search="hos")
    assert len(first.rows) == 5 and first.total == second.total > 10
    units = [*first.rows["units"], *second.rows["units"]]
    assert units == sorted(units, reverse=True)
    assert set(hoses.rows["member"].str[:3]) == {"HOS"} and hoses.total == len(hoses.rows)


def test_entries_scope_and_a_stale_change(demand_planned: sa.Engine) -> None:
    assert parse_entry("+12.5 %") == ("relative", 12.5)
    with pytest.raises(InputError, match="column 2027-02: '12 units'"):
        parse_entry("12 units", "2027-02")
    engine = demand_planned
    with unit_of_work(engine, write=False) as session:
        seen = node_month(session, PLANNER, "family", "HOS", "2027-02")
    denied = pytest.raises(PermissionDenied, match="may not override demand for family HOS")
    with denied, unit_of_work(engine) as session:
        change_node(session, SELLER, "family", "HOS", "2027-02", "10", "x", seen=seen)
    with unit_of_work(engine) as session:
        done = change_node(session, PLANNER, "family", "HOS", "2027-02", "500", "x", seen=seen)
    assert (done.before, done.after) == (pytest.approx(seen), 500.0)
    with pytest.raises(Stale, match="is 500 units now") as refused, unit_of_work(engine) as session:
        change_node(session, PLANNER, "family", "HOS", "2027-02", "700", "y", seen=seen)
    assert refused.value.current == {"consensus": pytest.approx(500.0), "changed_by": ["planner"]}


def test_the_lists_that_reach_a_node(demand_planned: sa.Engine) -> None:
    with unit_of_work(demand_planned, write=False) as session:
        everything = node_lists(session, PLANNER, "total", "")
        one = node_lists(session, PLANNER, "family", "HOS")
    assert set(one.launches["item"]) <= set(everything.launches["item"])
    assert set(one.phase_outs["lifecycle_status"]) <= {"phase_out", "obsolete"}
    assert len(everything.phase_outs) == 4  # the small demo's two phase-outs and two obsolete
    named = one.events["item"].dropna()
    assert named.str.startswith("HOS").all()

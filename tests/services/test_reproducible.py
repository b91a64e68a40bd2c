"""Re-running the cycle on the same data gives the same numbers and the same content hashes, and
an identical re-run reuses the version it repeats instead of storing a copy."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.demand.service import demand_run
from oneplan.services.finance.service import finance_run
from oneplan.services.supply.schemas import SupplyOptions
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.lifecycle import supersede
from oneplan.services.versions.store import get_version, load_frames


def hash_of(engine: sa.Engine, version_id: int) -> str:
    with unit_of_work(engine, write=False) as session:
        return get_version(session, version_id).content_hash


def version_count(engine: sa.Engine) -> int:
    with unit_of_work(engine, write=False) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(PlanVersion)) or 0)


def stored(engine: sa.Engine, version_id: int, name: str) -> pd.DataFrame:
    with unit_of_work(engine, write=False) as session:
        return load_frames(session, version_id, [name])[name]


def test_the_same_inputs_give_the_same_plans(engine: sa.Engine, prepare: Any, actor: Actor) -> None:
    prepare.import_demo(engine)
    fresh = DemandOptions(horizon=6, reuse_forecast=False)  # forecast again, do not reuse
    runs = []
    for _ in range(2):
        demand = run_phased(engine, demand_run(actor, fresh))
        supply = run_phased(engine, supply_run(actor))
        finance = run_phased(engine, finance_run(actor))
        runs.append((demand, supply, finance))
    (d1, s1, f1), (d2, s2, f2) = runs
    # the second run computed every plan again, found its inputs equal (the content hash) and
    # reused the versions of the first instead of storing copies
    assert not (d1.reused or s1.reused or f1.reused)
    assert (d2.reused, s2.reused, f2.reused) == (True, True, True)
    assert (d2.version_id, s2.version_id, f2.version_id) == (
        d1.version_id,
        s1.version_id,
        f1.version_id,
    )
    assert version_count(engine) == 3
    # ...and the numbers computed again are the ones computed and stored the first time
    pd.testing.assert_frame_equal(d1.frames["consensus"], d2.frames["consensus"])
    pd.testing.assert_frame_equal(
        stored(engine, d1.version_id, "consensus"), d2.frames["consensus"]
    )
    for name in ("supply_plan", "capacity_plan", "cost_breakdown"):
        pd.testing.assert_frame_equal(s1.frames[name], s2.frames[name])
        pd.testing.assert_frame_equal(stored(engine, s1.version_id, name), s2.frames[name])
    for name in ("lines", "budget_variance", "issues"):
        pd.testing.assert_frame_equal(f1.frames[name], f2.frames[name])
        pd.testing.assert_frame_equal(stored(engine, f1.version_id, name), f2.frames[name])
    assert f1.summary["revenue"] == f2.summary["revenue"]
    assert d2.summary == d1.summary and s2.summary == s1.summary  # the version's own figures


def test_a_rerun_stores_a_new_version_unless_it_repeats_the_newest(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    prepare.store_consensus(engine)
    cost = run_phased(engine, supply_run(actor))
    margin = run_phased(engine, supply_run(actor, SupplyOptions(objective="margin")))
    assert not margin.reused and margin.version_id != cost.version_id
    # equal to the first run, but a run of other settings came between: the steps after it read
    # the newest supply plan, so the run stores its own version again
    again = run_phased(engine, supply_run(actor))
    assert not again.reused and again.version_id not in (cost.version_id, margin.version_id)
    assert hash_of(engine, again.version_id) == hash_of(engine, cost.version_id)
    same = run_phased(engine, supply_run(actor))
    assert same.reused and same.version_id == again.version_id
    # a withdrawn version is never reused
    with unit_of_work(engine) as session:
        supersede(session, actor, again.version_id, reason="withdrawn")
    after = run_phased(engine, supply_run(actor))
    assert not after.reused and after.version_id > again.version_id

"""Re-running the cycle on the same data gives the same numbers and the same content hashes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.demand.service import demand_run
from oneplan.services.finance.service import finance_run
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.store import get_version


def hash_of(engine: sa.Engine, version_id: int) -> str:
    with unit_of_work(engine, write=False) as session:
        return get_version(session, version_id).content_hash


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
    assert d2.version_id != d1.version_id  # two versions were stored...
    assert hash_of(engine, d1.version_id) == hash_of(engine, d2.version_id)  # ...of equal inputs
    pd.testing.assert_frame_equal(d1.frames["consensus"], d2.frames["consensus"])
    assert hash_of(engine, s1.version_id) == hash_of(engine, s2.version_id)
    for name in ("supply_plan", "capacity_plan", "cost_breakdown"):
        pd.testing.assert_frame_equal(s1.frames[name], s2.frames[name])
    assert hash_of(engine, f1.version_id) == hash_of(engine, f2.version_id)
    for name in ("lines", "budget_variance", "issues"):
        pd.testing.assert_frame_equal(f1.frames[name], f2.frames[name])
    assert f1.summary["revenue"] == f2.summary["revenue"]

"""The KPI change of a scenario broken down by assumption (sequential attribution).

The ordered assumptions (ancestors' first) are applied one prefix at a time: none, the first,
the first two, ... all of them. Each prefix is a full re-solve of supply and a fresh valuation
of the plan. Assumption k is credited with the change of each KPI between prefix k-1 and
prefix k, so the changes add up exactly to the scenario's KPI less the base's. The split
depends on the order: two assumptions that press on the same resource share its cost
differently when swapped.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from oneplan.config import Settings, get_settings
from oneplan.db.session import unit_of_work
from oneplan.services.scenario_compare import plan_kpis
from oneplan.services.scenarios import ScenarioPlan, plan_scenario, read_inputs
from oneplan.services.supply import SupplyOptions

#: The figures attributed, as ``plan_kpis`` names them.
KPIS = ("total cost", "revenue", "gross margin", "service level on time", "unmet units")
COLUMNS = ["position", "kind", "target", "kpi", "before", "after", "change"]


def prefix_kpis(planned: ScenarioPlan) -> dict[str, float]:
    """The attributed KPIs of one planned prefix (a plan with no solution counts as NaN)."""
    if not planned.result.plan.has_plan:
        return dict.fromkeys(KPIS, float("nan"))
    frames = {**planned.result.frames, **planned.finance}
    found = plan_kpis(frames, planned.result.summary, planned.tables.get("prices", pd.DataFrame()))
    return {k: float("nan") if found.get(k) is None else float(found[k]) for k in KPIS}


def sequential_changes(steps: pd.DataFrame, kpis: list[dict[str, float]]) -> pd.DataFrame:
    """One row per assumption and KPI: the KPI before and after the assumption, and the change.

    `steps` [position, kind, target] holds the n assumptions in order; `kpis` the n + 1 prefix
    KPIs (base first).

    >>> steps = pd.DataFrame({"position": [1, 2], "kind": ["a", "b"], "target": ["X", "Y"]})
    >>> out = sequential_changes(steps, [{"cost": 10.0}, {"cost": 13.0}, {"cost": 12.0}])
    >>> out["change"].tolist()
    [3.0, -1.0]
    """
    if len(kpis) != len(steps) + 1:
        raise ValueError(f"kpis: {len(kpis)} prefixes for {len(steps)} assumptions, want n + 1")
    levels = pd.DataFrame(kpis)  # row k: the KPIs after k assumptions
    names = list(levels.columns)
    before = levels.iloc[:-1].to_numpy()
    after = levels.iloc[1:].to_numpy()
    n = len(steps)
    out = pd.DataFrame(
        {
            "position": steps["position"].to_numpy().repeat(len(names)),
            "kind": steps["kind"].to_numpy().repeat(len(names)),
            "target": steps["target"].to_numpy().repeat(len(names)),
            "kpi": names * n,
            "before": before.reshape(-1),
            "after": after.reshape(-1),
        }
    )
    out["change"] = out["after"] - out["before"]
    return out[COLUMNS].astype({"before": "float64", "after": "float64", "change": "float64"})


def attribute_kpis(
    engine: sa.Engine,
    name: str,
    settings: Settings | None = None,
    options: SupplyOptions | None = None,
) -> pd.DataFrame:
    """The scenario's KPI change by assumption: [position, kind, target, kpi, before, after,
    change], one row per assumption (in applied order) and KPI of `KPIS`.

    Inputs are read once in a read-only unit of work; the n + 1 re-solves run outside any
    transaction and nothing is stored. Per KPI, the changes sum to the KPI with every
    assumption less the KPI with none (the base re-solved).
    """
    settings = settings or get_settings()  # kept for the same call shape as run_scenario
    options = options or SupplyOptions()
    with unit_of_work(engine, write=False) as session:
        inputs = read_inputs(session, name)
    assumptions = inputs.assumptions
    kpis = [
        prefix_kpis(plan_scenario(name, inputs, assumptions.iloc[:k], options))
        for k in range(len(assumptions) + 1)
    ]
    return sequential_changes(assumptions[["position", "kind", "target"]], kpis)

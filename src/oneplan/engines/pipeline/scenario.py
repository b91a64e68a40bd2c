"""A scenario's computation: apply its assumptions, re-plan supply, value the result; and the
KPI change broken down by assumption."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from oneplan.engines.kpi import plan_kpis
from oneplan.engines.pipeline.finance import finance_frames
from oneplan.engines.pipeline.supply import SupplyRun, plan_supply
from oneplan.engines.scenario import apply_assumptions

#: Finance frames a scenario run keeps beside its supply frames, for comparison.
FINANCE_FRAMES = ("lines", "budget_variance", "rollup_total")
#: The figures attributed to assumptions, as ``plan_kpis`` names them.
KPIS = ("total cost", "revenue", "gross margin", "service level on time", "unmet units")
ATTRIBUTION_COLUMNS = ["position", "kind", "target", "kpi", "before", "after", "change"]


@dataclass(frozen=True)
class ScenarioPlan:
    """Supply and finance planned on the changed inputs."""

    tables: dict[str, pd.DataFrame]
    demand: pd.DataFrame
    effects: pd.DataFrame
    supply: SupplyRun
    finance: dict[str, pd.DataFrame]


def plan_scenario(
    tables: dict[str, pd.DataFrame],
    demand: pd.DataFrame,
    errors: pd.DataFrame | None,
    assumptions: pd.DataFrame,
    *,
    objective: Literal["cost", "margin"] = "cost",
    level: Literal["item", "family"] = "item",
    integer_workforce: bool = False,
    time_limit: float | None = None,
) -> ScenarioPlan:
    """Apply ``assumptions`` to the tables and the demand, re-solve supply and value the result.

    An empty ``assumptions`` frame plans the base as it stands. Demand assumptions change the
    demand directly: no re-forecast.
    """
    changed, changed_demand, effects = apply_assumptions(tables, demand, assumptions)
    supply = plan_supply(
        changed,
        changed_demand,
        errors,
        objective=objective,
        level=level,
        integer_workforce=integer_workforce,
        time_limit=time_limit,
    )
    clock = time.perf_counter()
    finance: dict[str, pd.DataFrame] = {}
    if supply.plan.has_plan:  # an unsolved plan has nothing to value
        finance = finance_frames(changed, changed_demand, supply.frames)
    seconds = {**supply.seconds, "financial plan": time.perf_counter() - clock}
    supply = dataclasses.replace(supply, seconds=seconds)
    return ScenarioPlan(changed, changed_demand, effects, supply, finance)


def prefix_kpis(planned: ScenarioPlan) -> dict[str, float]:
    """The attributed KPIs of one planned prefix (a plan with no solution counts as NaN)."""
    if not planned.supply.plan.has_plan:
        return dict.fromkeys(KPIS, float("nan"))
    frames = {**planned.supply.frames, **planned.finance}
    found = plan_kpis(frames, planned.supply.summary, planned.tables.get("prices", pd.DataFrame()))
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
    return out[ATTRIBUTION_COLUMNS].astype(
        {"before": "float64", "after": "float64", "change": "float64"}
    )


def attribute_kpis(
    tables: dict[str, pd.DataFrame],
    demand: pd.DataFrame,
    errors: pd.DataFrame | None,
    assumptions: pd.DataFrame,
    **options: Any,
) -> pd.DataFrame:
    """The scenario's KPI change by assumption (sequential attribution).

    The ordered assumptions are applied one prefix at a time: none, the first, the first two,
    ... all of them; each prefix is a full re-solve of supply and a fresh valuation. Assumption
    k is credited with the change of each KPI between prefix k-1 and prefix k, so the changes
    add up exactly to the scenario's KPI less the base's. The split depends on the order: two
    assumptions that press on the same resource share its cost differently when swapped.
    Returns [position, kind, target, kpi, before, after, change].
    """
    kpis = [
        prefix_kpis(plan_scenario(tables, demand, errors, assumptions.iloc[:k], **options))
        for k in range(len(assumptions) + 1)
    ]
    return sequential_changes(assumptions[["position", "kind", "target"]], kpis)

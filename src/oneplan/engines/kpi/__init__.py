"""Key figures of a plan, computed from its frames: service, capacity, money.

Pure functions over the frames the engines return or a plan version stores; the supply step's
summary, scenario comparisons, the executive pack and (later) KPIs cycle over cycle all read
them from here, so a figure means the same wherever it is shown.
"""

from oneplan.engines.kpi.money import finance_summary, revenue_at_price
from oneplan.engines.kpi.plan import (
    PENALTY_TERMS,
    on_time_share,
    plan_kpis,
    top_bottleneck,
    total_cost,
    utilisation_by_resource,
)

__all__ = [
    "PENALTY_TERMS",
    "finance_summary",
    "on_time_share",
    "plan_kpis",
    "revenue_at_price",
    "top_bottleneck",
    "total_cost",
    "utilisation_by_resource",
]

"""Financial planning: the S&OP plan in money, its roll-ups and its variance to budget."""

from oneplan.engines.finance.budget import bridge, budget_variance
from oneplan.engines.finance.plan import FinancialPlan, financial_plan
from oneplan.engines.finance.rebates import expected_rebates, realised_rebates
from oneplan.engines.finance.rollup import extend_long_range, rollup

__all__ = [
    "FinancialPlan",
    "bridge",
    "budget_variance",
    "expected_rebates",
    "extend_long_range",
    "financial_plan",
    "realised_rebates",
    "rollup",
]

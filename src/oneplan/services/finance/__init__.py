"""The financial plan (the pre-S&OP step): the plan in money, against the budget, and the
ranked issues to decide."""

"""The computation of each plan run, as one pure call over frames.

A service reads the tables, calls one function here, and stores what it returns: the engines
are called in order (demand: history, forecast, lifecycle, events, overrides, prices; supply:
safety stock, the constrained and unconstrained plans, explanations, projection; finance: the
financial plan, roll-ups, budget variance, issues; a scenario: assumptions, supply, finance),
with no database, so a plan run can also be computed in a notebook or on a worker.
"""

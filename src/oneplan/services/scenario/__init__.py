"""Scenarios: branches of the plan held as ordered, typed assumptions; run, compared, explained."""

"""Scenario engine: typed assumptions applied to the planning engines' input frames."""

from oneplan.engines.scenario.assumptions import (
    EFFECT_COLUMNS,
    KINDS,
    UNITS,
    apply_assumptions,
)

__all__ = ["EFFECT_COLUMNS", "KINDS", "UNITS", "apply_assumptions"]

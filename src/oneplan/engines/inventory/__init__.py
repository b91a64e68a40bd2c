"""Inventory planning: safety stock by policy and the projected inventory per period."""

from oneplan.engines.inventory.projection import project_inventory
from oneplan.engines.inventory.safety_stock import (
    backtest_errors,
    lead_time_sigma,
    safety_stock,
)

__all__ = [
    "backtest_errors",
    "lead_time_sigma",
    "project_inventory",
    "safety_stock",
]

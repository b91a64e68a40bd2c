"""Choice lists of the finance domain."""

from __future__ import annotations

from oneplan.choices import BridgeMeasure, FinanceLevel, Grain

__all__ = ["BridgeMeasure", "FinanceLevel", "Grain"]

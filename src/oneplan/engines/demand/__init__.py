"""Demand engine: the statistical forecast per item with its backtest and accuracy."""

from oneplan.engines.demand.accuracy import accuracy_table, seasonal_naive_scale
from oneplan.engines.demand.classify import ADI_CUTOFF, CV2_CUTOFF, DEMAND_CLASSES, classify_demand
from oneplan.engines.demand.forecast import DemandForecaster, ForecastResult, forecast
from oneplan.engines.demand.validate import validate_history

__all__ = [
    "ADI_CUTOFF",
    "CV2_CUTOFF",
    "DEMAND_CLASSES",
    "DemandForecaster",
    "ForecastResult",
    "accuracy_table",
    "classify_demand",
    "forecast",
    "seasonal_naive_scale",
    "validate_history",
]

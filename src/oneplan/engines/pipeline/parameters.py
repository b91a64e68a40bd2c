"""The company-wide settings of the ``parameters`` table: plan start, horizon, currency..."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from oneplan.engines.frames import parse_month
from oneplan.errors import InputError, Problem, ValidationFailed


def parameter_text(parameters: pd.DataFrame | None, name: str) -> str | None:
    """The value of one parameter as text (the last row wins); None when it is absent."""
    if parameters is None or not len(parameters):
        return None
    rows = parameters.loc[parameters["name"].astype(str) == name, "value"]
    return None if not len(rows) else str(rows.iloc[-1])


def parameter_number(parameters: pd.DataFrame | None, name: str, default: float) -> float:
    """A number from the parameters table, or ``default`` when the row is absent.

    >>> table = pd.DataFrame({"name": ["days_sales_outstanding"], "value": ["45"]})
    >>> parameter_number(table, "days_sales_outstanding", 30.0), parameter_number(table, "x", 1.0)
    (45.0, 1.0)
    """
    text = parameter_text(parameters, name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise InputError(
            f"{name} = {text!r} is not a number", table="parameters", column="value"
        ) from None


@dataclass(frozen=True)
class PlanCalendar:
    """The months a plan covers and the currency its money is in."""

    start: pd.Timestamp
    horizon: int
    currency: str

    @property
    def months(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.horizon, freq="MS")


def plan_calendar(
    parameters: pd.DataFrame, *, plan_start: str | None = None, horizon: int | None = None
) -> PlanCalendar:
    """plan_start (a month start), horizon_periods and currency from the parameters table;
    ``plan_start`` and ``horizon``, when given, win.

    >>> table = pd.DataFrame({"name": ["plan_start", "horizon_periods", "currency"],
    ...     "value": ["2027-01", "18", "EUR"]})
    >>> calendar = plan_calendar(table, horizon=6)
    >>> f"{calendar.start:%Y-%m}", calendar.horizon, calendar.currency
    ('2027-01', 6, 'EUR')
    """
    values = dict(zip(parameters["name"], parameters["value"], strict=True))
    start_text = plan_start or values.get("plan_start")
    horizon_value: Any = horizon or values.get("horizon_periods")
    problems = []
    start = parse_month(start_text) if start_text else None
    if start is None:
        problems.append(
            Problem(
                "parameters", None, "plan_start", f"is {start_text!r}, need a month like 2027-01"
            )
        )
    try:
        months = int(horizon_value)
    except (TypeError, ValueError):
        months = 0
    if months < 1:
        problems.append(
            Problem(
                "parameters",
                None,
                "horizon_periods",
                f"is {horizon_value!r}, need a whole number >= 1",
            )
        )
    if problems or start is None:
        raise ValidationFailed(problems)
    return PlanCalendar(start, months, str(values.get("currency") or ""))

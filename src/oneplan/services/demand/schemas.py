"""Requests and choice lists of the demand domain."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import AccuracyLevel, OverrideKind, OverrideLevel, Reconciliation, RollupLevel
from oneplan.services.moments import Moment

__all__ = [
    "AccuracyLevel",
    "DemandOptions",
    "OverrideIn",
    "OverrideKind",
    "OverrideLevel",
    "OverrideOut",
    "Reconciliation",
    "RollupLevel",
]


class DemandOptions(BaseModel):
    """How to forecast; ``horizon`` and ``plan_start`` default to the parameters table."""

    model_config = ConfigDict(frozen=True)

    horizon: int | None = Field(None, ge=1, description="Months to plan.")
    plan_start: str | None = Field(None, description="First month of the plan, YYYY-MM.")
    season_length: int = Field(12, ge=1)
    levels: tuple[int, ...] = (80, 95)
    n_windows: int = Field(2, ge=1, description="Backtest windows the safety stocks learn from.")
    n_jobs: int = Field(1, ge=1)
    reuse_forecast: bool = Field(True, description="Reuse the forecast of an unchanged history.")
    reconciliation: Reconciliation = Reconciliation.none


class OverrideIn(BaseModel):
    """A person's change to the demand plan at one node and month, with the reason."""

    model_config = ConfigDict(frozen=True)

    level: OverrideLevel
    member: str = Field("", description="Code at that level; ITEM|LOCATION for item_location.")
    period: str = Field(description="Month, YYYY-MM.")
    kind: OverrideKind
    value: float = Field(description="Units (absolute) or percent (relative).")
    reason: str = Field(description="Why the plan changes (required).")


class OverrideRequest(OverrideIn):
    """One override, or the same one for each month from ``period`` through ``to``."""

    to: str | None = Field(None, description="Last month of a range, YYYY-MM; none: one month.")
    cycle: str | None = Field(None, description="S&OP cycle, YYYY-MM; none: the plan's first.")


class OverrideOut(BaseModel):
    """An override as stored: numbered within its cycle, with its author and time."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    cycle: str
    sequence: int
    level: OverrideLevel
    member: str
    period: date
    kind: OverrideKind
    value: float
    reason: str
    author: str
    created_at: Moment
    withdrawn_at: Moment | None = None
    withdrawn_by: str | None = None
    version: int = 1


class OverridePage(BaseModel):
    """One page of overrides, and how many there are in all."""

    model_config = ConfigDict(frozen=True)

    items: list[OverrideOut]
    total: int
    limit: int
    offset: int

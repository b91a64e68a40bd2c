"""Requests and choice lists of the supply domain."""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import MpsFormat, MpsGrain, Objective, PackageFormat, SupplyLevel

__all__ = [
    "BindingConstraintRow",
    "ExplanationPage",
    "MpsFormat",
    "MpsGrain",
    "Objective",
    "PackageFormat",
    "SupplyLevel",
    "SupplyOptions",
    "UnmetDemandRow",
    "UtilisationRow",
    "WorkforceRow",
]


class SupplyOptions(BaseModel):
    """How to plan: least cost or most margin, item or family level, whole workers or not."""

    model_config = ConfigDict(frozen=True)

    objective: Objective = Objective.cost
    level: SupplyLevel = SupplyLevel.item
    integer_workforce: bool = Field(False, description="Hire and lay off whole workers.")
    time_limit: float | None = Field(None, gt=0, description="Seconds the solver may take.")


class UtilisationRow(BaseModel):
    """One resource in one month: hours available and used, and what one more hour is worth."""

    model_config = ConfigDict(frozen=True)

    resource: str
    kind: str
    location: str | None = None
    period: date
    capacity: float | None = None
    overtime_available: float | None = None
    used: float | None = None
    overtime_used: float | None = None
    relaxed: float | None = Field(None, description="Hours a hard limit had to give.")
    utilisation: float | None = Field(None, description="used / capacity (null: no capacity).")
    shadow_price: float | None = Field(
        None, description="Money one more hour (unit, for a supplier) would save the plan."
    )
    degenerate: bool | None = Field(
        None, description="The shadow price is set by a relaxation penalty, not by the hour."
    )


class BindingConstraintRow(BaseModel):
    """A limit the plan runs into, with its shadow price in money and in words."""

    model_config = ConfigDict(frozen=True)

    constraint: str
    name: str
    resource: str | None = None
    item: str | None = None
    location: str | None = None
    period: date | None = None
    shadow_price: float | None = None
    capacity: bool | None = Field(None, description="The limit is a capacity (hours, units).")
    relaxed: bool | None = Field(None, description="The limit had to give.")
    degenerate: bool | None = None
    meaning: str = Field(description="What the shadow price means, in the planner's words.")


class UnmetDemandRow(BaseModel):
    """Demand not met on time at one item, location and month, and why."""

    model_config = ConfigDict(frozen=True)

    item: str
    location: str
    period: date
    backlog: float
    lost_sales: float
    cause: str
    resource: str | None = Field(None, description="The limit behind it, when one is.")
    binding_period: date | None = None
    shadow_price: float | None = None
    supply_cost: float | None = None
    shortage_cost: float | None = None
    detail: str | None = None


class WorkforceRow(BaseModel):
    """A labour pool in one month: its people, hires, lay-offs and hours."""

    model_config = ConfigDict(frozen=True)

    resource: str
    location: str | None = None
    period: date
    workforce: float | None = None
    hires: float | None = None
    layoffs: float | None = None
    regular_hours: float | None = None
    overtime_hours: float | None = None
    hours_used: float | None = None


Row = TypeVar("Row", UtilisationRow, BindingConstraintRow, UnmetDemandRow, WorkforceRow)


class ExplanationPage(BaseModel, Generic[Row]):
    """One page of a supply plan's explanation rows within the reader's scope, how many there
    are in all, and the currency its money is in."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    currency: str
    items: list[Row]
    total: int
    limit: int
    offset: int

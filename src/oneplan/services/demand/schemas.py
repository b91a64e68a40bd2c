"""Requests and choice lists of the demand domain."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import AccuracyLevel, OverrideKind, OverrideLevel, Reconciliation, RollupLevel
from oneplan.services.moments import Moment

__all__ = [
    "AccuracyLevel",
    "DemandOptions",
    "DemandPlanPage",
    "DemandPlanRow",
    "GridPage",
    "GridRow",
    "NodeLayer",
    "NodeLayers",
    "NodeOverride",
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


class DemandPlanRow(BaseModel):
    """One member of a level in one month: the plan's layers, consensus units and value (a
    layer the version does not store, such as in a plan made by hand, is null)."""

    model_config = ConfigDict(frozen=True)

    level: str
    member: str = Field(description="Code at the level; ITEM|LOCATION; empty for the total.")
    period: date
    baseline: float | None = Field(None, description="The statistical forecast, units.")
    lifecycle_adjustment: float | None = None
    event_uplift: float | None = None
    override_adjustment: float | None = None
    quantity: float = Field(description="Consensus units.")
    value: float | None = Field(None, description="Consensus units at their net price.")


class DemandPlanPage(BaseModel):
    """One page of a demand plan's rows at one level, and how many there are in all."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    level: str
    items: list[DemandPlanRow]
    total: int
    limit: int
    offset: int


class NodeLayer(BaseModel):
    """One row of a node's planning grid: a layer, a value per month (null: not stored)."""

    model_config = ConfigDict(frozen=True)

    layer: str = Field(
        description="statistical, lifecycle, events, overrides, consensus or consensus value."
    )
    values: list[float | None]


class NodeOverride(BaseModel):
    """An override recorded at the node, as the run applied it (or why not)."""

    model_config = ConfigDict(frozen=True)

    override_id: int
    sequence: int
    period: date
    kind: str
    value: float
    reason: str
    author: str
    before: float | None = None
    after: float | None = None
    change: float | None = None
    status: str


class NodeLayers(BaseModel):
    """A node's planning grid: its layers, a column per month, and its overrides."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    level: str
    member: str
    months: list[str] = Field(description="YYYY-MM, the columns of every layer's values.")
    layers: list[NodeLayer]
    overrides: list[NodeOverride]


class GridRow(BaseModel):
    """One item at one location: consensus units per month (the columns of its page)."""

    model_config = ConfigDict(frozen=True)

    item: str
    location: str
    description: str | None = None
    family: str | None = None
    quantities: list[float]


class GridPage(BaseModel):
    """One page of the planning grid and how many item x location rows there are in all."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    months: list[str] = Field(description="YYYY-MM, the columns of every row's quantities.")
    items: list[GridRow]
    total: int
    limit: int
    offset: int

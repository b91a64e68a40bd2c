"""Requests and choice lists of the supply domain."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import MpsFormat, MpsGrain, Objective, PackageFormat, SupplyLevel

__all__ = ["MpsFormat", "MpsGrain", "Objective", "PackageFormat", "SupplyLevel", "SupplyOptions"]


class SupplyOptions(BaseModel):
    """How to plan: least cost or most margin, item or family level, whole workers or not."""

    model_config = ConfigDict(frozen=True)

    objective: Objective = Objective.cost
    level: SupplyLevel = SupplyLevel.item
    integer_workforce: bool = Field(False, description="Hire and lay off whole workers.")
    time_limit: float | None = Field(None, gt=0, description="Seconds the solver may take.")

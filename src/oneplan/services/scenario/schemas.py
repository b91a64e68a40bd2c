"""Scenario assumptions as people state them, and what a scenario looks like."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import ASSUMPTION_LEVELS, ASSUMPTION_SYNTAX, ASSUMPTION_UNITS, AssumptionKind
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.moments import Moment

__all__ = [
    "ASSUMPTION_LEVELS",
    "ASSUMPTION_UNITS",
    "Assumption",
    "AssumptionInfo",
    "AssumptionKind",
    "NewScenario",
    "ScenarioInfo",
    "ScenarioView",
]


class Assumption(BaseModel):
    """One typed assumption as a person states it (months as dates, or None: the horizon)."""

    model_config = ConfigDict(frozen=True)

    kind: AssumptionKind
    target_level: str = Field(description="item, family, location, region, resource or total")
    target: str = Field("", description="Code at that level; empty for total.")
    period_from: date | None = Field(None, description="First month it applies; None: the start.")
    period_to: date | None = Field(None, description="Last month it applies; None: the end.")
    value: float
    unit: str = Field(description="percent, units, hours, currency, service_level...")
    note: str = ""

    @classmethod
    def from_text(cls, text: str) -> Assumption:
        """``KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT`` (empty FROM/TO = the whole horizon).

        >>> Assumption.from_text("capacity_change:resource:INJ-N1:2027-03:2027-03:-100:percent")
        ... # doctest: +NORMALIZE_WHITESPACE
        Assumption(kind=<AssumptionKind.capacity_change: 'capacity_change'>,
            target_level='resource', target='INJ-N1', period_from=datetime.date(2027, 3, 1),
            period_to=datetime.date(2027, 3, 1), value=-100.0, unit='percent', note='')
        """
        where = f"assumption {text!r}"
        parts = text.split(":")
        if len(parts) != 7:
            raise ValidationFailed(
                [Problem(where, None, None, f"has {len(parts)} parts; {ASSUMPTION_SYNTAX}")]
            )
        kind, level, target, start, end, value, unit = (p.strip() for p in parts)
        problems = []
        if kind not in AssumptionKind.__members__:
            choices = ", ".join(AssumptionKind)
            problems.append(Problem(where, None, "kind", f"{kind!r} is not one of {choices}"))
        months: list[date | None] = []
        for field, given in (("period_from", start), ("period_to", end)):
            try:
                months.append(pd.Timestamp(given).date().replace(day=1) if given else None)
            except ValueError:
                problems.append(Problem(where, None, field, f"{given!r} is not a month"))
                months.append(None)
        try:
            number = float(value)
        except ValueError:
            problems.append(Problem(where, None, "value", f"{value!r} is not a number"))
            number = 0.0
        if problems:
            raise ValidationFailed(problems)
        return cls(
            kind=AssumptionKind(kind),
            target_level=level,
            target=target,
            period_from=months[0],
            period_to=months[1],
            value=number,
            unit=unit,
        )


class ScenarioRunInfo(BaseModel):
    """One stored run of a scenario."""

    model_config = ConfigDict(frozen=True)

    version_id: int
    created_at: Moment
    summary: dict[str, Any]


class ScenarioInfo(BaseModel):
    """A scenario, its parent, every assumption that applies (ancestors' first) and its runs."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: int
    name: str
    parent: str | None
    description: str
    created_at: Moment
    created_by: str
    assumptions: pd.DataFrame
    runs: list[ScenarioRunInfo]
    version: int = 1


class AssumptionInfo(Assumption):
    """An assumption as it applies in a scenario: its place among every assumption (ancestors'
    first), the scenario that holds it and its place there."""

    position: int
    scenario: str
    own_position: int


class ScenarioView(BaseModel):
    """A scenario as the API returns it: `ScenarioInfo` with its assumptions as a list."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    parent: str | None
    description: str
    created_at: Moment
    created_by: str
    assumptions: list[AssumptionInfo]
    runs: list[ScenarioRunInfo]
    version: int

    @classmethod
    def of(cls, info: ScenarioInfo) -> ScenarioView:
        records = info.assumptions.astype(object).to_dict("records")
        rows = [
            AssumptionInfo.model_validate({k: None if pd.isna(v) else v for k, v in r.items()})
            for r in records  # a handful of assumptions; NaT (the whole horizon) -> None
        ]
        fields = info.model_dump(exclude={"assumptions"})
        return cls(**fields, assumptions=rows)


class NewScenario(BaseModel):
    """A scenario to create: its name, the scenario it branches from and its assumptions."""

    model_config = ConfigDict(frozen=True)

    name: str
    parent: str | None = None
    description: str = ""
    assumptions: list[Assumption] = []

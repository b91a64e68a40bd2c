"""Scenario assumptions as people state them, and what a scenario looks like."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import ASSUMPTION_LEVELS, ASSUMPTION_SYNTAX, ASSUMPTION_UNITS, AssumptionKind
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.moments import Moment
from oneplan.services.versions.schemas import FrameDiffSummary, records

if TYPE_CHECKING:
    from oneplan.engines.diff import FrameDiff

__all__ = [
    "ASSUMPTION_LEVELS",
    "ASSUMPTION_UNITS",
    "Assumption",
    "AssumptionInfo",
    "AssumptionKind",
    "Branch",
    "ComparisonView",
    "KpiRow",
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


class Branch(BaseModel):
    """A scenario to branch from another: its name, what it is about and its own assumptions
    (the parent's apply before them)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    assumptions: list[Assumption] = []


class KpiRow(BaseModel):
    """One KPI side by side: its value in the base plan and in each scenario, by name.
    ``share``: a share of one (margin %, service level, utilisation), shown as a percentage."""

    kpi: str
    share: bool
    values: dict[str, float | str | None]


class ScenarioDiff(FrameDiffSummary):
    """A scenario's supply plan against the base: the counts, totals and the changed rows that
    moved most (keys and the ``<col>_change`` columns that moved)."""

    largest: list[dict[str, Any]] = Field(default_factory=list)


class ComparisonView(BaseModel):
    """The base plan and scenarios side by side: the plan version of each (by name, ``base``
    first), the KPIs (money, service, capacity) and each scenario's supply plan diff."""

    versions: dict[str, int]
    kpis: list[KpiRow]
    diffs: dict[str, ScenarioDiff]

    @classmethod
    def of(
        cls,
        kpis: pd.DataFrame,
        diffs: dict[str, FrameDiff],
        versions: dict[str, int],
        largest: int = 10,
    ) -> ComparisonView:
        """From `oneplan.services.scenario.compare.Comparison`'s parts; ``largest``: the
        changed rows kept per scenario."""
        from oneplan.engines.diff import largest_changes
        from oneplan.engines.kpi.figures import is_share

        rows = [
            KpiRow(
                kpi=str(kpi),
                share=is_share(str(kpi)),
                values={str(k): None if pd.isna(v) else v for k, v in values.items()},
            )
            for kpi, values in kpis.astype(object).iterrows()
        ]
        shown = {
            name: ScenarioDiff(
                **FrameDiffSummary.of(diff).model_dump(),
                largest=records(largest_changes(diff, largest)) if largest else [],
            )
            for name, diff in diffs.items()
        }
        return cls(versions=versions, kpis=rows, diffs=shown)

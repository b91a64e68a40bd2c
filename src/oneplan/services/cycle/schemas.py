"""What a step of the cycle reports (named figures with their kind), and the cycle as people move
through it: its steps, their sign-offs and the decisions of the executive meeting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from oneplan.choices import CycleStep, DecisionStatus, StepState

FigureKind = Literal["version", "count", "units", "money", "percent", "text", "file"]


class Figure(BaseModel):
    """One figure a step reports: ``money`` carries its currency in ``unit``; ``percent`` is a
    share (0.973 is 97.3 %); ``version`` a plan version id; ``file`` a path written."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: float | int | str | None
    kind: FigureKind
    unit: str = ""


class StepOutcome(BaseModel):
    """A step that ran: its name, how long it took and what it reports; ``rows``: the table a
    step answers with besides its figures (a scenario's KPI change by assumption), if any."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    seconds: float
    figures: list[Figure]
    rows: list[dict[str, Any]] | None = None


class StepInfo(BaseModel):
    """One step of a cycle as people see it: owner, approvers, due date, state, who moved it.

    ``version`` is raised by every move: give it back with a move to have the move refused
    when someone else moved the step in the meantime."""

    model_config = ConfigDict(frozen=True)

    month: str
    position: int
    name: CycleStep
    title: str
    owner_role: str
    owner_user: str | None
    approver_roles: list[str]
    due_on: date
    overdue: bool
    state: StepState
    submitted_by: str | None
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    plan_version_id: int | None
    changed_by: str
    changed_at: datetime
    version: int


class DecisionInfo(BaseModel):
    """A decision of the executive meeting; ``agenda`` is the month whose agenda holds it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    taken_in: str
    agenda: str
    text: str
    owner: str
    due_on: date | None
    status: DecisionStatus
    scenario: str | None
    issue_rank: int | None
    plan_version_id: int | None
    note: str | None
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_by: str | None
    version: int


class CycleInfo(BaseModel):
    """A cycle with its steps in order and its agenda of decisions."""

    model_config = ConfigDict(frozen=True)

    month: str
    state: Literal["open", "closed"]
    plan_version_id: int | None
    snapshot_version_id: int | None
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    steps: list[StepInfo]
    agenda: list[DecisionInfo]


class CycleOpened(BaseModel):
    """What opening a cycle did: the cycle, the plan start it set, the snapshot it kept of the
    cycle before and the open decisions it carried onto the agenda."""

    model_config = ConfigDict(frozen=True)

    cycle: CycleInfo
    plan_start: str
    previous_month: str | None
    snapshot_version_id: int | None
    carried_decisions: list[int]


KpiBasis = Literal["actual", "plan", "record", "pending", "missing"]


class CycleKpi(BaseModel):
    """One KPI of one closed cycle (docs/cycle.md, "KPIs cycle over cycle"): ``value`` is None
    when it cannot be measured, and ``basis`` and ``note`` say why; a ``share`` is of one
    (0.973 is 97.3 %), ``currency`` is in the plan's currency."""

    model_config = ConfigDict(frozen=True)

    cycle: str
    kpi: str
    layer: str = ""
    lag: int | None = None
    value: float | None
    unit: str
    basis: KpiBasis
    note: str = ""


class CycleKpis(BaseModel):
    """The KPIs of every closed cycle, oldest cycle first; ``sales_through`` is the last month
    with sales (``YYYY-MM``), ``currency`` the unit of the money KPIs."""

    model_config = ConfigDict(frozen=True)

    cycles: list[str]
    currency: str
    sales_through: str | None
    kpis: list[CycleKpi]

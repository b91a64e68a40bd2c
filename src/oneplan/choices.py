"""Every list of choices a user picks from, defined once.

The engines check their arguments against these, the database's CHECK constraints are written
from them, and each domain's ``schemas`` module re-exports the ones it speaks of, so the command
line, the API and the pages offer exactly the same words. Members are ``StrEnum``: a member
equals its text (``Objective.cost == "cost"``), so plain strings are accepted everywhere.

This module imports nothing but the standard library: the command line reads it at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class PackageFormat(StrEnum):
    """How a data package is written: a folder of CSV files, one workbook, Parquet files."""

    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class PlanKind(StrEnum):
    """What a plan version holds: the run of a step of the cycle, or a scenario run."""

    demand = "demand"
    supply = "supply"
    finance = "finance"
    scenario = "scenario"


class PlanState(StrEnum):
    """Where a plan version is in its life: draft -> proposed -> approved -> released."""

    draft = "draft"
    proposed = "proposed"
    approved = "approved"
    released = "released"
    superseded = "superseded"


class PlanAction(StrEnum):
    """A move of a plan version along its life (withdrawing it is ``supersede``)."""

    propose = "propose"
    approve = "approve"
    release = "release"


class OverrideLevel(StrEnum):
    """The hierarchy level of the demand plan node an override changes."""

    item = "item"
    family = "family"
    category = "category"
    region = "region"
    location = "location"
    total = "total"
    item_location = "item_location"


class OverrideKind(StrEnum):
    """``absolute`` sets the node's month total in units; ``relative`` changes it by a percent."""

    absolute = "absolute"
    relative = "relative"


class RollupLevel(StrEnum):
    """A level of the demand plan's hierarchy that figures are summed to."""

    total = "total"
    category = "category"
    family = "family"
    region = "region"
    location = "location"
    item = "item"


class AccuracyLevel(StrEnum):
    """The level forecast accuracy is measured at (item means item x location)."""

    item = "item"
    family = "family"
    total = "total"


class Reconciliation(StrEnum):
    """How the demand step makes its hierarchy levels agree: ``none`` sums the detail."""

    none = "none"
    mint_ols = "mint_ols"
    top_down = "top_down"


class Objective(StrEnum):
    """What the supply plan optimises."""

    cost = "cost"
    margin = "margin"


class SupplyLevel(StrEnum):
    """What the supply plan plans: items, or families of items."""

    item = "item"
    family = "family"


class MpsFormat(StrEnum):
    """The master production schedule's file format."""

    csv = "csv"
    xlsx = "xlsx"


class MpsGrain(StrEnum):
    """The master production schedule's periods: months, ISO weeks or both."""

    month = "month"
    week = "week"
    both = "both"


class Grain(StrEnum):
    """The periods a financial figure is summed over."""

    month = "month"
    quarter = "quarter"
    year = "year"


class FinanceLevel(StrEnum):
    """Whose financial figures: per product family, or the company total."""

    family = "family"
    total = "total"


class BridgeMeasure(StrEnum):
    """What a budget-to-plan bridge explains."""

    revenue = "revenue"
    margin = "margin"


class AssumptionKind(StrEnum):
    """What a scenario assumption changes."""

    demand_change = "demand_change"
    capacity_change = "capacity_change"
    cost_change = "cost_change"
    price_change = "price_change"
    subcontract = "subcontract"
    policy_change = "policy_change"
    launch_moved = "launch_moved"


#: The levels an assumption of each kind may target.
ASSUMPTION_LEVELS: dict[AssumptionKind, tuple[str, ...]] = {
    AssumptionKind.demand_change: ("item", "family", "location", "region", "total"),
    AssumptionKind.capacity_change: ("resource",),
    AssumptionKind.cost_change: ("item", "family"),
    AssumptionKind.price_change: ("item", "family"),
    AssumptionKind.subcontract: ("item", "family"),
    AssumptionKind.policy_change: ("item", "family"),
    AssumptionKind.launch_moved: ("item",),
}
#: The units an assumption of each kind may be stated in.
ASSUMPTION_UNITS: dict[AssumptionKind, tuple[str, ...]] = {
    AssumptionKind.demand_change: ("percent", "units"),
    AssumptionKind.capacity_change: ("percent", "hours"),
    AssumptionKind.cost_change: ("percent",),
    AssumptionKind.price_change: ("percent",),
    AssumptionKind.subcontract: ("currency", "units"),
    AssumptionKind.policy_change: ("service_level", "max_backlog_periods"),
    AssumptionKind.launch_moved: ("months",),
}


#: How one assumption is written as text on the command line.
ASSUMPTION_SYNTAX = (
    "write KIND:TARGET_LEVEL:TARGET:FROM:TO:VALUE:UNIT, "
    "e.g. demand_change:family:HOS:2027-05::10:percent"
)


def values(choices: type[StrEnum]) -> list[str]:
    """The texts of a choice list, in order.

    >>> values(Objective)
    ['cost', 'margin']
    """
    return [member.value for member in choices]


class CycleStep(StrEnum):
    """The steps of an S&OP month, in the order they are signed off (docs/cycle.md)."""

    gather_data = "gather_data"
    demand_review = "demand_review"
    supply_review = "supply_review"
    pre_sop = "pre_sop"
    executive_meeting = "executive_meeting"
    release = "release"


class StepState(StrEnum):
    """Where a step of the cycle is: not_started -> in_progress -> submitted -> approved -> done;
    a rejected step is back with its submitter."""

    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    done = "done"


class DecisionStatus(StrEnum):
    """Where a decision of the executive meeting is: open until done or dropped."""

    open = "open"
    done = "done"
    dropped = "dropped"


class CommentOn(StrEnum):
    """What a comment is about: the kind half of an object's (kind, key) pair (docs/cycle.md
    gives the key each kind is named by)."""

    demand_cell = "demand_cell"
    item = "item"
    family = "family"
    resource = "resource"
    scenario = "scenario"
    issue = "issue"
    plan_version = "plan_version"
    cycle_step = "cycle_step"
    decision = "decision"


class NoticeKind(StrEnum):
    """Why something is in a person's inbox."""

    step_due = "step_due"
    step_overdue = "step_overdue"
    approval_requested = "approval_requested"
    step_rejected = "step_rejected"
    mentioned = "mentioned"
    replied = "replied"
    job_succeeded = "job_succeeded"
    job_failed = "job_failed"


class MailDelivery(StrEnum):
    """How a person's notifications reach them by e-mail: one message each, one digest a day,
    or none (the inbox only)."""

    each = "each"
    daily = "daily"
    off = "off"

"""The cycle's calendar: who owns and who approves each step, and the working day of the month
it is due (docs/cycle.md).

The company sets the due days and the named owners in the ``parameters`` table
(``cycle_day_<step>`` = working day N of the month, Monday to Friday; ``cycle_owner_<step>`` =
a user's name); a step not set there takes the default below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from oneplan.choices import CycleStep
from oneplan.errors import InputError, Problem, ValidationFailed
from oneplan.services.permissions import Role

S = CycleStep


@dataclass(frozen=True)
class StepRule:
    """Who moves a step: the role that submits it and the roles that approve it (an
    administrator may do both, never on the same submission)."""

    title: str
    owner: Role
    approvers: tuple[Role, ...]
    working_day: int


#: The steps in order, with their owner, their approvers and their default due day.
RULES: dict[CycleStep, StepRule] = {
    S.gather_data: StepRule("gather data", Role.demand_planner, (Role.supply_planner,), 3),
    S.demand_review: StepRule("demand review", Role.demand_planner, (Role.executive,), 6),
    S.supply_review: StepRule("supply review", Role.supply_planner, (Role.executive,), 9),
    S.pre_sop: StepRule("pre-S&OP", Role.finance, (Role.executive,), 12),
    S.executive_meeting: StepRule("executive meeting", Role.supply_planner, (Role.executive,), 15),
    S.release: StepRule("release", Role.supply_planner, (Role.executive,), 16),
}
#: A month has at least 20 working days: a later day would fall into the next month.
LAST_DAY = 20
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, *, field: str = "month") -> date:
    """The first day of an S&OP month written ``YYYY-MM``.

    >>> parse_month("2027-03")
    datetime.date(2027, 3, 1)
    >>> parse_month("2027-3")
    Traceback (most recent call last):
    ...
    oneplan.errors.InputError: cycle, column month: is '2027-3', need a month like 2027-03
    """
    found = MONTH.match(text.strip())
    if found is None:
        raise InputError(f"is {text!r}, need a month like 2027-03", table="cycle", column=field)
    return date(int(found.group(1)), int(found.group(2)), 1)


def next_month(month: str) -> str:
    """The month after ``month``.

    >>> next_month("2027-12"), next_month("2027-03")
    ('2028-01', '2027-04')
    """
    first = parse_month(month)
    year, index = divmod(first.year * 12 + first.month, 12)
    return f"{year}-{index + 1:02d}"


def previous_month(month: str) -> str:
    """The month before ``month``.

    >>> previous_month("2028-01")
    '2027-12'
    """
    first = parse_month(month)
    year, index = divmod(first.year * 12 + first.month - 2, 12)
    return f"{year}-{index + 1:02d}"


def template(values: Mapping[str, str]) -> dict[CycleStep, tuple[int, str | None]]:
    """Each step's working day and named owner from the parameters (name -> value), defaults
    where not set. Every bad value is reported at once.

    >>> template({"cycle_day_demand_review": "5", "cycle_owner_release": "sam"})[S.demand_review]
    (5, None)
    >>> template({"cycle_owner_release": "sam"})[S.release]
    (16, 'sam')
    >>> template({"cycle_day_pre_sop": "31"})
    Traceback (most recent call last):
    ...
    oneplan.errors.ValidationFailed: 1 problem(s) found; nothing was changed:
      - parameters, column cycle_day_pre_sop: is '31', need a working day from 1 to 20
    """
    problems = []
    days: dict[CycleStep, tuple[int, str | None]] = {}
    for step, rule in RULES.items():
        name = f"cycle_day_{step.value}"
        text = values.get(name, str(rule.working_day)).strip()
        day = int(text) if text.isdigit() else 0
        if not 1 <= day <= LAST_DAY:
            message = f"is {text!r}, need a working day from 1 to {LAST_DAY}"
            problems.append(Problem("parameters", None, name, message))
        owner = (values.get(f"cycle_owner_{step.value}") or "").strip() or None
        days[step] = (day, owner)
    if problems:
        raise ValidationFailed(problems)
    return days


def due_dates(month: str, working_days: Mapping[CycleStep, int]) -> dict[CycleStep, date]:
    """The date of working day N (Monday to Friday) of ``month`` for each step.

    >>> dates = due_dates("2027-03", {S.gather_data: 1, S.demand_review: 6})
    >>> [f"{d:%a %d}" for d in dates.values()]
    ['Mon 01', 'Mon 08']
    """
    first = np.datetime64(parse_month(month), "D")
    steps = list(working_days)
    offsets = np.array([working_days[s] - 1 for s in steps])
    due = np.busday_offset(first, offsets, roll="forward")
    return {s: d.astype(date) for s, d in zip(steps, due, strict=True)}

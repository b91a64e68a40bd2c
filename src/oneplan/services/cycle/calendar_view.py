"""The cycle's calendar as the company has set it: each step's owner, approvers, working day
and named owner, and whether the ``parameters`` table or the default decides it."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from oneplan.db.models import Parameter
from oneplan.services.actor import Actor
from oneplan.services.cycle.calendar import RULES, template
from oneplan.services.permissions import Permission, require_some


class CalendarStep(BaseModel):
    """One step of the calendar every cycle is opened from."""

    model_config = ConfigDict(frozen=True)

    step: str
    title: str
    owner_role: str
    approvers: list[str]
    working_day: int
    owner_user: str | None
    set_in_parameters: bool
    """Whether the ``parameters`` table sets its day or owner (else the defaults hold)."""


def cycle_calendar(session: Session, actor: Actor) -> list[CalendarStep]:
    """The steps in order; a bad parameter is refused as `ValidationFailed`, naming it."""
    require_some(actor, Permission.read)
    values = {
        p.name: p.value
        for p in session.scalars(
            sa.select(Parameter).where(Parameter.name.startswith("cycle_", autoescape=True))
        )
    }
    days = template(values)
    return [
        CalendarStep(
            step=step.value,
            title=rule.title,
            owner_role=rule.owner.value,
            approvers=[r.value for r in rule.approvers],
            working_day=days[step][0],
            owner_user=days[step][1],
            set_in_parameters=any(
                f"cycle_{kind}_{step.value}" in values for kind in ("day", "owner")
            ),
        )
        for step, rule in RULES.items()
    ]

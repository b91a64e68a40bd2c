"""Change or remove one of a scenario's own assumptions, named by its place in the scenario.

Each edit names the scenario's version as the person read it: when someone changed the
scenario since, the edit is refused (`Stale`) with the scenario as it is now. An ancestor's
assumption is changed in the ancestor, not through the scenarios that branch from it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.scenarios import Scenario, ScenarioAssumption
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.permissions import Permission, require, require_some
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import (
    ASSUMPTION_FIELDS,
    SUBJECT,
    _check,
    _check_version,
    _stored,
    assumption_targets,
    get_scenario,
)


def _own(session: Session, scenario: Scenario, position: int) -> ScenarioAssumption:
    found = session.scalars(
        sa.select(ScenarioAssumption).where(
            ScenarioAssumption.scenario_id == scenario.id,
            ScenarioAssumption.position == position,
        )
    ).first()
    if found is None:
        raise NotFound(
            f"scenario {scenario.name!r} has no assumption of its own at position {position}"
        )
    return found


def _as_stated(row: ScenarioAssumption) -> Assumption:
    return Assumption(**{f: getattr(row, f) for f in (*ASSUMPTION_FIELDS, "note")})


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}


def change_assumption(
    session: Session,
    actor: Actor,
    name: str,
    position: int,
    assumption: Assumption,
    *,
    expected: int | None = None,
) -> int:
    """Replace the scenario's own assumption at ``position`` (its place in the scenario, as
    `show_scenario` gives it in ``own_position``); returns the scenario's new version. A scoped
    grant changes an assumption whose old and new targets are both within its scope."""
    require_some(actor, Permission.edit_scenario)
    scenario = get_scenario(session, name, lock=True)
    _check_version(session, actor, scenario, expected)
    row = _own(session, scenario, position)
    before = _as_stated(row)
    _check(session, [assumption], position)
    require(actor, Permission.edit_scenario, assumption_targets(session, [before, assumption]))
    for field, value in _stored(assumption).items():
        setattr(row, field, value)
    scenario.version += 1
    session.flush()
    detail = {
        "position": position,
        "before": _plain(_stored(before)),
        "after": _plain(_stored(assumption)),
    }
    record(session, actor, "scenario.change_assumption", SUBJECT, scenario.id, detail)
    return scenario.version


def remove_assumption(
    session: Session, actor: Actor, name: str, position: int, *, expected: int | None = None
) -> int:
    """Remove the scenario's own assumption at ``position``; the later ones move up one place,
    so the scenario's own assumptions stay numbered 1, 2, ... Returns the new version."""
    require_some(actor, Permission.edit_scenario)
    scenario = get_scenario(session, name, lock=True)
    _check_version(session, actor, scenario, expected)
    row = _own(session, scenario, position)
    removed = _as_stated(row)
    require(actor, Permission.edit_scenario, assumption_targets(session, [removed]))
    session.delete(row)
    session.flush()
    later = session.scalars(
        sa.select(ScenarioAssumption)
        .where(
            ScenarioAssumption.scenario_id == scenario.id, ScenarioAssumption.position > position
        )
        .order_by(ScenarioAssumption.position)
    ).all()
    for each in later:  # one at a time, in order: the (scenario, position) pair stays unique
        each.position -= 1
        session.flush()
    scenario.version += 1
    session.flush()
    detail = {"position": position, "removed": _plain(_stored(removed))}
    record(session, actor, "scenario.remove_assumption", SUBJECT, scenario.id, detail)
    return scenario.version

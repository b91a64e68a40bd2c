"""Whether a scenario's newest run still shows it: a run keeps the assumptions it applied (its
parents' included), so a scenario changed since (an assumption added, changed or removed, here
or in a parent) is known to need a new run before its figures are compared."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.scenarios import Scenario
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require_some
from oneplan.services.scenario.service import (
    ASSUMPTION_FIELDS,
    _json_ready,
    assumptions_of,
    scenario_runs,
)


def _stated(records: list[dict[str, Any]] | None) -> list[tuple[Any, ...]]:
    return [
        tuple(float(r[f]) if f == "value" else r.get(f) for f in ASSUMPTION_FIELDS)
        for r in records or []
    ]


def changed_since_run(session: Session, actor: Actor) -> set[str]:
    """The names of the scenarios whose assumptions differ from those their newest run
    applied (a scenario never run is not in the set)."""
    require_some(actor, Permission.read)
    changed: set[str] = set()
    for scenario in session.scalars(sa.select(Scenario).order_by(Scenario.name)):
        runs = scenario_runs(session, scenario)
        if not runs:
            continue
        applied = (runs[0].settings or {}).get("assumptions")
        now = _json_ready(assumptions_of(session, scenario))
        if _stated(applied) != _stated(now):
            changed.add(scenario.name)
    return changed

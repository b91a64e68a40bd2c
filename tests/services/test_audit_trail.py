"""Imports and overrides leave an audit event in the same transaction as the change."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.demand.overrides import add_override
from oneplan.services.demand.schemas import OverrideIn


def test_an_import_is_audited(engine: sa.Engine, prepare: Any, actor: Actor) -> None:
    import_id = prepare.import_demo(engine)
    with unit_of_work(engine, write=False) as session:
        found = events(session, actor, subject_type="import")
        rows = session.execute(sa.text("SELECT count(*) FROM items")).scalar_one()
    assert [(e.action, e.subject_id, e.actor) for e in found] == [
        ("import.done", str(import_id), "tester")
    ]
    assert found[0].detail["tables"]["items"]["inserted"] == rows


def test_an_override_is_audited_and_a_refused_one_is_not(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    change = {"level": "total", "period": "2027-03", "kind": "relative", "value": 10.0}
    with unit_of_work(engine) as session:
        stored = add_override(
            session, Actor.administrator("maria"), OverrideIn(**change, reason="trade fair")
        )
    with pytest.raises(ValidationFailed), unit_of_work(engine) as session:
        add_override(session, actor, OverrideIn(**change, reason=""))
    with unit_of_work(engine, write=False) as session:
        found = events(session, actor, subject_type="demand_override")
    assert [(e.action, e.subject_id, e.actor) for e in found] == [
        ("demand.override", str(stored.id), "maria")
    ]
    assert found[0].detail["reason"] == "trade fair"
    assert found[0].detail["value"] == 10.0

"""Once a database has users, a plan is approved by someone else than its author or proposer;
a database without users (one person) keeps approving its own plans."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.versions.lifecycle import adopt, transition
from oneplan.services.versions.store import save_version

ANN, BOB, EVE = (Actor.administrator(name) for name in ("ann", "bob", "eve"))


def made_by(engine: sa.Engine, author: Actor, kind: str = "demand") -> int:
    with unit_of_work(engine) as session:
        return save_version(
            session,
            author,
            cycle="2027-01",
            kind=kind,
            name="by hand",
            frames={"consensus": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash="h",
        ).id


def with_users(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        for actor in (ANN, BOB, EVE):
            create_user(session, ANN, actor.name, grants=[Grant(Role.admin)])


def move(engine: sa.Engine, actor: Actor, version_id: int, action: str) -> str:
    with unit_of_work(engine) as session:
        return transition(session, actor, version_id, action).version.state


def test_the_author_or_the_proposer_may_not_approve(engine: sa.Engine) -> None:
    with_users(engine)
    version_id = made_by(engine, ANN)
    move(engine, BOB, version_id, "propose")
    for who, did in ((ANN, "made"), (BOB, "proposed")):
        with pytest.raises(PermissionDenied, match=f"they {did} it"):
            move(engine, who, version_id, "approve")
    assert move(engine, EVE, version_id, "approve") == "approved"


def test_the_author_of_a_scenario_run_may_not_adopt_it(engine: sa.Engine) -> None:
    with_users(engine)
    version_id = made_by(engine, ANN, kind="scenario")
    with pytest.raises(PermissionDenied, match="may not adopt"), unit_of_work(engine) as session:
        adopt(session, ANN, version_id)
    with unit_of_work(engine) as session:
        assert adopt(session, EVE, version_id).version.state == "released"


def test_a_database_without_users_approves_its_own_plans(engine: sa.Engine) -> None:
    version_id = made_by(engine, ANN)
    move(engine, ANN, version_id, "propose")
    assert move(engine, ANN, version_id, "approve") == "approved"

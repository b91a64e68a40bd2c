"""Two people doing the same thing at the same moment: one wins and the other waits for it or
gets a clear conflict, never a database traceback; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict
from oneplan.services.actor import Actor
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import add_assumption, create_scenario, show_scenario

UP = Assumption(kind="demand_change", target_level="total", value=5.0, unit="percent")


def in_turns(engine: sa.Engine, first: Any, second: Any) -> list[object]:
    """Run ``first`` in a transaction held open while ``second`` starts in another thread; the
    first commits only once the second had time to reach the database. Returns both outcomes."""
    outcomes: list[object] = [None, None]
    started, go_on = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with unit_of_work(engine) as session:
                outcomes[0] = first(session)
                started.set()
                go_on.wait(timeout=20)
        except Exception as error:  # recorded and asserted on by the test
            outcomes[0] = error
            started.set()

    def race() -> None:
        try:
            with unit_of_work(engine) as session:
                outcomes[1] = second(session)
        except Exception as error:  # recorded and asserted on by the test
            outcomes[1] = error

    holder = threading.Thread(target=hold)
    holder.start()
    assert started.wait(timeout=20)
    racer = threading.Thread(target=race)
    racer.start()
    racer.join(timeout=1.0)  # the racer waits for the holder's lock (or fails at once)
    go_on.set()
    holder.join(timeout=30)
    racer.join(timeout=30)
    return outcomes


def test_two_scenarios_of_one_name_at_once_give_one_and_a_conflict(
    engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    outcomes = in_turns(
        engine,
        lambda s: create_scenario(s, Actor.administrator("ann"), "q3 push"),
        lambda s: create_scenario(s, Actor.administrator("bob"), "q3 push"),
    )
    assert not isinstance(outcomes[0], Exception), outcomes
    assert isinstance(outcomes[1], Conflict), outcomes
    assert "q3 push" in str(outcomes[1]) or "same moment" in str(outcomes[1])


def test_two_assumptions_added_at_once_both_land_in_order(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        create_scenario(session, Actor.administrator("ann"), "more")
    outcomes = in_turns(
        engine,
        lambda s: add_assumption(s, Actor.administrator("ann"), "more", UP),
        lambda s: add_assumption(s, Actor.administrator("bob"), "more", UP),
    )
    assert sorted(outcomes) == [1, 2], outcomes  # type: ignore[type-var]
    with unit_of_work(engine, write=False) as session:
        shown = show_scenario(session, Actor.administrator("ann"), "more")
    assert shown.assumptions["own_position"].tolist() == [1, 2]


def test_two_overrides_added_to_one_cycle_at_once_are_numbered_in_turn(
    engine: sa.Engine, prepare: Any
) -> None:
    from oneplan.services.demand.overrides import add_override
    from oneplan.services.demand.schemas import OverrideIn

    prepare.import_demo(engine)
    change = OverrideIn(level="total", period="2027-03", kind="relative", value=5.0, reason="x")
    outcomes = in_turns(
        engine,
        lambda s: add_override(s, Actor.administrator("ann"), change).sequence,
        lambda s: add_override(s, Actor.administrator("bob"), change).sequence,
    )
    assert sorted(outcomes) == [1, 2], outcomes  # type: ignore[type-var]


def test_two_approvers_signing_one_step_off_at_once_give_one_approval(engine: sa.Engine) -> None:
    from oneplan.services.cycle.moves import approve_step, submit_step
    from oneplan.services.cycle.service import open_cycle

    ann, bob, eve = (Actor.administrator(name) for name in ("ann", "bob", "eve"))
    with unit_of_work(engine) as session:
        open_cycle(session, ann, "2027-03")
        submit_step(session, ann, "gather_data")
    outcomes = in_turns(
        engine,
        lambda s: approve_step(s, bob, "gather_data").state,
        lambda s: approve_step(s, eve, "gather_data").state,
    )
    assert outcomes[0] == "approved", outcomes
    assert isinstance(outcomes[1], Conflict), outcomes
    assert "it is approved" in str(outcomes[1])

"""The audit trail is a hash chain: verify holds on an honest trail, names an edited or a
deleted event, and concurrent writers queue instead of forking the chain."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from oneplan.db import migrate
from oneplan.db.audit import GENESIS
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.audit.verify import verify_chain

ANN = Actor.administrator("ann")


def write_events(engine: sa.Engine, count: int) -> list[int]:
    ids = []
    for number in range(count):
        with unit_of_work(engine) as session:
            detail = {"from": "draft", "to": "proposed", "value": 1.5 * number, "note": "é"}
            ids.append(record(session, ANN, "plan.propose", "plan_version", number, detail).id)
    return ids


def check(engine: sa.Engine) -> object:
    with unit_of_work(engine, write=False) as session:
        return verify_chain(session, ANN)


def test_an_honest_trail_holds_and_each_event_links_to_the_one_before(engine: sa.Engine) -> None:
    ids = write_events(engine, 4)
    found = check(engine)
    assert found.broken is None and found.events == 4 and found.last_event_id == ids[-1]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, previous_id, previous_hash, hash FROM audit_events ORDER BY id")
        ).all()
    assert rows[0].previous_id is None and rows[0].previous_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert (after.previous_id, after.previous_hash) == (before.id, before.hash)
    assert found.last_hash == rows[-1].hash


def test_an_empty_trail_holds(engine: sa.Engine) -> None:
    found = check(engine)
    assert found.broken is None and found.events == 0


def test_a_rolled_back_event_leaves_a_gap_in_the_ids_but_not_in_the_chain(
    engine: sa.Engine,
) -> None:
    write_events(engine, 1)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        record(session, ANN, "plan.propose", "plan_version", 9, {})
        raise RuntimeError("the change failed")
    write_events(engine, 1)
    assert check(engine).broken is None


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE id = :id",
        'UPDATE audit_events SET detail = \'{"from": "draft", "to": "released"}\' WHERE id = :id',
        "UPDATE audit_events SET at = :at WHERE id = :id",
    ],
)
def test_an_edited_event_is_named(engine: sa.Engine, edit: str) -> None:
    ids = write_events(engine, 5)
    with engine.begin() as connection:
        connection.execute(sa.text(edit), {"id": ids[2], "at": datetime(2020, 1, 1, tzinfo=UTC)})
    broken = check(engine).broken
    assert broken is not None and (broken.kind, broken.event_id) == ("edited", ids[2])
    assert f"event {ids[2]} was edited" in broken.message


def test_an_edited_event_whose_hash_was_worked_out_again_is_named(engine: sa.Engine) -> None:
    """A forger who also rewrites the edited event's own hash still breaks the next link."""
    from oneplan.db.audit import AuditEvent, hash_of

    ids = write_events(engine, 5)
    with unit_of_work(engine) as session:
        event = session.get(AuditEvent, ids[1])
        assert event is not None
        event.actor = "mallory"
        event.hash = hash_of(event)
    broken = check(engine).broken
    assert broken is not None and (broken.kind, broken.event_id) == ("edited", ids[1])


def test_a_deleted_event_is_named(engine: sa.Engine) -> None:
    ids = write_events(engine, 5)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})
    found = check(engine)
    assert found.broken is not None
    assert (found.broken.kind, found.broken.event_id) == ("deleted", ids[2])
    assert found.events == 2  # the two before it hold


@pytest.mark.parametrize("which", ["first", "last"])
def test_the_first_or_the_newest_event_deleted_is_named(engine: sa.Engine, which: str) -> None:
    ids = write_events(engine, 3)
    gone = ids[0] if which == "first" else ids[-1]
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": gone})
    broken = check(engine).broken
    assert broken is not None and (broken.kind, broken.event_id) == ("deleted", gone)


def test_concurrent_writers_do_not_fork_the_chain(engine: sa.Engine) -> None:
    """Eight writers at once, each writing events in transactions of its own: every event
    links to a different one before it and the chain holds end to end."""
    writers, each = 8, 6
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            for step in range(each):
                with unit_of_work(engine) as session:
                    actor = Actor.administrator(f"writer{number}")
                    record(session, actor, "demand.override", "demand_override", step, {})
                    # stay in the transaction a moment, so that the others queue behind it
                    session.execute(sa.text("SELECT 1"))
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    found = check(engine)
    assert found.broken is None and found.events == writers * each
    with engine.connect() as connection:
        links = connection.execute(sa.text("SELECT previous_hash FROM audit_events")).scalars()
        links = list(links)
    assert len(set(links)) == len(links)  # no two events extend the same one


def test_the_chain_would_fork_without_the_lock(
    postgres_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race test can fail: with the head read without its lock, two PostgreSQL writers
    extend the same event and verify names the fork."""
    import oneplan.services.audit.service as audit

    migrate.upgrade(postgres_engine)
    unlocked: Callable[..., object] = audit.chain_head
    monkeypatch.setattr(audit, "chain_head", lambda s, lock=False: unlocked(s, lock=False))
    both_read = threading.Barrier(2)

    def write(name: str) -> None:
        with unit_of_work(postgres_engine) as session:
            head = audit.chain_head(session)
            assert head is not None
            both_read.wait()  # both have read the same head before either writes
            record(session, Actor.administrator(name), "x.y", "t", 1, {})

    threads = [threading.Thread(target=write, args=(n,)) for n in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    broken = check(postgres_engine).broken
    assert broken is not None and broken.kind == "edited"


def test_the_migration_hashes_the_events_already_there(
    db_kind: str, make_engine: Callable[[str], sa.Engine]
) -> None:
    engine = make_engine(db_kind)
    migrate.upgrade(engine, "0006")
    with engine.begin() as connection:
        for number in range(3):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (at, actor, action, subject_type, subject_id, "
                    "detail) VALUES (:at, 'ann', 'import.done', 'import', :id, :detail)"
                ),
                {
                    "at": datetime(2026, 11, 1, 9, number, tzinfo=UTC),
                    "id": str(number),
                    "detail": '{"rows": 3, "tables": {"items": 30}}',
                },
            )
    migrate.upgrade(engine)
    found = check(engine)
    assert found.broken is None and found.events == 3
    write_events(engine, 1)  # the chain goes on from the migrated events
    assert check(engine).events == 4 and check(engine).broken is None
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET actor = 'bob' WHERE subject_id = '1'"))
    broken = check(engine).broken
    assert broken is not None and broken.kind == "edited"


def test_a_time_in_another_zone_is_kept_in_utc_and_the_chain_holds(engine: sa.Engine) -> None:
    from datetime import timedelta, timezone

    paris = datetime(2027, 1, 5, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    with unit_of_work(engine) as session:
        record(session, ANN, "plan.propose", "plan_version", 1, {}, at=paris)
    assert check(engine).broken is None

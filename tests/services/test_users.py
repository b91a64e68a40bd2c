"""Users in the database: no default user, the first one an administrator, argon2id password
hashes, API tokens stored as hashes, and the local user's actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from oneplan.db.session import unit_of_work
from oneplan.db.users import ApiToken, User
from oneplan.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.permissions import Grant, Role
from oneplan.services.users import actors, tokens
from oneplan.services.users import service as users
from oneplan.services.users.credentials import token_digest

PASSWORD = "correct horse battery staple"
ROOT = Actor.administrator("root")  # the local user of a database without users
ADMIN = Grant(Role.admin)


def first_admin(engine: sa.Engine, name: str = "alice") -> None:
    with unit_of_work(engine) as session:
        users.create_user(session, ROOT, name, password=PASSWORD, grants=[ADMIN])


def actor(engine: sa.Engine, name: str) -> Actor:
    with unit_of_work(engine, write=False) as session:
        return actors.local_actor(session, name)


def test_a_database_without_users_trusts_its_local_user_as_an_administrator(
    engine: sa.Engine,
) -> None:
    assert actor(engine, "anyone") == Actor.administrator("anyone")


def test_the_first_user_must_be_an_administrator_over_everything(engine: sa.Engine) -> None:
    for grants in ([], [Grant(Role.viewer)], [Grant(Role.admin, locations=frozenset({"X"}))]):
        with (
            pytest.raises(Conflict, match="first user must be an administrator"),
            unit_of_work(engine) as session,
        ):
            users.create_user(session, ROOT, "alice", password=PASSWORD, grants=grants)
    first_admin(engine)
    with unit_of_work(engine, write=False) as session:
        listed = users.list_users(session, actor(engine, "alice"))
    assert [(u.name, u.active, u.has_password, [g.role for g in u.grants]) for u in listed] == [
        ("alice", True, True, [Role.admin])
    ]


def test_once_there_are_users_the_local_user_must_be_an_active_one(engine: sa.Engine) -> None:
    first_admin(engine)
    with pytest.raises(PermissionDenied, match="'stranger' is not a user of this database"):
        actor(engine, "stranger")
    alice = actor(engine, "alice")
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "bob", password=PASSWORD, grants=[Grant(Role.viewer)])
    assert actor(engine, "bob") == Actor("bob", frozenset({Grant(Role.viewer)}))
    with unit_of_work(engine) as session:
        users.disable_user(session, alice, "bob")
    with pytest.raises(PermissionDenied, match="'bob' is disabled"):
        actor(engine, "bob")


def test_the_password_is_stored_as_an_argon2id_hash_and_checked(engine: sa.Engine) -> None:
    first_admin(engine)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with unit_of_work(engine) as session:
        assert tokens.authenticate_password(session, "alice", PASSWORD).name == "alice"
    for name, password in (("alice", PASSWORD + "!"), ("nobody", PASSWORD)):
        with pytest.raises(PermissionDenied) as refused, unit_of_work(engine) as session:
            tokens.authenticate_password(session, name, password)
        assert str(refused.value) == tokens.REFUSED  # the same words: no name is revealed


def test_a_hash_with_weaker_parameters_is_replaced_at_the_next_log_in(engine: sa.Engine) -> None:
    first_admin(engine)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE users SET password_hash = :h"), {"h": weak})
    with unit_of_work(engine) as session:
        tokens.authenticate_password(session, "alice", PASSWORD)
    with engine.connect() as connection:
        now = connection.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert now != weak and "m=65536,t=3,p=4" in now


def test_a_disabled_user_cannot_log_in(engine: sa.Engine) -> None:
    first_admin(engine)
    alice = actor(engine, "alice")
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "bob", password=PASSWORD, grants=[ADMIN])
        users.disable_user(session, alice, "bob")
    with pytest.raises(PermissionDenied), unit_of_work(engine) as session:
        tokens.authenticate_password(session, "bob", PASSWORD)


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "at least 12"), ("x" * 300, "at most 256"), ("Carol-Carol-", None)],
)
def test_a_weak_password_is_refused_and_nothing_is_stored(
    engine: sa.Engine, password: str, problem: str | None
) -> None:
    first_admin(engine)
    name = "carol-carol-" if problem is None else "carol"
    with pytest.raises(ValidationFailed) as refused, unit_of_work(engine) as session:
        users.create_user(session, actor(engine, "alice"), name, password=password)
    assert refused.value.problems[0].column == "password"
    assert problem is None or problem in str(refused.value)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 1


def test_people_change_their_own_password_only_unless_they_manage_users(
    engine: sa.Engine,
) -> None:
    first_admin(engine)
    with unit_of_work(engine) as session:
        for name in ("bob", "carol"):
            users.create_user(
                session, actor(engine, "alice"), name, password=PASSWORD, grants=[Grant(Role.sales)]
            )
    bob = actor(engine, "bob")
    with unit_of_work(engine) as session:
        users.set_password(session, bob, "bob", "a new long passphrase")
    with pytest.raises(PermissionDenied, match="manage_users"), unit_of_work(engine) as session:
        users.set_password(session, bob, "carol", "a new long passphrase")
    with unit_of_work(engine) as session:
        assert tokens.authenticate_password(session, "bob", "a new long passphrase").name == "bob"
        found = events(session, bob, "user", "bob", action="user.password")
    assert [e.actor for e in found] == ["bob"] and "hash" not in str(found[0].detail)


def test_grants_carry_their_scope_and_are_checked_against_the_master_data(
    engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    first_admin(engine)
    alice = actor(engine, "alice")
    hoses = Grant(Role.sales, families=frozenset({"HOS"}), locations=frozenset({"DC-CENTRAL"}))
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "sam", password=PASSWORD, grants=[hoses])
        users.grant(session, alice, "sam", Grant(Role.viewer))
    assert actor(engine, "sam").grants == frozenset({hoses, Grant(Role.viewer)})
    with pytest.raises(ValidationFailed) as refused, unit_of_work(engine) as session:
        users.grant(session, alice, "sam", Grant(Role.sales, families=frozenset({"HOSE"})))
    assert refused.value.problems[0].column == "families"
    assert "did you mean HOS?" in str(refused.value)
    with (
        pytest.raises(Conflict, match="holds sales for families HOS"),
        unit_of_work(engine) as session,
    ):
        users.grant(session, alice, "sam", hoses)
    with unit_of_work(engine) as session:
        users.revoke(session, alice, "sam", Role.sales)
    assert actor(engine, "sam").grants == frozenset({Grant(Role.viewer)})
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        users.revoke(session, alice, "sam", Role.finance)


def test_the_last_administrator_cannot_be_disabled_or_lose_the_role(engine: sa.Engine) -> None:
    first_admin(engine)
    alice = actor(engine, "alice")
    with (
        pytest.raises(Conflict, match="last active administrator"),
        unit_of_work(engine) as session,
    ):
        users.disable_user(session, alice, "alice")
    with (
        pytest.raises(Conflict, match="last active administrator"),
        unit_of_work(engine) as session,
    ):
        users.revoke(session, alice, "alice", Role.admin)
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "bob", password=PASSWORD, grants=[ADMIN])
        users.revoke(session, alice, "alice", Role.admin)
    assert actor(engine, "alice").grants == frozenset()


def test_only_those_who_manage_users_create_disable_or_grant(engine: sa.Engine) -> None:
    first_admin(engine)
    with unit_of_work(engine) as session:
        users.create_user(
            session, actor(engine, "alice"), "bob", password=PASSWORD, grants=[Grant(Role.finance)]
        )
    bob = actor(engine, "bob")
    calls = [
        lambda s: users.create_user(s, bob, "eve", password=PASSWORD, grants=[ADMIN]),
        lambda s: users.grant(s, bob, "bob", ADMIN),
        lambda s: users.disable_user(s, bob, "alice"),
        lambda s: users.revoke(s, bob, "alice", Role.admin),
    ]
    for call in calls:
        with (
            pytest.raises(PermissionDenied, match=r"bob \(finance\) may not manage users"),
            unit_of_work(engine) as session,
        ):
            call(session)
    assert actor(engine, "bob").grants == frozenset({Grant(Role.finance)})


def test_a_token_is_shown_once_stored_as_a_hash_and_acts_as_its_user(engine: sa.Engine) -> None:
    first_admin(engine)
    alice = actor(engine, "alice")
    with unit_of_work(engine) as session:
        made = tokens.create_token(session, alice, "alice", "excel on my laptop", days=30)
    assert made.token.startswith("op_") and len(made.token) > 40
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT token_hash, prefix FROM api_tokens")).one()
    assert row.token_hash == token_digest(made.token) and made.token not in row
    assert made.token.startswith(row.prefix)
    with unit_of_work(engine) as session:
        assert tokens.authenticate_token(session, made.token) == alice
    with unit_of_work(engine, write=False) as session:
        listed = tokens.list_tokens(session, alice, "alice")
    assert [(t.label, t.last_used_at is not None) for t in listed] == [("excel on my laptop", True)]
    with unit_of_work(engine) as session:
        tokens.revoke_token(session, alice, "alice", made.info.id)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as session:
        tokens.authenticate_token(session, made.token)


def test_an_expired_token_a_wrong_one_or_a_disabled_users_is_refused(engine: sa.Engine) -> None:
    first_admin(engine)
    alice = actor(engine, "alice")
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "bob", password=None, grants=[Grant(Role.viewer)])
        expiring = tokens.create_token(session, alice, "alice", "short", days=1).token
        bobs = tokens.create_token(session, alice, "bob", "bob's script").token
        session.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == token_digest(expiring))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with unit_of_work(engine) as session:
        assert tokens.authenticate_token(session, bobs).name == "bob"
        users.disable_user(session, alice, "bob")
    for token in (expiring, bobs, "op_" + "x" * 43):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as session:
            tokens.authenticate_token(session, token)


def test_tokens_of_others_need_manage_users(engine: sa.Engine) -> None:
    first_admin(engine)
    with unit_of_work(engine) as session:
        users.create_user(
            session, actor(engine, "alice"), "bob", password=PASSWORD, grants=[Grant(Role.viewer)]
        )
    bob = actor(engine, "bob")
    with unit_of_work(engine) as session:
        own = tokens.create_token(session, bob, "bob", "mine")
    for call in (
        lambda s: tokens.create_token(s, bob, "alice", "hers"),
        lambda s: tokens.list_tokens(s, bob, "alice"),
    ):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as session:
            call(session)
    with unit_of_work(engine) as session:
        assert tokens.revoke_token(session, bob, "bob", own.info.id).revoked_at is not None
    with pytest.raises(ValidationFailed), unit_of_work(engine) as session:
        tokens.create_token(session, bob, "bob", "too long", days=400)


def test_every_change_to_a_user_is_audited(engine: sa.Engine) -> None:
    first_admin(engine)
    alice = actor(engine, "alice")
    with unit_of_work(engine) as session:
        users.create_user(session, alice, "bob", password=PASSWORD, grants=[Grant(Role.viewer)])
        users.grant(session, alice, "bob", Grant(Role.finance))
        users.revoke(session, alice, "bob", Role.viewer)
        users.set_password(session, alice, "bob", "another long passphrase")
        users.disable_user(session, alice, "bob")
    with unit_of_work(engine, write=False) as session:
        found = events(session, alice, "user", "bob")
        version = session.scalars(sa.select(User.version).where(User.name == "bob")).one()
    assert [(e.actor, e.action) for e in found] == [
        ("alice", "user.create"),
        ("alice", "user.grant"),
        ("alice", "user.revoke"),
        ("alice", "user.password"),
        ("alice", "user.disable"),
    ]
    assert version > 1  # every change raises the version a stale edit is checked against

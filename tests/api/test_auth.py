"""Log-in sessions, CSRF, fixation, the throttle on failed log-ins, and API tokens."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.api.deps import CSRF_HEADER, SESSION_COOKIE
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.db.users import ApiToken
from oneplan.services.permissions import Role
from oneplan.services.users.service import disable_user, revoke

from .conftest import ADMIN, PASSWORD, People


def _cookie_line(answer: object, name: str) -> str:
    lines = answer.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return next(line for line in lines if line.startswith(f"{name}="))


def _use_session(api: TestClient, session_id: str) -> None:
    """Make the client's browser hold this session id (and nothing else)."""
    api.cookies.clear()
    api.cookies.set(SESSION_COOKIE, session_id, domain="testserver.local")


def test_no_user_no_log_in(api: TestClient) -> None:
    """A new database has no default user: nobody can log in."""
    for name, password in (("admin", "admin"), ("root", "root"), ("oneplan", PASSWORD)):
        answer = api.post("/auth/login", json={"name": name, "password": password})
        assert answer.status_code == 401
    assert api.get("/me").status_code == 401


def test_log_in_sets_an_httponly_samesite_cookie_and_keeps_only_its_hash(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    answer, _ = people.log_in("ann")
    assert answer.status_code == 200, answer.text
    line = _cookie_line(answer, SESSION_COOKIE)
    assert "HttpOnly" in line and "SameSite=lax" in line and "Path=/" in line
    session_id = api.cookies[SESSION_COOKIE]
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT session_hash FROM login_sessions")).scalars()
        assert list(stored) == [hashlib.sha256(session_id.encode()).hexdigest()]
    me = api.get("/me")
    assert me.status_code == 200
    assert me.json()["user"]["name"] == "ann" and me.json()["permissions"] == ["read"]


def test_a_change_with_the_cookie_needs_the_csrf_token(api: TestClient, people: People) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    _, csrf = people.log_in("ann")
    body = {"label": "laptop"}
    assert api.post("/me/tokens", json=body).status_code == 403
    wrong = api.post("/me/tokens", json=body, headers={CSRF_HEADER: "not-the-token"})
    assert wrong.status_code == 403
    assert "X-CSRF-Token" in wrong.json()["detail"]
    assert api.post("/me/tokens", json=body, headers=csrf).status_code == 201
    assert api.get("/me/tokens").status_code == 200  # reading needs no token


def test_a_change_with_the_cookie_from_another_origin_is_refused(
    api: TestClient, people: People
) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    _, csrf = people.log_in("ann")
    body = {"label": "laptop"}
    foreign = api.post("/me/tokens", json=body, headers={**csrf, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.headers["content-type"] == "application/problem+json"
    detail = foreign.json()["detail"]
    assert "'https://evil.example'" in detail and "'http://testserver'" in detail
    assert api.post("/me/tokens", json=body, headers={**csrf, "Origin": "null"}).status_code == 403
    own = api.post("/me/tokens", json=body, headers={**csrf, "Origin": "http://testserver"})
    assert own.status_code == 201
    assert api.post("/me/tokens", json=body, headers=csrf).status_code == 201  # no Origin: CSRF
    assert api.get("/me/tokens", headers={"Origin": "https://evil.example"}).status_code == 200
    people.add("sam", Role.viewer)
    token = {**people.as_("sam"), "Origin": "https://evil.example"}
    api.cookies.clear()
    assert api.post("/me/tokens", json=body, headers=token).status_code == 201  # a token: no cookie


def test_a_log_in_always_starts_a_new_session(api: TestClient, people: People) -> None:
    """Session fixation: an id planted in the browser before the log-in is never used, and a
    second log-in ends the first session."""
    people.add("ann", Role.viewer, password=PASSWORD)
    api.cookies.set(SESSION_COOKIE, "planted-by-someone-else", domain="testserver.local")
    people.log_in("ann")
    first = api.cookies[SESSION_COOKIE]
    assert first != "planted-by-someone-else"
    people.log_in("ann")
    second = api.cookies[SESSION_COOKIE]
    assert second != first
    _use_session(api, first)
    assert api.get("/me").status_code == 401
    _use_session(api, second)
    assert api.get("/me").status_code == 200


def test_log_out_ends_the_session(api: TestClient, people: People) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    _, csrf = people.log_in("ann")
    session_id = api.cookies[SESSION_COOKIE]
    assert api.post("/auth/logout").status_code == 403  # a change: the CSRF token is needed
    assert api.post("/auth/logout", headers=csrf).status_code == 204
    _use_session(api, session_id)
    assert api.get("/me").status_code == 401


def test_a_password_change_ends_the_other_sessions(
    api: TestClient, people: People, engine: sa.Engine, api_settings: Settings
) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    with TestClient(create_app(api_settings, engine)) as laptop:
        assert laptop.post("/auth/login", json={"name": "ann", "password": PASSWORD}).is_success
        _, csrf = people.log_in("ann")
        new = "a brand new passphrase"
        changed = api.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": new},
            headers=csrf,
        )
        assert changed.status_code == 200, changed.text
        assert laptop.get("/me").status_code == 401
        assert api.get("/me").status_code == 200  # this browser got a new session
        fresh = {CSRF_HEADER: changed.json()["csrf_token"]}
        assert api.post("/me/tokens", json={"label": "x"}, headers=fresh).status_code == 201
    assert people.log_in("ann", PASSWORD)[0].status_code == 401
    assert people.log_in("ann", new)[0].status_code == 200


def test_a_wrong_current_password_changes_nothing(api: TestClient, people: People) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    _, csrf = people.log_in("ann")
    body = {"current_password": "not my password", "new_password": "a brand new passphrase"}
    assert api.post("/auth/password", json=body, headers=csrf).status_code == 403
    assert api.get("/me").status_code == 200
    for _ in range(2):  # with the first: the test's limit of 3 failures for the account
        assert api.post("/auth/password", json=body, headers=csrf).status_code == 403
    right = {**body, "current_password": PASSWORD}
    held = api.post("/auth/password", json=right, headers=csrf)
    assert held.status_code == 429  # guessing the password with a stolen session waits too


def test_failed_log_ins_are_throttled_per_account_across_workers(
    api: TestClient, people: People, engine: sa.Engine, api_settings: Settings
) -> None:
    """Three failures for ann (the test's limit) and even her right password waits, in this
    worker and in another one over the same database; other accounts are not held up."""
    people.add("ann", Role.viewer, password=PASSWORD)
    people.add("bob", Role.viewer, password=PASSWORD)
    for _ in range(3):
        assert people.log_in("ann", "a wrong guess!!")[0].status_code == 401
    held = people.log_in("ann")[0]
    assert held.status_code == 429
    assert int(held.headers["Retry-After"]) > 0
    assert held.headers["content-type"] == "application/problem+json"
    with TestClient(create_app(api_settings, engine)) as other_worker:
        again = other_worker.post("/auth/login", json={"name": "ann", "password": PASSWORD})
        assert again.status_code == 429
    assert people.log_in("bob")[0].status_code == 200


def test_failed_log_ins_are_throttled_per_address(api: TestClient, people: People) -> None:
    """Six failures from one address (the test's limit), spread over names that may not even
    exist, and nobody logs in from there for a while."""
    people.add("ann", Role.viewer, password=PASSWORD)
    for name in ("x1", "x2", "x3", "x4", "x5", "x6"):
        assert people.log_in(name, "a wrong guess!!")[0].status_code == 401
    assert people.log_in("ann")[0].status_code == 429


def test_a_success_clears_the_accounts_failures(api: TestClient, people: People) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    for _ in range(2):
        people.log_in("ann", "a wrong guess!!")
    assert people.log_in("ann")[0].status_code == 200
    for _ in range(2):
        people.log_in("ann", "a wrong guess!!")
    assert people.log_in("ann")[0].status_code == 200


def test_a_token_needs_no_csrf_and_a_bad_one_is_refused(api: TestClient, people: People) -> None:
    people.add("ann", Role.viewer)
    made = api.post("/me/tokens", json={"label": "script"}, headers=people.as_("ann"))
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("op_")
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/me", headers=bearer).json()["user"]["name"] == "ann"
    refused = api.get("/me", headers={"Authorization": "Bearer op_not-a-token"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    token_id = made.json()["info"]["id"]
    assert api.delete(f"/me/tokens/{token_id}", headers=bearer).status_code == 200
    assert api.get("/me", headers=bearer).status_code == 401


def test_a_disabled_users_session_and_tokens_stop(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    people.log_in("ann")
    with unit_of_work(engine) as session:
        disable_user(session, ADMIN, "ann")
    assert api.get("/me").status_code == 401
    api.cookies.clear()
    assert api.get("/me", headers=people.as_("ann")).status_code == 401


def test_someone_without_a_grant_logs_in_and_sees_only_themselves(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("ann", Role.viewer, password=PASSWORD)
    with unit_of_work(engine) as session:
        revoke(session, ADMIN, "ann", Role.viewer)
    answer, _ = people.log_in("ann")
    assert answer.status_code == 200, answer.text
    me = api.get("/me").json()
    assert me["user"]["grants"] == [] and me["permissions"] == []
    assert api.get("/plan-versions").status_code == 403


def _last_used(engine: sa.Engine) -> list[object]:
    with unit_of_work(engine, write=False) as session:
        return list(session.scalars(sa.select(ApiToken.last_used_at).order_by(ApiToken.id)))


def test_a_read_stamps_the_tokens_last_use_once_a_minute(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("ann", Role.viewer)
    assert _last_used(engine)[-1] is None
    assert api.get("/plan-versions", headers=people.as_("ann")).status_code == 200
    stamped = _last_used(engine)[-1]
    assert stamped is not None  # the first use is written at once
    assert api.get("/plan-versions", headers=people.as_("ann")).status_code == 200
    assert _last_used(engine)[-1] == stamped  # not again within the minute
    with unit_of_work(engine) as session:
        session.execute(sa.update(ApiToken).values(last_used_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert api.get("/me", headers=people.as_("ann")).status_code == 200
    assert str(_last_used(engine)[-1]) > "2020-01-02"


def test_a_read_does_not_wait_for_a_writer(
    api: TestClient, people: People, engine: sa.Engine
) -> None:
    people.add("ann", Role.viewer)
    assert api.get("/me", headers=people.as_("ann")).status_code == 200  # stamped: nothing due
    with unit_of_work(engine) as writer:  # a change in progress: on SQLite, the write lock
        writer.execute(sa.select(ApiToken).with_for_update()).all()  # PostgreSQL: the token's row
        started = time.monotonic()
        assert api.get("/plan-versions", headers=people.as_("ann")).status_code == 200
        assert time.monotonic() - started < 5

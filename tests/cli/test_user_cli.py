"""`oneplan user ...` and `oneplan audit verify` on a SQLite file: the first administrator, the
local user's grants, tokens shown once, passwords never in options or output."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oneplan.cli.main import app
from oneplan.config import get_settings

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def act_as(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("ONEPLAN_USER", name)
    get_settings.cache_clear()


def test_the_first_administrator_then_only_users_act(monkeypatch: pytest.MonkeyPatch) -> None:
    # the database has no users: the local user ("planner") acts as an administrator
    code, out = run("user", "create", "alice", "--role", "viewer", "--password-stdin", stdin="x")
    assert code == 4 and "first user must be an administrator" in out
    code, out = run(
        "user", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0 and "user alice created: admin" in out
    code, out = run("user", "list")  # planner is no user of this database any more
    assert code == 5 and "'planner' is not a user of this database" in out
    act_as(monkeypatch, "alice")
    code, out = run(
        "user", "create", "vic", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0
    code, out = run("user", "list")
    assert code == 0 and "alice" in out and "vic" in out and "viewer" in out
    act_as(monkeypatch, "vic")
    code, out = run("user", "grant", "vic", "admin")
    assert code == 5 and "vic (viewer) may not manage users" in out
    act_as(monkeypatch, "alice")
    assert run("user", "disable", "vic")[0] == 0
    act_as(monkeypatch, "vic")
    code, out = run("user", "list")
    assert code == 5 and "disabled" in out


def test_the_password_is_prompted_twice_hidden_and_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = run("user", "create", "alice", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and PASSWORD not in out
    act_as(monkeypatch, "alice")
    code, out = run("user", "set-password", "alice", stdin="tiny pw\ntiny pw\n")
    assert code == 2 and "has 7 characters; at least 12 are needed" in out
    assert "tiny pw" not in out


def test_grant_and_revoke_with_a_scope(monkeypatch: pytest.MonkeyPatch, prepare: object) -> None:
    from oneplan.cli.common import database

    prepare.import_demo(database())  # type: ignore[attr-defined]
    run("user", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    act_as(monkeypatch, "alice")
    code, out = run("user", "create", "sam", "--role", "sales", "-f", "HOS", "--no-password")
    assert code == 0 and "sales for families HOS" in out
    code, out = run("user", "grant", "sam", "sales", "--family", "HOSE")
    assert code == 2 and "'HOSE' is not in families; did you mean HOS?" in out
    code, out = run("user", "grant", "sam", "sales", "--family", "SPR", "--location", "PL-NORTH")
    assert code == 0 and "sales for families SPR and locations PL-NORTH" in out
    code, out = run("user", "revoke", "sam", "sales", "--family", "HOS")
    assert code == 0 and "families HOS" not in out and "families SPR" in out
    code, out = run("user", "grant", "sam", "boss")
    assert code == 2 and "'boss' is not one of admin" in out


def test_a_token_is_shown_once(monkeypatch: pytest.MonkeyPatch) -> None:
    run("user", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    act_as(monkeypatch, "alice")
    code, out = run("user", "token", "create", "excel", "--days", "30")
    assert code == 0 and "shown this once" in out
    token = next(word for word in out.split() if word.startswith("op_"))
    code, listed = run("user", "token", "list")
    assert code == 0 and token not in listed and token[:10] in listed and "valid" in listed
    assert run("user", "token", "revoke", "1")[0] == 0
    code, listed = run("user", "token", "list")
    assert "revoked" in listed


def test_audit_verify_names_an_edited_event(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("user", "create", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    act_as(monkeypatch, "alice")
    code, out = run("audit", "verify")
    assert code == 0 and "1 event(s) hold" in out
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE audit_events SET actor = 'mallory'")
    code, out = run("audit", "verify")
    assert code == 6 and "event 1 was edited" in out

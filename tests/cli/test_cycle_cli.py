"""The cycle's workflow and the decision log on the command line, end to end on a SQLite file."""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from oneplan.cli.common import database
from oneplan.cli.cycle import register
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.versions.store import save_version

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
cycle_app = typer.Typer(no_args_is_help=True)
register(app, cycle_app)
app.add_typer(cycle_app, name="cycle")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def supply_version(month: str) -> int:
    with unit_of_work(database()) as session:
        return save_version(
            session,
            Actor.administrator("maker"),
            cycle=month,
            kind="supply",
            name="base plan",
            frames={"supply_plan": pd.DataFrame({"quantity": [1.0]})},
            settings={},
            summary={"status": "optimal"},
            input_hash="h",
        ).id


def test_a_month_walked_through_on_the_command_line() -> None:
    code, out = run("cycle", "open", "2027-03")
    assert code == 0, out
    assert "cycle 2027-03; the plan starts 2027-03-01" in out
    assert "executive_meeting" in out and "2027-03-19" in out
    code, out = run("cycle", "submit", "demand_review")
    assert code == 4
    assert "before the gather data is approved" in out
    assert run("cycle", "submit", "gather_data")[0] == 0
    code, out = run("cycle", "reject", "gather_data", "--reason", "stock file is a week old")
    assert (code, "is rejected" in out, "stock file is a week old" in out) == (0, True, True)
    code, out = run("cycle", "status")
    assert "rejected" in out and "note: gather_data: stock file is a week old" in out
    for step in ("gather_data", "demand_review", "supply_review", "pre_sop"):
        assert run("cycle", "submit", step)[0] == 0
        code, out = run("cycle", "approve", step)
        assert code == 0 and "is approved (by planner)" in out
    code, out = run("cycle", "submit", "executive_meeting")
    assert code == 2 and "plan_version" in out
    version_id = supply_version("2027-03")
    code, out = run("cycle", "submit", "executive_meeting", "--version", str(version_id))
    assert code == 0, out
    assert run("cycle", "approve", "executive_meeting")[0] == 0
    code, out = run("cycle", "reopen", "supply_review", "--reason", "a press broke down")
    assert code == 0, out
    assert "pre-S&OP returns to in_progress" in out
    assert "executive meeting returns to in_progress" in out
    for step in ("supply_review", "pre_sop", "executive_meeting"):
        assert run("cycle", "submit", step)[0] == 0  # the plan put forward is kept
        assert run("cycle", "approve", step)[0] == 0, step
    assert run("cycle", "submit", "release")[0] == 0
    code, out = run("cycle", "approve", "release")
    assert code == 0 and "release of 2027-03 is done" in out
    code, out = run("cycle", "status", "2027-03")
    assert f"Cycle 2027-03 (closed), plan version #{version_id}" in out
    code, out = run("cycle", "open")
    assert code == 0 and "cycle 2027-04" in out
    assert f"2027-03 keeps plan version #{version_id} as its snapshot" in out


def test_a_stale_or_unknown_move_is_refused() -> None:
    run("cycle", "open", "2027-03")
    run("cycle", "submit", "gather_data")
    code, out = run("cycle", "approve", "gather_data", "--expect", "1")
    assert code == 4 and "since you read it" in out
    assert run("cycle", "approve", "gather_data", "--expect", "2")[0] == 0
    code, out = run("cycle", "status", "2026-01")
    assert code == 3 and "there is no cycle 2026-01" in out
    assert run("cycle", "approve", "lunch")[0] == 2
    code, out = run("cycle", "reopen", "gather_data")
    assert code == 2 and "--reason" in out
    code, out = run("cycle", "assign", "demand_review", "--user", "dora", "--due", "2027-03-10")
    assert code == 0 and "submitted by dora, due 2027-03-10" in out
    code, out = run("cycle", "assign", "gather_data", "--user", "")
    assert code == 4 and "locked" in out


def test_the_decision_log() -> None:
    code, out = run("decision", "list")
    assert code == 0 and "Decisions (0)" in out
    run("cycle", "open", "2027-03")
    code, out = run(
        "decision", "add", "Second shift on press P2 from May", "--owner", "sam",
        "--due", "2027-04-15", "--issue", "2",
    )  # fmt: skip
    assert code == 0 and "decision 1 of 2027-03, owned by sam" in out
    run("decision", "add", "Drop the blue hose", "--owner", "dora")
    code, out = run("decision", "close", "2", "--dropped", "--note", "a key account needs it")
    assert code == 0 and "decision 2 is dropped" in out
    code, out = run("decision", "list", "--status", "open")
    assert "Decisions (1)" in out and "Second shift on press P2" in out and "issue 2" in out
    assert run("decision", "close", "2")[0] == 4
    code, out = run("decision", "add", "x", "--owner", "sam", "--scenario", "nowhere")
    assert code == 3 and "no scenario named 'nowhere'" in out


def test_a_person_without_the_role_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with unit_of_work(database()) as session:
        create_user(session, Actor.administrator("ann"), "ann", grants=[Grant(Role.admin)])
        create_user(session, Actor.administrator("ann"), "vic", grants=[Grant(Role.viewer)])
    monkeypatch.setenv("ONEPLAN_USER", "ann")
    get_settings.cache_clear()
    assert run("cycle", "open", "2027-03")[0] == 0
    assert run("cycle", "submit", "gather_data")[0] == 0
    code, out = run("cycle", "approve", "gather_data")
    assert code == 5 and "they submitted it" in out
    monkeypatch.setenv("ONEPLAN_USER", "vic")
    get_settings.cache_clear()
    code, out = run("cycle", "approve", "gather_data")
    assert code == 5 and "vic (viewer) may not approve the gather data" in out

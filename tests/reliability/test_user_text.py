"""What people type is shown as typed: names with brackets or colons never break a command or
turn into markup or emoji, for the one who typed them or anybody after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oneplan.cli.main import app
from oneplan.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONEPLAN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ONEPLAN_USER", "planner")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def invoke(*args: str, user: str | None = None) -> Any:
    env = {"ONEPLAN_USER": user} if user is not None else {}
    if user is not None:
        get_settings.cache_clear()
    result = runner.invoke(app, list(args), env=env, terminal_width=200)
    get_settings.cache_clear()
    return result


@pytest.mark.parametrize("name", ["q3 [/x]", "[bold]loud[/bold]", "hoses :family: up", "[/]"])
def test_a_scenario_name_with_markup_is_shown_as_typed(cli_db: Path, name: str) -> None:
    created = invoke("scenario", "create", name)
    assert created.exit_code == 0, created.output
    assert name in created.output
    listed = invoke("scenario", "list")
    assert listed.exit_code == 0, listed.output
    assert name in listed.output
    shown = invoke("scenario", "show", name)
    assert shown.exit_code == 0 and name in shown.output


def test_an_actor_name_with_markup_never_breaks_the_audit_trail(cli_db: Path) -> None:
    made = invoke("scenario", "create", "plain", user="eve [/]")
    assert made.exit_code == 0, made.output
    trail = invoke("audit")
    assert trail.exit_code == 0, trail.output
    assert "eve [/]" in trail.output


def test_help_shows_colons_as_typed() -> None:
    shown = runner.invoke(app, ["scenario", "assume", "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "demand_change:family:HOS" in shown.output.replace("\n", "")
    assert "\N{FAMILY}" not in shown.output


def test_an_actor_name_too_long_is_refused_before_anything_is_written(cli_db: Path) -> None:
    refused = invoke("scenario", "create", "x", user="a" * 150)
    assert refused.exit_code == 2, refused.output
    assert "user, column name: has 150 characters; at most 100" in refused.output
    assert "x" not in invoke("scenario", "list").output.split("Scenarios (0)")[-1]


def test_a_new_sqlite_file_is_readable_by_its_owner_only(cli_db: Path) -> None:
    assert invoke("plan", "list").exit_code == 0
    assert oct(os.stat(cli_db).st_mode & 0o777) == oct(0o600)

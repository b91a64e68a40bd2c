"""Every command-line test runs against a SQLite file of its own, from a scratch folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from oneplan.config import get_settings


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """ONEPLAN_DATABASE_URL points at a fresh file, the user is "planner", and the working folder
    is the test's own (the cycle writes its executive pack under ./reports)."""
    path = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONEPLAN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ONEPLAN_USER", "planner")
    get_settings.cache_clear()  # settings are read once per process: read them again
    yield path
    get_settings.cache_clear()


@pytest.fixture
def plan_by_hand(prepare: object) -> Callable[[], None]:
    """A call that imports the demo, stores the hand-made consensus (no forecast: fast) and runs
    the real supply step, on the command line's database; a call, so that a test can first check
    what the commands say before any plan exists."""
    from oneplan.cli.common import database

    def make() -> None:
        prepare.plan(database())  # type: ignore[attr-defined]

    return make

"""Every command-line test runs against a SQLite file of its own, from a scratch folder."""

from __future__ import annotations

from collections.abc import Iterator
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

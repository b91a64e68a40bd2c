"""Every command-line test runs against a SQLite file of its own, from a scratch folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from oneplan.cli.common import engine
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.services.imports import import_package
from oneplan.services.plans import save_version
from oneplan.services.supply import run_supply


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
def plan_by_hand(demo_csv: Path, demo_frames: dict[str, pd.DataFrame]) -> Callable[[], None]:
    """A call that imports the demo, stores a consensus repeating last year's sales one year on
    (no forecast: fast) and runs the real supply step; a call, so that a test can first check
    what the commands say before any plan exists."""

    def make() -> None:
        db = engine()
        import_package(db, demo_csv, settings=get_settings())
        history = demo_frames["sales_history"]
        last = history[history["period"] >= pd.Timestamp("2026-01-01")]
        consensus = last.assign(period=last["period"] + pd.DateOffset(years=1))
        with unit_of_work(db) as session:
            save_version(
                session,
                cycle="2027-01",
                kind="demand",
                name="consensus by hand",
                frames={"consensus": consensus[["item", "location", "period", "quantity"]]},
                settings={},
                summary={},
                input_hash="-",
                user="planner",
            )
        run_supply(db, settings=get_settings())

    return make

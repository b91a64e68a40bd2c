"""How long scenarios take on the 150-item demo company: run, compare and explain.

Run: .venv/bin/python bench/scenarios.py
The demo is imported into a temporary SQLite file, a stand-in demand plan (each plan month
repeats the same month of the last history year) is stored and the base supply plan is run.
Prints one line per step: seconds, the Python heap peak of the step (tracemalloc) and the
process's peak resident memory so far.
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pandas as pd
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.datapack import write_package
from oneplan.db import migrate
from oneplan.db.session import unit_of_work
from oneplan.demo import build_demo_company
from oneplan.services import scenarios
from oneplan.services.imports import import_package
from oneplan.services.plans import save_version
from oneplan.services.scenario_attribution import attribute_kpis
from oneplan.services.scenario_compare import compare_scenarios
from oneplan.services.scenarios import Assumption
from oneplan.services.supply import run_supply

T = TypeVar("T")
KEYS = ["item", "location", "period"]
SCENARIOS = {
    "hoses +10%": [Assumption("demand_change", "family", "HOS", None, None, 10.0, "percent")],
    "press down March": [
        Assumption(
            "capacity_change",
            "resource",
            "INJ-N1",
            date(2027, 3, 1),
            date(2027, 3, 1),
            -100.0,
            "percent",
        )
    ],
    "sprinklers -15%": [Assumption("demand_change", "family", "SPR", None, None, -15.0, "percent")],
    "storage dearer": [
        Assumption("price_change", "family", "STO", date(2027, 6, 1), None, 5.0, "percent")
    ],
    "three changes": [
        Assumption("demand_change", "family", "HOS", None, None, 10.0, "percent"),
        Assumption(
            "capacity_change",
            "resource",
            "INJ-N1",
            date(2027, 3, 1),
            date(2027, 3, 1),
            -100.0,
            "percent",
        ),
        Assumption("price_change", "family", "HOS", date(2027, 6, 1), None, 5.0, "percent"),
    ],
}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, step: Callable[[], T]) -> T:
    tracemalloc.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    heap = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"| {label:<44} | {seconds:7.2f} | {heap:9.0f} | {peak_mib():8.0f} |")
    return result


def stand_in_demand(history: pd.DataFrame) -> pd.DataFrame:
    """Each plan month repeats the same month of the last year of history (18 months)."""
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    first = history["period"].max() + pd.DateOffset(months=1)
    months = pd.date_range(first, periods=18, freq="MS")
    copies = [last.assign(period=last["period"] + pd.DateOffset(months=k)) for k in (12, 24)]
    frame = pd.concat(copies, ignore_index=True)
    kept: pd.DataFrame = frame[frame["period"].isin(months)][[*KEYS, "quantity"]]
    return kept.reset_index(drop=True)


def main() -> None:
    frames = build_demo_company()
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "package"
        write_package(frames, package)
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db", user="bench")
        engine = sa.create_engine(settings.database_url)
        migrate.upgrade(engine)
        import_package(engine, package, settings=settings)
        with unit_of_work(engine) as session:
            save_version(
                session,
                cycle="2027-01",
                kind="demand",
                name="stand-in",
                frames={"consensus": stand_in_demand(frames["sales_history"])},
                settings={},
                summary={},
                input_hash="-",
                user="bench",
            )
            for name, assumptions in SCENARIOS.items():
                scenarios.create_scenario(session, name, user="bench", assumptions=assumptions)
        print(f"{len(frames['items'])} items, {len(SCENARIOS)} scenarios\n")
        print(f"| {'step':<44} | {'seconds':>7} | {'heap MiB':>9} | {'peak MiB':>8} |")
        print(f"|{'-' * 46}|{'-' * 9}|{'-' * 11}|{'-' * 10}|")
        timed("base supply plan", lambda: run_supply(engine, settings=settings))
        run = timed(
            "run scenario: one family's demand +10 %",
            lambda: scenarios.run_scenario(engine, "hoses +10%", settings),
        )
        for name in list(SCENARIOS)[1:]:
            scenarios.run_scenario(engine, name, settings)
        timed("compare five scenarios", lambda: compare_scenarios(engine, list(SCENARIOS)))
        timed(
            "explain three assumptions (4 re-plans)",
            lambda: attribute_kpis(engine, "three changes", settings),
        )
        phases = ", ".join(
            f"{k} {v:.2f} s" for k, v in {**run.seconds, **run.result.seconds}.items()
        )
        print(f"\nscenario run by phase: {phases}")
        engine.dispose()


if __name__ == "__main__":
    main()

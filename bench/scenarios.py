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
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.scenario.compare import compare_scenarios
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import create_scenario, explain_run, scenario_run
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.store import save_version

T = TypeVar("T")
KEYS = ["item", "location", "period"]
ACTOR = Actor.administrator("bench")
MARCH = date(2027, 3, 1)
JUNE = date(2027, 6, 1)
HOSES_UP = Assumption(
    kind="demand_change", target_level="family", target="HOS", value=10.0, unit="percent"
)
PRESS_DOWN = Assumption(
    kind="capacity_change",
    target_level="resource",
    target="INJ-N1",
    period_from=MARCH,
    period_to=MARCH,
    value=-100.0,
    unit="percent",
)
SCENARIOS = {
    "hoses +10%": [HOSES_UP],
    "press down March": [PRESS_DOWN],
    "sprinklers -15%": [
        Assumption(
            kind="demand_change", target_level="family", target="SPR", value=-15.0, unit="percent"
        )
    ],
    "storage dearer": [
        Assumption(
            kind="price_change",
            target_level="family",
            target="STO",
            period_from=JUNE,
            value=5.0,
            unit="percent",
        )
    ],
    "three changes": [
        HOSES_UP,
        PRESS_DOWN,
        Assumption(
            kind="price_change",
            target_level="family",
            target="HOS",
            period_from=JUNE,
            value=5.0,
            unit="percent",
        ),
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
        files = read_package_files(package, settings)
        with unit_of_work(engine) as session:
            import_package(session, ACTOR, files)
        with unit_of_work(engine) as session:
            save_version(
                session,
                ACTOR,
                cycle="2027-01",
                kind="demand",
                name="stand-in",
                frames={"consensus": stand_in_demand(frames["sales_history"])},
                settings={},
                summary={},
                input_hash="-",
            )
            for name, assumptions in SCENARIOS.items():
                create_scenario(session, ACTOR, name, assumptions=assumptions)
        print(f"{len(frames['items'])} items, {len(SCENARIOS)} scenarios\n")
        print(f"| {'step':<44} | {'seconds':>7} | {'heap MiB':>9} | {'peak MiB':>8} |")
        print(f"|{'-' * 46}|{'-' * 9}|{'-' * 11}|{'-' * 10}|")
        timed("base supply plan", lambda: run_phased(engine, supply_run(ACTOR)))
        run = timed(
            "run scenario: one family's demand +10 %",
            lambda: run_phased(engine, scenario_run(ACTOR, "hoses +10%")),
        )
        for name in list(SCENARIOS)[1:]:
            run_phased(engine, scenario_run(ACTOR, name))

        def compare() -> object:
            with unit_of_work(engine, write=False) as session:
                return compare_scenarios(session, ACTOR, list(SCENARIOS))

        timed("compare five scenarios", compare)
        timed(
            "explain three assumptions (4 re-plans)",
            lambda: run_phased(engine, explain_run(ACTOR, "three changes")),
        )
        supply_seconds = run.planned.supply.seconds
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in {**run.seconds, **supply_seconds}.items())
        print(f"\nscenario run by phase: {phases}")
        engine.dispose()


if __name__ == "__main__":
    main()

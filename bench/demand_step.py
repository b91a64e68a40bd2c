"""The demand step of the 150-item demo company, end to end on a fresh SQLite database.

Builds the demo package, imports it, runs the demand step (statistical forecast, lifecycle,
events, overrides, pricing, roll-up, store), then records two overrides and runs it again (the
forecast of an unchanged history is reused). Prints seconds per phase and peak memory.

    .venv/bin/python bench/demand_step.py [--items 150] [--n-jobs 1] [--n-windows 2]
        [--reconciliation mint_ols|top_down]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from oneplan.choices import Reconciliation
from oneplan.config import Settings
from oneplan.datapack import package_schema, write_package
from oneplan.db import migrate
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.demo import build_demo_company
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.demand.schemas import DemandOptions, OverrideIn
from oneplan.services.demand.service import demand_run


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--n-windows", type=int, default=2)
    parser.add_argument("--reconciliation", choices=["mint_ols", "top_down"], default=None)
    args = parser.parse_args()

    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        clock = time.perf_counter()
        write_package(
            build_demo_company(items=args.items, seed=args.seed),
            root / "package",
            format="csv",
            schema=package_schema(),
        )
        settings = Settings(database_url=f"sqlite:///{root / 'bench.db'}", user="bench")
        engine = create_db_engine(settings.database_url, settings)
        migrate.upgrade(engine)
        actor = Actor.administrator(settings.user)
        files = read_package_files(root / "package", settings)
        with unit_of_work(engine) as session:
            import_package(session, actor, files)
        rows.append(("build and import the demo package", time.perf_counter() - clock))

        options = DemandOptions(
            n_jobs=args.n_jobs,
            n_windows=args.n_windows,
            reconciliation=args.reconciliation or Reconciliation.none,
        )
        clock, cpu = time.perf_counter(), time.process_time()
        first = run_phased(engine, demand_run(actor, options))
        total, cpu = time.perf_counter() - clock, time.process_time() - cpu
        rows += [(f"  first run: {name}", seconds) for name, seconds in first.seconds.items()]
        rows.append(("demand step, first run (total)", total))
        # CPU seconds of this process: the figure a busy shared machine distorts least
        rows.append(("demand step, first run (CPU seconds)", cpu))

        overrides = [
            OverrideIn(
                level="family", member="HOS", period="2027-03", kind="relative",
                value=15.0, reason="bench",
            ),
            OverrideIn(
                level="total", member="", period="2027-04", kind="absolute",
                value=float(first.frames["consensus"]["quantity"].sum() / 18), reason="bench",
            ),
        ]  # fmt: skip
        with unit_of_work(engine) as session:
            add_overrides(session, actor, overrides)
        clock = time.perf_counter()
        again = run_phased(engine, demand_run(actor, options))
        rows.append(("demand step, re-run with 2 overrides", time.perf_counter() - clock))
        engine.dispose()

    s = first.summary
    print(
        f"demand step: {args.items} items, n_jobs={args.n_jobs}, n_windows={args.n_windows}, "
        f"reconciliation={args.reconciliation}"
    )
    print(
        f"{s['series']} series forecast ({s['fell_back']} fell back), "
        f"{len(first.frames['consensus']):,} consensus cells, mean WAPE {s['mean_wape']:.1%}, "
        f"reused on re-run: {again.summary['forecast_reused']}"
    )
    width = max(len(name) for name, _ in rows)
    print(f"{'phase':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}")
    print(f"{'peak resident memory (MiB)':<{width}}  {peak_mib():7.0f}")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

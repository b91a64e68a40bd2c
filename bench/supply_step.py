"""Supply step benchmark: the demo company's supply plan end to end on a SQLite file.

    .venv/bin/python bench/supply_step.py --items 150

Builds the demo company (`oneplan.demo.build_demo_company`), imports it, stores a stand-in
demand plan version (seasonal naive: each plan month repeats the same month of the last year
of sales history, per item and location; the demand step will replace it), then runs the
supply step (read from the database, safety stock, build, solve the constrained and the
unconstrained plan, explain, project, store) and prints the seconds per phase, the plan's
size and status, and the peak memory. ``--postgres URL`` runs on a PostgreSQL schema instead.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.demo import build_demo_company
from oneplan.engines.supply.mps import schedule_frames
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.supply.schemas import SupplyOptions
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.store import save_version


def stand_in_demand(history: pd.DataFrame, start: pd.Timestamp, months: int) -> pd.DataFrame:
    """Seasonal naive forecast: the same calendar month of the last twelve months of history."""
    last = history[history["period"] > history["period"].max() - pd.DateOffset(months=12)]
    horizon = pd.date_range(start, periods=months, freq="MS")
    years = range(1, months // 12 + 3)
    shifted = [last.assign(period=last["period"] + pd.DateOffset(years=k)) for k in years]
    demand = pd.concat(shifted, ignore_index=True)
    demand = demand[demand["period"].isin(horizon)]
    return demand[["item", "location", "period", "quantity"]].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--objective", choices=["cost", "margin"], default="cost")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL (default: SQLite file)")
    args = parser.parse_args()

    clock = time.perf_counter()
    tables = build_demo_company(items=args.items, seed=7)
    params = dict(zip(tables["parameters"]["name"], tables["parameters"]["value"], strict=True))
    start, months = pd.Timestamp(params["plan_start"]), int(params["horizon_periods"])
    demand = stand_in_demand(tables["sales_history"], start, months)
    built = time.perf_counter() - clock

    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "package"
        from oneplan.datapack import package_schema, write_package

        write_package(tables, package, format="csv", schema=package_schema())
        schema = f"bench_{uuid.uuid4().hex[:8]}" if args.postgres else None
        if args.postgres:
            admin = sa.create_engine(args.postgres)
            with admin.begin() as connection:
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
            engine = sa.create_engine(
                args.postgres, connect_args={"options": f"-csearch_path={schema}"}
            )
            settings = Settings(database_url=args.postgres, user="bench")
        else:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            settings = Settings(database_url=url, user="bench")
            engine = create_db_engine(url, settings)
        actor = Actor.administrator(settings.user)
        try:
            migrate.upgrade(engine)
            clock = time.perf_counter()
            files = read_package_files(package, settings)
            with unit_of_work(engine) as session:
                import_package(session, actor, files)
            imported = time.perf_counter() - clock
            with unit_of_work(engine) as session:
                save_version(
                    session,
                    actor,
                    cycle=start.strftime("%Y-%m"),
                    kind="demand",
                    name="stand-in: seasonal naive",
                    frames={"consensus": demand},
                    settings={},
                    summary={},
                    input_hash="-",
                )
            clock = time.perf_counter()
            options = SupplyOptions(objective=args.objective)
            result = run_phased(engine, supply_run(actor, options))
            total = time.perf_counter() - clock
            clock = time.perf_counter()
            mps = schedule_frames(result.run.plan.plan, "both")
            mps_seconds = time.perf_counter() - clock
        finally:
            engine.dispose()
            if args.postgres:
                with admin.begin() as connection:
                    connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")

    plan = result.run.plan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    database = f"{'PostgreSQL' if args.postgres else 'SQLite'}, objective {args.objective}"
    print(
        f"demo company: {args.items} items, {len(plan.plan):,} item x location x months, "
        f"{len(plan.utilisation):,} resource-months; {database}"
    )
    print(f"(not in the step: build demo {built:.2f} s, import {imported:.2f} s)")
    print(f"{'phase':<34}{'seconds':>9}")
    for phase, seconds in result.seconds.items():
        print(f"{phase:<34}{seconds:>9.2f}")
    print(f"{'  of which HiGHS (constrained)':<34}{plan.solve_seconds:>9.2f}")
    print(f"{'  of which HiGHS (unconstrained)':<34}{result.run.unconstrained.solve_seconds:>9.2f}")
    print(f"{'supply step, total':<34}{total:>9.2f}")
    print(f"{'MPS month + week frames':<34}{mps_seconds:>9.2f}  ({len(mps['mps_week']):,} rows)")
    summary = result.summary
    print(
        f"status {summary['status']}, total cost {summary['total_cost']:,.0f} "
        f"{summary['currency']}, on time {summary['service_level']:.1%}, "
        f"bottleneck {summary['top_bottleneck']}"
    )
    print(f"peak memory (max RSS): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()

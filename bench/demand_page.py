"""Speed of the demand page's reads and changes, on a copy of a SQLite database that holds a
demand plan (the demo company, say), with more and more overrides in the cycle.

    python bench/demand_page.py /path/to/oneplan.db [overrides ...]

Each figure is the best of three, in seconds: what one page load or one typed change waits for.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.demand.node_edits import change_node
from oneplan.services.demand.nodes import list_nodes, live_plan, node_plan
from oneplan.services.demand.overrides import add_overrides

ADMIN = Actor.administrator("bench")


def best(engine: sa.Engine, read: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            read(session, ADMIN, *args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def add_some(engine: sa.Engine, count: int) -> None:
    """``count`` overrides spread over items, families and months, as planners make them."""
    with unit_of_work(engine) as session:
        plan = live_plan(session, ADMIN)
        items = plan.cells["item"].drop_duplicates().tolist()
        families = plan.cells["family"].drop_duplicates().tolist()
        months = sorted({f"{m:%Y-%m}" for m in plan.cells["period"]})
        overrides = []
        for number in range(count):
            level, members = ("family", families) if number % 5 == 0 else ("item", items)
            overrides.append(
                {
                    "level": level,
                    "member": members[number % len(members)],
                    "period": months[number % len(months)],
                    "kind": "relative",
                    "value": 5.0,
                    "reason": "bench",
                }
            )
        add_overrides(session, ADMIN, overrides, cycle=plan.version.cycle)


def main(source: Path, steps: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.db"
        shutil.copy(source, copy)
        for part in ("-wal", "-shm"):
            if Path(f"{source}{part}").exists():
                shutil.copy(f"{source}{part}", f"{copy}{part}")
        url = f"sqlite:///{copy}"
        engine = create_db_engine(url, Settings(database_url=url))
        with unit_of_work(engine, write=False) as session:
            cells = len(live_plan(session, ADMIN).cells)
        print(f"{cells:,} item x location x month cells")
        print("overrides  live plan  total node  family  item x location page  typed change")
        made = 0
        for count in steps:
            add_some(engine, count - made)
            made = count
            family = live_plan_family(engine)
            start = time.perf_counter()
            with unit_of_work(engine) as session:
                change_node(session, ADMIN, "family", family, "2027-02", "+1%", "bench")
            made += 1
            change = time.perf_counter() - start
            print(
                f"{count:>9}  {best(engine, live_plan):9.2f}  "
                f"{best(engine, node_plan, 'total', ''):10.2f}  "
                f"{best(engine, node_plan, 'family', family):6.2f}  "
                f"{best(engine, list_nodes, 'item_location', limit=50):20.2f}  {change:12.2f}"
            )
        engine.dispose()


def live_plan_family(engine: sa.Engine) -> str:
    with unit_of_work(engine, write=False) as session:
        return str(live_plan(session, ADMIN).cells["family"].iloc[0])


if __name__ == "__main__":
    main(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]] or [0, 100, 500])

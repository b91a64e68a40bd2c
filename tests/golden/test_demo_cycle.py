"""The stored plans of a fixed demo cycle stay exactly as they were: every plan version's content
hash, summary, settings and every stored frame, on SQLite and on PostgreSQL.

A change that moves the numbers on purpose regenerates the golden files with
``ONEPLAN_UPDATE_GOLDEN=1 pytest tests/golden`` and says so in its commit; any other change
must leave them alone.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.overrides import add_override
from oneplan.services.demand.schemas import OverrideIn
from oneplan.services.demand.service import demand_run
from oneplan.services.finance.service import finance_run
from oneplan.services.scenario.schemas import Assumption
from oneplan.services.scenario.service import create_scenario, scenario_run
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.store import content_hash, load_frames

HERE = Path(__file__).parent
TESTER = Actor.administrator("tester")


def run_the_cycle(engine: sa.Engine, package: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Import, demand, an override, demand again, supply, finance, and a scenario run."""
    from oneplan.config import Settings

    files = read_package_files(package, Settings(user="tester"))
    with unit_of_work(engine) as session:
        import_package(session, TESTER, files)
    run_phased(engine, demand_run(TESTER))
    family = str(frames["families"]["code"].iloc[0])
    override = OverrideIn(
        level="family",
        member=family,
        period="2027-03",
        kind="relative",
        value=10.0,
        reason="promo",
    )
    with unit_of_work(engine) as session:
        add_override(session, TESTER, override)
        # a fixed time, so the inputs (and their hash) do not depend on the clock
        at = datetime(2026, 12, 1, tzinfo=UTC)
        session.execute(sa.text("UPDATE demand_overrides SET created_at = :at"), {"at": at})
    run_phased(engine, demand_run(TESTER))
    run_phased(engine, supply_run(TESTER))
    run_phased(engine, finance_run(TESTER))
    resource = str(frames["resources"]["code"].iloc[0])
    assumptions = [
        Assumption.from_text(f"capacity_change:resource:{resource}:2027-03:2027-04:-50:percent"),
        Assumption.from_text("demand_change:total::2027-05::10:percent"),
    ]
    with unit_of_work(engine) as session:
        create_scenario(session, TESTER, "press down", assumptions=assumptions)
    run_phased(engine, scenario_run(TESTER, "press down"))


def stored_plans(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every plan version in id order: its hash, summary, settings and a hash of each frame."""
    found = []
    with unit_of_work(engine, write=False) as session:
        for version in session.scalars(sa.select(PlanVersion).order_by(PlanVersion.id)):
            frames = load_frames(session, version.id)
            found.append(
                {
                    "kind": version.kind,
                    "cycle": version.cycle,
                    "name": version.name,
                    "state": version.state,
                    "content_hash": version.content_hash,
                    "summary": version.summary,
                    "settings": version.settings,
                    "frames": {n: content_hash({n: f}, {}) for n, f in sorted(frames.items())},
                }
            )
    return json.loads(json.dumps(found, default=str))  # type: ignore[no-any-return]


def test_the_demo_cycle_stores_the_same_plans(
    engine: sa.Engine, db_kind: str, demo_csv: Path, demo_frames: dict[str, pd.DataFrame]
) -> None:
    run_the_cycle(engine, demo_csv, demo_frames)
    found = stored_plans(engine)
    golden = HERE / f"demo_cycle_{db_kind}.json"
    if os.environ.get("ONEPLAN_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(found, indent=1, sort_keys=True))
    expected = json.loads(golden.read_text())
    assert [v["kind"] for v in found] == [v["kind"] for v in expected]
    for got, want in zip(found, expected, strict=True):
        where = f"{want['kind']} version ({want['name']})"
        assert (got["name"], got["cycle"], got["state"]) == (
            want["name"],
            want["cycle"],
            want["state"],
        )
        assert got["frames"] == want["frames"], where
        assert got["summary"] == want["summary"], where
        assert got["settings"] == want["settings"], where
        assert got["content_hash"] == want["content_hash"], where

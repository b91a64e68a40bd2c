"""KPIs cycle over cycle from the database: the demo company's three past months, run for real
(`oneplan.demo_history`), measured against the sales and production that came after them, with
figures recomputed here apart from the engine; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.datapack import package_schema, write_package
from oneplan.db.cycles import Cycle, Decision
from oneplan.db.session import unit_of_work
from oneplan.demo.company import build_demo_parts
from oneplan.demo_history import build_history, has_cycles
from oneplan.engines.kpi.trend import KPI_UNITS
from oneplan.errors import InputError, PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.cycle.kpis import cycle_kpis
from oneplan.services.cycle.schemas import CycleKpis
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Grant, Role
from oneplan.services.versions.store import load_frames

VIEWER = Actor("vic", frozenset({Grant(Role.viewer)}))
PAST = ["2026-07", "2026-08", "2026-09"]


def kpis(engine: sa.Engine, actor: Actor = VIEWER, months: list[str] | None = None) -> CycleKpis:
    with unit_of_work(engine, write=False) as session:
        return cycle_kpis(session, actor, months)


def value(trend: CycleKpis, cycle: str, kpi: str, layer: str = "", lag: int | None = None):
    found = [k for k in trend.kpis if (k.cycle, k.kpi, k.layer, k.lag) == (cycle, kpi, layer, lag)]
    assert len(found) == 1, (cycle, kpi, layer, lag)
    return found[0]


@pytest.mark.slow
def test_the_demo_history_gives_every_kpi_a_trend(
    engine: sa.Engine, settings: Settings, tmp_path: Path
) -> None:
    parts = build_demo_parts(items=20)
    present = tmp_path / "present"
    write_package(parts.tables, present, format="parquet", schema=package_schema())
    past = build_history(engine, settings, parts, present)
    assert [p.month for p in past] == PAST
    assert has_cycles(engine)

    trend = kpis(engine)
    assert trend.cycles == PAST and trend.currency == "EUR" and trend.sales_through == "2026-12"
    for cycle in PAST:
        measured = {k.kpi for k in trend.kpis if k.cycle == cycle and k.value is not None}
        assert measured == set(KPI_UNITS), (cycle, set(KPI_UNITS) - measured)
        authors = {k.layer for k in trend.kpis if k.kpi == "value_added_by_author"}
        assert authors == {"dora", "sven"}
    assert not [k for k in trend.kpis if k.basis in ("pending", "missing")]

    with unit_of_work(engine, write=False) as session:
        cycles = {c.month: c for c in session.scalars(sa.select(Cycle)).all()}
        # the present month is open and keeps the last past month's plan as its snapshot
        assert cycles["2027-01"].state == "open"
        assert cycles["2026-09"].snapshot_version_id == past[-1].supply_version
        assert all(cycles[m].state == "closed" for m in PAST)
        decisions = session.scalars(sa.select(Decision).order_by(Decision.id)).all()
        assert [d.status for d in decisions] == ["done", "done", "open"]
        assert decisions[-1].agenda == "2027-01"
        # recomputed apart: consensus WAPE at lag 1 of 2026-08 (sales of 2026-09)
        consensus = load_frames(session, past[1].demand_version, ["consensus"])["consensus"]
        tables = read_tables(session, ["sales_history", "production_actuals"])
        opened, closed = cycles["2026-08"].opened_at, cycles["2026-08"].closed_at
        plan = load_frames(session, past[1].supply_version, ["supply_plan"])["supply_plan"]
    target = pd.Timestamp("2026-09-01")
    planned = consensus[consensus["period"] == target].groupby(["item", "location"])["quantity"]
    sold = tables["sales_history"]
    sold = sold[sold["period"] == target].groupby(["item", "location"])["quantity"].sum()
    both = pd.concat([planned.sum().rename("f"), sold.rename("a")], axis=1).fillna(0.0)
    wape = (both["f"] - both["a"]).abs().sum() / both["a"].sum()
    assert value(trend, "2026-08", "forecast_wape", "consensus", 1).value == pytest.approx(wape)
    # production adherence of 2026-08: the plan's production against production_actuals
    month = pd.Timestamp("2026-08-01")
    made = tables["production_actuals"]
    made = made[made["period"] == month].groupby(["item", "location"])["quantity"].sum()
    want = plan[plan["period"] == month].groupby(["item", "location"])["production"].sum()
    pair = pd.concat([want.rename("p"), made.rename("a")], axis=1).fillna(0.0)
    adherence = 1 - (pair["a"] - pair["p"]).abs().sum() / pair["p"].sum()
    assert value(trend, "2026-08", "production_adherence").value == pytest.approx(adherence)
    days = (pd.Timestamp(closed) - pd.Timestamp(opened)).total_seconds() / 86_400
    assert value(trend, "2026-08", "sop_cycle_time").value == pytest.approx(days)
    assert value(trend, "2026-08", "on_time_delivery").basis == "plan"

    only = kpis(engine, months=["2026-08"])
    assert only.cycles == ["2026-08"]


def test_without_a_closed_cycle_there_is_nothing_to_measure(engine: sa.Engine) -> None:
    trend = kpis(engine)
    assert trend.cycles == [] and trend.kpis == []


def test_reading_the_kpis_needs_the_read_permission_over_the_company(engine: sa.Engine) -> None:
    with pytest.raises(PermissionDenied, match="nobody"):
        kpis(engine, Actor("nobody", frozenset()))
    scoped = Actor("hoses", frozenset({Grant(Role.sales, frozenset({"HOS"}))}))
    with pytest.raises(PermissionDenied):
        kpis(engine, scoped)


def test_a_month_not_written_yyyy_mm_is_refused_by_name(engine: sa.Engine) -> None:
    with pytest.raises(InputError, match="month"):
        kpis(engine, months=["2026-8"])

"""The demand step on the small demo company, on SQLite and PostgreSQL.

The statistical forecast runs once per database (module fixture); overrides are then added and
the step re-run, which reuses the stored forecast. Expected figures are recomputed here from the
stored layers and the package tables, not taken from the code under test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db import migrate
from oneplan.db.demand import DemandOverride
from oneplan.db.session import create_db_engine, unit_of_work
from oneplan.engines.demand.plan import monthly_history
from oneplan.engines.pipeline.demand import statistical_forecast
from oneplan.errors import ValidationFailed
from oneplan.runner import run_phased
from oneplan.services.actor import Actor
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.overrides import add_override, add_overrides
from oneplan.services.demand.schemas import DemandOptions, OverrideIn
from oneplan.services.demand.service import DemandResult, demand_run, demand_version
from oneplan.services.supply.service import resolve_demand

HORIZON = 8  # 2027-01 .. 2027-08: covers a phase-out, two launches and three future events
PLANNER = Actor.administrator("planner")
LAYERS = ["baseline", "lifecycle_adjustment", "event_uplift", "override_adjustment"]


@dataclass
class Planned:
    engine: sa.Engine
    settings: Settings
    first: DemandResult


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def planned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_csv: Path
) -> Iterator[Planned]:
    folder = tmp_path_factory.mktemp("demand")
    settings = Settings(database_url=f"sqlite:///{folder / 'demand.db'}", user="planner")
    admin, schema = None, ""
    if request.param == "sqlite":
        engine = create_db_engine(settings.database_url, settings)
    else:
        server: str = request.getfixturevalue("postgres_server")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        engine = sa.create_engine(server, connect_args={"options": f"-csearch_path={schema}"})
    migrate.upgrade(engine)
    files = read_package_files(demo_csv, settings)
    with unit_of_work(engine) as session:
        import_package(session, PLANNER, files)
    first = run_phased(engine, demand_run(PLANNER, DemandOptions(horizon=HORIZON)))
    yield Planned(engine, settings, first)
    engine.dispose()
    if admin is not None:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _cells(frame: pd.DataFrame, item: str, location: str = "DC-CENTRAL") -> pd.DataFrame:
    rows = frame[(frame["item"] == item) & (frame["location"] == location)]
    return rows.sort_values("period").set_index("period")


def _month(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01")


def test_consensus_is_the_sum_of_its_layers_and_is_stored(planned: Planned) -> None:
    consensus = planned.first.frames["consensus"]
    expected = sum(consensus[layer] for layer in LAYERS)
    np.testing.assert_allclose(consensus["quantity"], expected, rtol=0, atol=1e-9)
    assert (consensus["quantity"] >= -1e-9).all()
    assert consensus["period"].nunique() == HORIZON
    assert not consensus.duplicated(["item", "location", "period"]).any()
    with unit_of_work(planned.engine, write=False) as session:
        version, frames = demand_version(session, PLANNER, planned.first.version_id)
        source = resolve_demand(session, {})
    assert version.kind == "demand" and version.cycle == "2027-01"
    for name in ("baseline", "lifecycle", "events", "overrides_applied", "consensus", "backtest"):
        assert name in frames
    for name in ("selection", "accuracy", "rollup"):
        assert name in frames
    pd.testing.assert_frame_equal(frames["consensus"], consensus, check_dtype=False)
    # the supply step reads this version as its demand
    assert source.version_id == planned.first.version_id
    assert float(source.demand["quantity"].sum()) == pytest.approx(consensus["quantity"].sum())
    backtest = frames["backtest"]
    assert {"horizon_step", "y", "forecast", "item", "location"} <= set(backtest)
    np.testing.assert_allclose(backtest["error"], backtest["y"] - backtest["forecast"])


def test_value_is_quantity_times_the_net_price_in_force(
    planned: Planned, demo_frames: dict[str, pd.DataFrame], demo_rebate: pd.Series
) -> None:
    consensus = planned.first.frames["consensus"]
    prices = demo_frames["prices"]
    listed = prices[prices["channel"] == "all"]
    for row in consensus.sample(60, random_state=1).itertuples():
        valid = listed[(listed["item"] == row.item) & (listed["valid_from"] <= row.period)]
        price = valid.sort_values("valid_from")["price"].iloc[-1] * (1 - demo_rebate[row.item])
        assert row.price == pytest.approx(price)
        assert row.value == pytest.approx(row.quantity * price)
    summary = planned.first.summary
    assert summary["total_value"] == pytest.approx(float(consensus["value"].sum()))
    assert summary["total_units"] == pytest.approx(float(consensus["quantity"].sum()))
    assert summary["series"] == len(planned.first.frames["selection"])


def test_launch_ramps_up_from_its_like_item(planned: Planned) -> None:
    consensus = planned.first.frames["consensus"]
    new = _cells(consensus, "HOS-0003")  # launches 2027-07, like HOS-0010, scale 1.14, ramp 3
    like = _cells(consensus, "HOS-0010")["baseline"]
    assert (new.loc[: _month("2027-06"), "quantity"] == 0).all()
    for month, step in (("2027-07", 1), ("2027-08", 2)):
        expected = 1.14 * like[_month(month)] * step / 3
        assert new.loc[_month(month), "quantity"] == pytest.approx(expected)
        assert new.loc[_month(month), "lifecycle_adjustment"] == pytest.approx(expected)
    assert (new["baseline"] == 0).all()


def test_phased_out_and_obsolete_items_are_zero_after_their_end(planned: Planned) -> None:
    consensus = planned.first.frames["consensus"]
    ending = _cells(consensus, "SPR-0004")  # end_date 2027-05-31
    assert (ending.loc[_month("2027-06") :, "quantity"] == 0).all()
    assert (ending.loc[: _month("2027-05"), "quantity"] > 0).all()
    after = ending.loc[_month("2027-06") :]
    np.testing.assert_allclose(after["lifecycle_adjustment"], -after["baseline"])
    obsolete = consensus[consensus["item"].isin(["SPR-0002", "STO-0008"])]
    assert (obsolete["quantity"] == 0).all()


def test_future_events_add_their_uplift(planned: Planned) -> None:
    consensus = planned.first.frames["consensus"]
    storage = consensus[
        consensus["item"].str.startswith("STO")
        & (consensus["location"] == "DC-CENTRAL")
        & consensus["period"].isin([_month("2027-01"), _month("2027-02")])
    ]
    before = storage["baseline"] + storage["lifecycle_adjustment"]
    np.testing.assert_allclose(storage["event_uplift"], 0.20 * before, atol=1e-9)
    one_off = consensus[
        (consensus["item"] == "SPR-0007") & (consensus["period"] == _month("2027-07"))
    ]
    assert one_off["event_uplift"].sum() == pytest.approx(780.0)
    elsewhere = consensus[(consensus["item"] == "HOS-0001")]
    assert (elsewhere["event_uplift"] == 0).all()


def test_overrides_split_in_proportion_and_stack_in_order(planned: Planned) -> None:
    before = planned.first.frames["consensus"].copy()
    before["pre"] = before["baseline"] + before["lifecycle_adjustment"] + before["event_uplift"]
    family = before["item"].str.startswith("HOS")
    march, april = before["period"] == _month("2027-03"), before["period"] == _month("2027-04")
    engine = planned.engine
    overrides = [
        ("family", "HOS", "2027-03", "absolute", 5000.0, "key account"),
        ("total", "", "2027-03", "relative", 10.0, "market"),
        ("total", "", "2027-04", "relative", 10.0, "market"),
        ("family", "HOS", "2027-04", "absolute", 4000.0, "capped"),
        ("item_location", "STO-0001|DC-CENTRAL", "2027-05", "relative", -50.0, "delisted"),
    ]
    for level, member, period, kind, value, reason in overrides:
        request = OverrideIn(
            level=level, member=member, period=period, kind=kind, value=value, reason=reason
        )
        with unit_of_work(engine) as session:
            add_override(session, PLANNER, request)

    again = run_phased(engine, demand_run(PLANNER, DemandOptions(horizon=HORIZON)))
    assert again.summary["forecast_reused"] is True
    after = again.frames["consensus"].merge(
        before[["item", "location", "period", "pre"]], on=["item", "location", "period"]
    )
    np.testing.assert_allclose(after["quantity"], sum(after[x] for x in LAYERS), atol=1e-9)
    np.testing.assert_allclose(after["baseline"], before["baseline"])

    hos_march = after[family & march]
    shares = hos_march["pre"] / hos_march["pre"].sum()
    np.testing.assert_allclose(hos_march["quantity"], 5000 * shares * 1.1, rtol=1e-9)
    assert hos_march["quantity"].sum() == pytest.approx(5500.0)
    np.testing.assert_allclose(
        after.loc[~family & march, "quantity"], after.loc[~family & march, "pre"] * 1.1
    )
    # the other order: +10% first, then the family is set, so the family total is exactly 4000
    assert after.loc[family & april, "quantity"].sum() == pytest.approx(4000.0)
    np.testing.assert_allclose(
        after.loc[~family & april, "quantity"], after.loc[~family & april, "pre"] * 1.1
    )
    cell = after[
        (after["item"] == "STO-0001")
        & (after["location"] == "DC-CENTRAL")
        & (after["period"] == _month("2027-05"))
    ]
    assert cell["quantity"].iloc[0] == pytest.approx(0.5 * cell["pre"].iloc[0])

    applied = again.frames["overrides_applied"]
    assert applied["sequence"].tolist() == [1, 2, 3, 4, 5]
    assert (applied["status"] == "applied").all()
    assert applied.loc[0, "after"] == pytest.approx(5000.0)
    assert again.summary["overrides"] == 5


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("member", {"member": "NOPE"}),
        ("period", {"period": "2027-13"}),
        ("period", {"period": "2031-01"}),
        ("reason", {"reason": "  "}),
        ("value", {"kind": "absolute", "value": -1.0}),
        ("level", {"level": "galaxy"}),
    ],
)
def test_a_bad_override_names_the_field_and_changes_nothing(
    planned: Planned, field: str, changes: dict[str, object]
) -> None:
    fields: dict[str, object] = {
        "level": "family",
        "member": "SPR",
        "period": "2027-02",
        "kind": "relative",
        "value": 5.0,
        "reason": "x",
    }
    fields.update(changes)
    with unit_of_work(planned.engine, write=False) as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(DemandOverride))
    with (
        pytest.raises(ValidationFailed, match=f"column {field}"),
        unit_of_work(planned.engine) as session,
    ):
        add_overrides(session, PLANNER, [fields])
    with unit_of_work(planned.engine, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DemandOverride)) == count


def test_weekly_history_is_bucketed_to_months_with_zero_for_missing_months() -> None:
    sales = pd.DataFrame(
        {
            "item": ["A", "A", "A", "B"],
            "location": ["L"] * 4,
            "period": pd.to_datetime(["2026-09-07", "2026-09-28", "2026-11-02", "2026-12-07"]),
            "quantity": [1.0, 2.0, 4.0, 8.0],
        }
    )
    history = monthly_history(sales, pd.Timestamp("2027-01-01"))
    a = history[history["unique_id"] == "A|L"]
    assert a["y"].tolist() == [3.0, 0.0, 4.0, 0.0]
    assert a["ds"].dt.strftime("%Y-%m").tolist() == ["2026-09", "2026-10", "2026-11", "2026-12"]
    with pytest.raises(ValidationFailed, match="column period"):
        monthly_history(sales, pd.Timestamp("2026-01-01"))


@pytest.mark.parametrize("method", ["mint_ols", "top_down"])
def test_reconciled_baseline_adds_up_to_every_level(method: str) -> None:
    rng = np.random.default_rng(8)
    ds = pd.date_range("2024-01-01", periods=24, freq="MS")
    ids = ["A|L1", "A|L2", "B|L1", "C|L2"]
    history = pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": ds, "y": rng.poisson(30 + 10 * k, 24) * 1.0})
            for k, uid in enumerate(ids)
        ],
        ignore_index=True,
    )
    tables = {
        "items": pd.DataFrame({"code": ["A", "B", "C"], "family": ["F", "F", "G"]}),
        "families": pd.DataFrame({"code": ["F", "G"], "category": ["K", "K"]}),
        "locations": pd.DataFrame({"code": ["L1", "L2"], "region": ["N", "S"]}),
    }
    months = pd.date_range("2026-01-01", periods=2, freq="MS")
    frames = statistical_forecast(
        history, 2, months, tables, season_length=3, n_windows=1, reconciliation=method
    )
    baseline, nodes = frames["baseline"], frames["hierarchy_forecast"]
    assert (baseline["baseline"] >= 0).all()
    total = nodes[nodes["hierarchy_level"] == "total"].set_index("period")["forecast"]
    np.testing.assert_allclose(baseline.groupby("period")["baseline"].sum(), total, rtol=1e-6)
    family_f = nodes[nodes["unique_id"] == "family:F"].set_index("period")["forecast"]
    in_f = baseline[baseline["item"].isin(["A", "B"])].groupby("period")["baseline"].sum()
    np.testing.assert_allclose(in_f, family_f, rtol=1e-6)
    if method == "top_down":  # the total keeps its own base forecast
        base = nodes[nodes["hierarchy_level"] == "total"].set_index("period")["base_forecast"]
        np.testing.assert_allclose(total, base)
    assert "baseline_unreconciled" in baseline.columns

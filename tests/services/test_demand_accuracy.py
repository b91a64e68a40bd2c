"""Accuracy by lag and forecast value added from stored demand versions, on SQLite and PostgreSQL.

A tiny company (items A and B of family F at DC) is imported, and demand versions for cycles
2027-01 and 2027-02 are saved by hand (no forecast runs). Sales are known through 2027-03.

Lag 1 has four points: cycle 01 for February and cycle 02 for March; actuals A 8, B 6, A 11,
B 3 (sum 28). The seasonal naive repeats 2026: A 10 every month, B 2 in February, 3 in March.

- naive        10, 2 | 10, 3    |e| 2, 4, 1, 0      sum 7
- statistical   9, 5 | 10, 4    |e| 1, 1, 1, 1      sum 4
- consensus     8, 5 | 12, 4.8  |e| 0, 1, 1, 1.8    sum 3.8

ann sets A in February of cycle 01 to 8 (-1, helpful); bob raises family F in March of cycle 02
by 20 %, split A +2, B +0.8 (harmful).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.engines.demand.overrides import APPLIED_COLUMNS
from oneplan.engines.demand.plan import CONSENSUS_COLUMNS
from oneplan.services.actor import Actor
from oneplan.services.demand.accuracy import demand_accuracy
from oneplan.services.versions.store import save_version

TESTER = Actor.administrator("tester")

BASELINE = {  # cycle: (first month, A's four months, B's four months)
    "2027-01": ("2027-01-01", [11.0, 9.0, 10.0, 10.0], [4.0, 5.0, 5.0, 5.0]),
    "2027-02": ("2027-02-01", [9.0, 10.0, 10.0, 10.0], [5.0, 4.0, 4.0, 4.0]),
}
OVERRIDES = {  # cycle: (item, month index, change, author, level, member, kind, value)
    "2027-01": [("A", 1, -1.0, "ann", "item", "A", "absolute", 8.0)],
    "2027-02": [
        ("A", 1, 2.0, "bob", "family", "F", "relative", 20.0),
        ("B", 1, 0.8, "bob", "family", "F", "relative", 20.0),
    ],
}


def _package(folder: Path) -> Path:
    folder.mkdir()
    tables = {
        "parameters": pd.DataFrame(
            {
                "name": ["plan_start", "horizon_periods", "currency"],
                "value": ["2027-02-01", "4", "EUR"],
            }
        ),
        "locations": pd.DataFrame(
            {"code": ["DC"], "name": ["Centre"], "kind": ["distribution_centre"], "region": ["C"]}
        ),
        "families": pd.DataFrame({"code": ["F"], "name": ["Hoses"], "category": ["Garden"]}),
        "items": pd.DataFrame(
            {
                "code": ["A", "B"],
                "description": ["Hose A", "Hose B"],
                "uom": "EA",
                "family": "F",
                "lifecycle_status": "active",
            }
        ),
    }
    months = pd.date_range("2026-01-01", "2026-12-01", freq="MS")
    sales = [("A", m, 10.0) for m in months] + [("B", m, float(m.month)) for m in months]
    sales += [("A", pd.Timestamp("2027-01-01"), 12.0), ("B", pd.Timestamp("2027-01-01"), 4.0)]
    sales += [("A", pd.Timestamp("2027-02-01"), 8.0), ("B", pd.Timestamp("2027-02-01"), 6.0)]
    # March in two weekly rows for A: the months are summed
    sales += [("A", pd.Timestamp("2027-03-01"), 5.0), ("A", pd.Timestamp("2027-03-15"), 6.0)]
    sales += [("B", pd.Timestamp("2027-03-08"), 3.0)]
    history = pd.DataFrame(sales, columns=["item", "period", "quantity"]).assign(location="DC")
    history["period"] = history["period"].dt.strftime("%Y-%m-%d")
    tables["sales_history"] = history[["item", "location", "period", "quantity"]]
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _frames(cycle: str, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    start, a, b = BASELINE[cycle]
    periods = list(pd.date_range(start, periods=4, freq="MS"))
    base = pd.DataFrame(
        {
            "item": ["A"] * 4 + ["B"] * 4,
            "location": "DC",
            "period": periods * 2,
            "baseline": [x * scale for x in a + b],
        }
    )
    consensus = base.assign(lifecycle_adjustment=0.0, event_uplift=0.0, override_adjustment=0.0)
    applied = []
    for sequence, (item, month, change, author, level, member, kind, value) in enumerate(
        OVERRIDES[cycle] if scale == 1.0 else [], start=1
    ):
        row = (consensus["item"] == item) & (consensus["period"] == periods[month])
        consensus.loc[row, "override_adjustment"] = change
        if level == "item" or item == "A":  # one log row per override
            applied.append(
                {
                    "override_id": sequence,
                    "sequence": sequence,
                    "level": level,
                    "member": member,
                    "period": periods[month],
                    "kind": kind,
                    "value": value,
                    "reason": "test",
                    "author": author,
                    "created_at": datetime(2027, 1, 5, tzinfo=UTC),
                    "before": 0.0,
                    "after": 0.0,
                    "change": 0.0,
                    "cells": 1,
                    "status": "applied",
                }
            )
    consensus["quantity"] = consensus["baseline"] + consensus["override_adjustment"]
    consensus = consensus.assign(price=2.0, value=consensus["quantity"] * 2.0)
    return {
        "baseline": base,
        "consensus": consensus[CONSENSUS_COLUMNS],
        "overrides_applied": pd.DataFrame(applied, columns=APPLIED_COLUMNS),
    }


@pytest.fixture
def measured_db(engine: sa.Engine, tmp_path: Path, prepare: Any) -> sa.Engine:
    prepare.import_demo(engine, _package(tmp_path / "package"))
    with unit_of_work(engine) as session:
        # an earlier run of cycle 01 that the newer one replaces: it must not be measured
        versions = [("2027-01", 10.0), ("2027-01", 1.0), ("2027-02", 1.0)]
        for cycle, scale in versions:
            save_version(
                session,
                Actor.administrator("planner"),
                cycle=cycle,
                kind="demand",
                name=f"Demand plan {cycle}",
                frames=_frames(cycle, scale),
                settings={},
                summary={},
                input_hash=f"{cycle}-{scale}",
            )
    return engine


def _row(table: pd.DataFrame, **where: object) -> pd.Series:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, where
    return rows.iloc[0]


def test_accuracy_by_lag_from_stored_versions(measured_db: sa.Engine) -> None:
    with unit_of_work(measured_db, write=False) as session:
        result = demand_accuracy(session, TESTER)
    assert result.versions["cycle"].tolist() == ["2027-01", "2027-02"]
    table = result.accuracy
    for layer, abs_error, error in (
        ("naive", 7.0, 2 - 4 - 1 + 0),
        ("statistical", 4.0, 1 - 1 - 1 + 1),
        ("consensus", 3.8, 0 - 1 + 1 + 1.8),
    ):
        row = _row(table, level="item", layer=layer, lag=1)
        assert row["wape"] == pytest.approx(abs_error / 28)
        assert row["bias"] == pytest.approx(error / 28)
        assert (row["points"], row["actual"]) == (4, 28.0)
    # family F per cycle and month: actual 14 and 14; naive 12 and 13; consensus 13 and 16.8
    assert _row(table, level="family", layer="naive", lag=1)["wape"] == pytest.approx(3 / 28)
    assert _row(table, level="family", layer="statistical", lag=1)["wape"] == pytest.approx(0.0)
    assert _row(table, level="family", layer="consensus", lag=1)["wape"] == pytest.approx(3.8 / 28)
    waiting = table[(table["lag"] == 3) & (table["level"] == "item")]
    # April (cycle 01) and May (cycle 02) have no sales yet: two cycles x two items per layer
    assert set(waiting["layer"]) == {"naive", "statistical", "consensus"}
    assert (waiting["pending"] == 4).all() and (waiting["points"] == 0).all()


def test_value_added_per_layer_and_author(measured_db: sa.Engine) -> None:
    with unit_of_work(measured_db, write=False) as session:
        result = demand_accuracy(session, TESTER, lags=(1,))
    changes = result.contributions.sort_values(["author", "item"])
    assert changes[["author", "item"]].values.tolist() == [["ann", "A"], ["bob", "A"], ["bob", "B"]]
    assert changes["change"].tolist() == pytest.approx([-1.0, 2.0, 0.8])
    item = result.value_added[result.value_added["level"] == "item"]
    assert _row(item, layer="statistical")["value_added"] == pytest.approx(3 / 28)
    assert _row(item, layer="consensus")["value_added"] == pytest.approx(0.2 / 28)
    # without ann: A Feb back to 9 (|e| 1 instead of 0); without bob: March 10 and 4
    assert _row(item, layer="ann")["value_added"] == pytest.approx(1 / 28)
    assert _row(item, layer="bob")["value_added"] == pytest.approx(-0.8 / 28)


def test_accuracy_command_prints_both_tables(
    measured_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from oneplan.cli.demand import register

    app = typer.Typer()
    register(app)
    monkeypatch.setenv(
        "ONEPLAN_DATABASE_URL", measured_db.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["demand", "accuracy", "--lag", "1", "--level", "family"], terminal_width=160
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Forecast accuracy by lag (family level)" in result.output
    assert "10.7%" in result.output  # naive family WAPE 3/28
    assert "author bob" in result.output and "-10.0 pts" in result.output  # -2.8/28


@pytest.fixture
def waiting_db(engine: sa.Engine, tmp_path: Path, prepare: Any) -> sa.Engine:
    """One cycle, 2027-04, with an override, and sales only through 2027-03: nothing to
    measure yet."""
    prepare.import_demo(engine, _package(tmp_path / "package"))
    frames = _frames("2027-02")
    for frame in frames.values():
        frame["period"] = frame["period"] + pd.DateOffset(months=2)
    with unit_of_work(engine) as session:
        save_version(
            session,
            Actor.administrator("planner"),
            cycle="2027-04",
            kind="demand",
            name="Demand plan 2027-04",
            frames=frames,
            settings={},
            summary={},
            input_hash="2027-04",
        )
    return engine


def test_an_override_without_sales_yet_waits_instead_of_failing(waiting_db: sa.Engine) -> None:
    with unit_of_work(waiting_db, write=False) as session:
        result = demand_accuracy(session, TESTER, lags=(1, 3))
    assert result.sales_through == "2027-03"
    assert set(result.contributions["author"]) == {"bob"}  # known, not yet measurable
    item = result.accuracy[result.accuracy["level"] == "item"]
    assert (item["points"] == 0).all() and (item["pending"] == 2).all()
    assert set(item["layer"]) == {"naive", "statistical", "consensus"}
    assert result.value_added.empty


def test_accuracy_command_says_what_waits_for_sales(
    waiting_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from oneplan.cli.demand import register

    app = typer.Typer()
    register(app)
    monkeypatch.setenv("ONEPLAN_DATABASE_URL", waiting_db.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demand", "accuracy"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Forecast accuracy by lag (item level)" in text
    assert "sales are known through 2027-03" in text
    assert "waiting for sales" in text
    assert "bob" in text  # the override's author is named, to be measured later

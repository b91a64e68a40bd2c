"""Numbers stay finite: an absurd override is refused at the boundary, and a version whose
solve failed or whose figures are not finite cannot be proposed, approved or released."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.datapack import read_package, validate_package
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.demand.overrides import add_overrides
from oneplan.services.versions.lifecycle import transition
from oneplan.services.versions.store import save_version

ANN = Actor.administrator("ann")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("absolute", 1e308, "above the largest month total"),
        ("absolute", float("inf"), "is not a number"),
        ("relative", 1e6, "above the largest change"),
        ("relative", float("nan"), "is not a number"),
    ],
)
def test_an_absurd_override_is_refused_and_nothing_is_stored(
    engine: sa.Engine, prepare: Any, kind: str, value: float, message: str
) -> None:
    prepare.import_demo(engine)
    override = {"level": "total", "period": "2027-03", "kind": kind, "value": value}
    with (
        pytest.raises(ValidationFailed, match=message),
        unit_of_work(engine) as session,
    ):
        add_overrides(session, ANN, [{**override, "reason": "typo"}])
    with unit_of_work(engine, write=False) as session:
        stored = session.execute(sa.text("SELECT count(*) FROM demand_overrides")).scalar_one()
    assert stored == 0


def stored_version(engine: sa.Engine, summary: dict[str, Any]) -> int:
    with unit_of_work(engine) as session:
        return save_version(
            session,
            ANN,
            cycle="2027-01",
            kind="supply",
            name="x",
            frames={},
            settings={},
            summary=summary,
            input_hash="-",
        ).id


@pytest.mark.parametrize(
    ("summary", "flaw"),
    [
        ({"status": "infeasible_even_relaxed", "service_level": None}, "solve ended infeasible"),
        ({"status": "not_set", "service_level": None}, "solve ended not_set"),
        ({"status": "time_limit", "service_level": None}, "solve ended time_limit"),
    ],
)
def test_a_failed_or_infinite_plan_cannot_go_forward(
    engine: sa.Engine, summary: dict[str, Any], flaw: str
) -> None:
    version_id = stored_version(engine, summary)
    with pytest.raises(Conflict, match=flaw), unit_of_work(engine) as session:
        transition(session, ANN, version_id, "propose")


def test_a_summary_that_is_not_finite_is_never_stored(engine: sa.Engine) -> None:
    with pytest.raises(ValidationFailed, match="total_cost: is inf"):
        stored_version(engine, {"status": "optimal", "total_cost": float("inf")})
    with unit_of_work(engine, write=False) as session:
        assert session.execute(sa.text("SELECT count(*) FROM plan_versions")).scalar_one() == 0


def test_a_plan_the_solver_stopped_with_can_go_forward(engine: sa.Engine) -> None:
    version_id = stored_version(engine, {"status": "time_limit", "service_level": 0.97})
    with unit_of_work(engine) as session:
        moved = transition(session, ANN, version_id, "propose")
    assert moved.version.state == "proposed"


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("demand_change:total::2040-01::10:percent", "period_from", "2040-01 is after the plan"),
        ("demand_change:total::2020-01:2020-03:10:percent", "period_to", "is before the plan"),
        ("demand_change:total::::1e7:percent", "value", "beyond the largest"),
        ("capacity_change:resource:INJ-N1:::1e15:hours", "value", "beyond the largest"),
    ],
)
def test_a_scenario_assumption_outside_the_plan_is_refused(
    engine: sa.Engine, prepare: Any, text: str, field: str, message: str
) -> None:
    from oneplan.services.scenario.schemas import Assumption
    from oneplan.services.scenario.service import create_scenario, list_scenarios

    prepare.import_demo(engine)
    with (
        pytest.raises(ValidationFailed, match=message) as caught,
        unit_of_work(engine) as session,
    ):
        create_scenario(session, ANN, "too far", assumptions=[Assumption.from_text(text)])
    assert caught.value.problems[0].column == field
    assert "2027-01 to 2028-06" in str(caught.value) or field == "value"
    with unit_of_work(engine, write=False) as session:
        assert list_scenarios(session, ANN) == []


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("sales_history", "quantity", "1e308"),
        ("sales_history", "revenue", "-2e12"),
        ("item_costs", "material_cost", "1e13"),
    ],
)
def test_a_package_number_too_large_to_be_real_is_refused(
    tmp_path: Path, demo_csv: Path, table: str, column: str, value: str
) -> None:
    package = tmp_path / "package"
    shutil.copytree(demo_csv, package)
    frame = pd.read_csv(package / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    frame.to_csv(package / f"{table}.csv", index=False)
    _, problems = validate_package(read_package(package))
    assert [(p.file, p.row, p.column) for p in problems] == [(f"{table}.csv", 2, column)]
    assert "the maximum" in problems[0].message or "the minimum" in problems[0].message

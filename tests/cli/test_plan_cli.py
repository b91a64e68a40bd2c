"""The plan commands end to end on a SQLite file: list, show, diff, the approval path, audit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from typer.testing import CliRunner

from oneplan.cli import audit
from oneplan.cli.common import database
from oneplan.cli.plan import register
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.versions.store import save_version

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
register(app)
audit.register(app)


def stored_frame(production: list[float], items: list[str] | None = None) -> pd.DataFrame:
    items = items or ["A", "B"]
    return pd.DataFrame(
        {
            "item": items,
            "location": ["P1"] * len(items),
            "period": pd.to_datetime(["2027-01-01"] * len(items)),
            "production": production,
        }
    )


def stored_version(production: list[float], items: list[str] | None = None) -> int:
    frame = stored_frame(production, items)
    with unit_of_work(database()) as session:
        version = save_version(
            session,
            Actor.administrator("maker"),
            cycle="2027-01",
            kind="supply",
            name="manual",
            frames={"supply_plan": frame},
            settings={"objective": "cost"},
            summary={"total_cost": sum(production), "status": "optimal"},
            input_hash="abc123",
        )
        return version.id


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_approval_path_list_show_and_audit() -> None:
    first, second = stored_version([10.0, 20.0]), stored_version([10.0, 25.0])
    for action in ("propose", "approve", "release"):
        code, out = run("plan", action, str(first))
        assert code == 0, out
    assert f"#{first} is now released" in out
    run("plan", "propose", str(second))
    code, out = run("plan", "approve", str(second))
    assert code == 0 and f"#{first} is superseded" in out

    code, out = run("plan", "list", "--state", "superseded")
    assert code == 0 and "manual" in out and "superseded" in out and "approved" not in out
    code, out = run("plan", "show", str(second))
    assert code == 0
    assert "approved" in out and "abc123" in out and "supply_plan" in out and "planner" in out

    code, out = run("audit", "--subject-type", "plan_version", "--subject-id", str(first))
    assert code == 0
    for action in ("plan.propose", "plan.approve", "plan.release", "plan.supersede"):
        assert action in out
    code, out = run("plan", "release", str(second))
    assert code == 0 and "is superseded" not in out  # nothing new was superseded by this move


def test_illegal_transition_exits_with_the_conflict_code() -> None:
    version_id = stored_version([1.0, 2.0])
    code, out = run("plan", "release", str(version_id))
    assert code == 4 and "it is draft" in out
    code, out = run("plan", "show", "999")
    assert code == 3
    code, out = run("audit")
    assert code == 0 and "plan." not in out
    code, out = run("plan", "list", "--state", "bogus")
    assert code == 2 and "'bogus' is not one of 'draft'" in out


def test_diff_shows_added_removed_and_changed_rows() -> None:
    a = stored_version([10.0, 20.0])
    b = stored_version([10.0, 27.5, 4.0], items=["A", "B", "C"])
    code, out = run("plan", "diff", str(a), str(b), "--frame", "supply_plan", "--limit", "5")
    assert code == 0, out
    assert "1 added, 0 removed, 1 changed, 1 unchanged" in out
    assert "7.50" in out  # production of B: 20 -> 27.5
    assert "total_cost" in out and "11.50" in out  # headline: 30 -> 41.5


def test_adopt_a_scenario_and_export_its_mps(tmp_path: Path) -> None:
    from oneplan.cli.supply import register as register_supply

    both = typer.Typer(no_args_is_help=True)
    register(both)
    register_supply(both)
    base = stored_version([10.0, 20.0])
    for action in ("propose", "approve", "release"):
        assert run("plan", action, str(base))[0] == 0
    with unit_of_work(database()) as session:
        scenario = save_version(
            session,
            Actor.administrator("maker"),
            cycle="2027-01",
            kind="scenario",
            name="second shift",
            frames={"supply_plan": stored_frame([30.0, 40.0]).assign(subcontract=0.0)},
            settings={},
            summary={"status": "optimal"},
            input_hash="s1",
        ).id
    code, out = run("plan", "adopt", str(scenario), "--reason", "chosen in the S&OP meeting")
    assert code == 0, out
    assert f"plan version #{scenario}, is now the released supply plan of cycle 2027-01" in out
    assert f"#{base} is superseded" in out
    exported = runner.invoke(both, ["export-mps", str(tmp_path / "mps"), "--grain", "month"])
    code, out = exported.exit_code, exported.output
    assert code == 0, out
    assert f"scenario 'second shift', version #{scenario}" in " ".join(out.split())
    code, out = run("audit", "--subject-id", str(scenario))
    assert "plan.adopt" in out and "chosen in the S&OP meeting" in out
    code, out = run("plan", "adopt", str(base))
    assert code == 4 and "only a scenario version is adopted" in out


def test_shares_show_as_percentages_and_their_change_in_points() -> None:
    ids = []
    for level, margin, neck in ((0.903, 0.39, 0.95), (0.875, 0.4125, 1.0)):
        with unit_of_work(database()) as session:
            ids.append(
                save_version(
                    session,
                    Actor.administrator("maker"),
                    cycle="2027-01",
                    kind="supply",
                    name="manual",
                    frames={"supply_plan": stored_frame([1.0, 2.0])},
                    settings={},
                    summary={
                        "service_level": level,
                        "margin_pct": margin,
                        "total_cost": 1234.5,
                        "top_bottleneck": {"resource": "P1", "utilisation": neck},
                    },
                    input_hash="x",
                ).id
            )
    code, out = run("plan", "show", str(ids[0]))
    assert code == 0, out
    text = " ".join(out.split())
    assert "90.3%" in text and "39.0%" in text and "0.90" not in text
    assert "top_bottleneck.utilisation │ 95.0%" in text and "1,234.50" in text
    code, out = run("plan", "diff", str(ids[0]), str(ids[1]), "--frame", "supply_plan")
    assert code == 0, out
    text = " ".join(out.split())
    assert "service_level │ 90.3% │ 87.5% │ -2.8 pts" in text
    assert "margin_pct │ 39.0% │ 41.2% │ +2.2 pts" in text
    assert "top_bottleneck.utilisation │ 95.0% │ 100.0% │ +5.0 pts" in text
    headline = text.split("supply_plan:")[0]
    assert "0.90" not in headline and "0.39" not in headline  # no share as a bare fraction
    assert "total_cost │ 1,234.50 │ 1,234.50 │ +0" in headline  # amounts stay amounts

"""Plan versions through their life, the audit trail beside them, and the diff of two versions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.audit import AuditEvent
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.engines.diff import diff_frames
from oneplan.errors import Conflict, NotFound
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events, record
from oneplan.services.supply.mps import MpsExport, export_mps
from oneplan.services.versions.lifecycle import (
    TRANSITIONS,
    ensure_changeable,
    supersede,
    transition,
)
from oneplan.services.versions.service import diff, list_versions, released_version, show_version
from oneplan.services.versions.store import save_version

TESTER = Actor.administrator("tester")

MONTHS = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])


def supply_plan(scale: float = 1.0) -> pd.DataFrame:
    keys = pd.MultiIndex.from_product(
        [["A", "B"], ["P1"], MONTHS], names=["item", "location", "period"]
    ).to_frame(index=False)
    keys["production"] = np.arange(1.0, len(keys) + 1) * 10 * scale
    keys["subcontract"] = 0.0
    return keys


def new_version(
    engine: sa.Engine,
    *,
    kind: str = "supply",
    cycle: str = "2027-01",
    frames: dict[str, pd.DataFrame] | None = None,
    summary: dict[str, Any] | None = None,
) -> int:
    with unit_of_work(engine) as session:
        version = save_version(
            session,
            Actor.administrator("maker"),
            cycle=cycle,
            kind=kind,
            name="by hand",
            frames=frames if frames is not None else {"supply_plan": supply_plan()},
            settings={"objective": "cost"},
            summary=summary or {"total_cost": 100.0},
            input_hash="-",
        )
        return version.id


def states(engine: sa.Engine) -> dict[int, str]:
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(sa.select(PlanVersion.id, PlanVersion.state))
        return {version_id: state for version_id, state in rows}


def trail(engine: sa.Engine) -> list[tuple[str, str, str, str]]:
    with unit_of_work(engine, write=False) as session:
        return [
            (e.actor, e.action, e.subject_id, e.detail.get("to", ""))
            for e in events(session, TESTER, "plan_version")
        ]


def test_legal_path_from_draft_to_released(engine: sa.Engine) -> None:
    version_id = new_version(engine)
    for action, state, user in [
        ("propose", "proposed", "ann"),
        ("approve", "approved", "bob"),
        ("release", "released", "cy"),
    ]:
        with unit_of_work(engine) as session:
            transition(session, Actor.administrator(user), version_id, action)
        with unit_of_work(engine, write=False) as session:
            stored = session.get(PlanVersion, version_id)
            assert stored is not None
            assert (stored.state, stored.state_changed_by) == (state, user)
            assert stored.state_changed_at is not None
    vid = str(version_id)
    assert trail(engine) == [
        ("ann", "plan.propose", vid, "proposed"),
        ("bob", "plan.approve", vid, "approved"),
        ("cy", "plan.release", vid, "released"),
    ]
    with unit_of_work(engine, write=False) as session:
        released = released_version(session, TESTER, "supply")
        assert released is not None and released.id == version_id
        assert [v.id for v in list_versions(session, TESTER, state="released")] == [version_id]
        assert list_versions(session, TESTER, kind="demand") == []
        with pytest.raises(Conflict, match="released"):
            ensure_changeable(released)


def approve_path(engine: sa.Engine, version_id: int, user: str = "ann") -> None:
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator(user), version_id, "propose")
        transition(session, Actor.administrator(user), version_id, "approve")


def test_approving_a_second_version_supersedes_the_first(engine: sa.Engine) -> None:
    first, second = new_version(engine), new_version(engine)
    other_cycle = new_version(engine, cycle="2027-02")
    demand = new_version(engine, kind="demand")
    approve_path(engine, first)
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), first, "release")
    for version_id in (other_cycle, demand):
        approve_path(engine, version_id)
    approve_path(engine, second, "bob")
    assert states(engine) == {
        first: "superseded",
        second: "approved",
        other_cycle: "approved",  # another cycle: untouched
        demand: "approved",  # another kind: untouched
    }
    with unit_of_work(engine, write=False) as session:
        event = events(session, TESTER, "plan_version", first)[-1]
        assert (event.action, event.actor) == ("plan.supersede", "bob")
        assert event.detail == {
            "from": "released",
            "to": "superseded",
            "kind": "supply",
            "cycle": "2027-01",
            "superseded_by": second,
        }
        superseded = session.get(PlanVersion, first)
        assert superseded is not None and superseded.state_changed_by == "bob"
        # the superseded version is kept whole: its frames are still there
        assert show_version(session, TESTER, first).frame_rows == {"supply_plan": 6}
    # at most one plan in force per kind and cycle
    assert sum(s in ("approved", "released") for s in states(engine).values()) == 3


@pytest.mark.parametrize(
    ("path", "action", "current"),
    [
        ([], "approve", "draft"),
        ([], "release", "draft"),
        (["propose"], "propose", "proposed"),
        (["propose"], "release", "proposed"),
        (["propose", "approve"], "approve", "approved"),
        (["propose", "approve"], "propose", "approved"),
        (["propose", "approve", "release"], "approve", "released"),
        (["propose", "approve", "release"], "release", "released"),
    ],
)
def test_illegal_transitions_raise_conflict_and_change_nothing(
    engine: sa.Engine, path: list[str], action: str, current: str
) -> None:
    version_id = new_version(engine)
    for step in path:
        with unit_of_work(engine) as session:
            transition(session, Actor.administrator("ann"), version_id, step)
    before_states, before_trail = states(engine), trail(engine)
    with pytest.raises(Conflict, match=f"it is {current}"), unit_of_work(engine) as session:
        transition(session, Actor.administrator("mallory"), version_id, action)
    assert states(engine) == before_states
    assert trail(engine) == before_trail


def test_superseded_is_final_and_unknown_versions_are_not_found(engine: sa.Engine) -> None:
    version_id = new_version(engine)
    with unit_of_work(engine) as session:
        supersede(session, Actor.administrator("ann"), version_id, reason="wrong data")
    for action in TRANSITIONS:
        with pytest.raises(Conflict, match="superseded"), unit_of_work(engine) as session:
            transition(session, Actor.administrator("ann"), version_id, action)
    with pytest.raises(Conflict, match="already superseded"), unit_of_work(engine) as session:
        supersede(session, Actor.administrator("ann"), version_id)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), version_id + 99, "propose")
    with pytest.raises(ValueError, match="action"), unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), version_id, "bless")
    assert trail(engine)[-1] == ("ann", "plan.supersede", str(version_id), "superseded")


def test_the_audit_event_rolls_back_with_the_change(engine: sa.Engine) -> None:
    version_id = new_version(engine)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), version_id, "propose")
        # the event is flushed inside the same transaction, visible before commit
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
        raise RuntimeError("the command failed after the transition")
    assert states(engine) == {version_id: "draft"}
    with unit_of_work(engine, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0

    with unit_of_work(engine) as session:
        record(session, Actor.administrator("ann"), "import.done", "import", 7, {"rows": 3})
        record(session, Actor.administrator("bob"), "demand.override", "demand_override", "12", {})
    with unit_of_work(engine, write=False) as session:
        assert [e.action for e in events(session, TESTER)] == ["import.done", "demand.override"]
        only = events(session, TESTER, subject_type="import", subject_id=7)
        assert [(e.actor, e.subject_id, e.detail) for e in only] == [("ann", "7", {"rows": 3})]
        assert [e.actor for e in events(session, TESTER, limit=1)] == ["bob"]


def expected_diff(
    a: pd.DataFrame, b: pd.DataFrame, keys: list[str], column: str
) -> tuple[set[Any], set[Any], dict[Any, float]]:
    """Added and removed keys and the change of one column, by dictionaries, not by merges."""
    rows_a = {tuple(r[keys]): r[column] for _, r in a.iterrows()}
    rows_b = {tuple(r[keys]): r[column] for _, r in b.iterrows()}
    changes = {k: rows_b[k] - rows_a[k] for k in rows_a.keys() & rows_b.keys()}
    return (
        set(rows_b) - set(rows_a),
        set(rows_a) - set(rows_b),
        {k: v for k, v in changes.items() if v != 0},
    )


def test_diff_finds_added_removed_and_changed_rows(engine: sa.Engine) -> None:
    rng = np.random.default_rng(3)
    plan_a = supply_plan()
    plan_b = plan_a.sample(frac=1.0, random_state=1).reset_index(drop=True)  # order must not matter
    plan_b = plan_b[~((plan_b["item"] == "B") & (plan_b["period"] == MONTHS[0]))]
    plan_b.loc[plan_b["item"] == "A", "production"] += rng.integers(0, 3, 3) * 5.0
    extra = pd.DataFrame(
        {"item": ["C"], "location": ["P1"], "period": [MONTHS[2]], "production": [7.0]}
    )
    plan_b = pd.concat([plan_b, extra.assign(subcontract=1.5)], ignore_index=True)
    capacity_a = pd.DataFrame({"resource": ["R1", "R2"], "period": MONTHS[:2], "hours": [5.0, 6.0]})
    capacity_b = capacity_a.assign(hours=[5.0, 9.5])
    a = new_version(
        engine,
        frames={"supply_plan": plan_a, "capacity_plan": capacity_a},
        summary={"total_cost": 100.0, "status": "optimal", "relaxations": 0},
    )
    b = new_version(
        engine,
        frames={"supply_plan": plan_b, "capacity_plan": capacity_b, "new_frame": capacity_b},
        summary={"total_cost": 80.5, "status": "optimal", "extra": True},
    )
    with unit_of_work(engine, write=False) as session:
        found = diff(session, TESTER, a, b)
        only_supply = diff(session, TESTER, a, b, ["supply_plan"])
    keys = ["item", "location", "period"]
    added, removed, changes = expected_diff(plan_a, plan_b, keys, "production")
    supply = found.frames["supply_plan"]
    assert supply.keys == tuple(keys)
    assert set(map(tuple, supply.added[keys].to_numpy())) == added
    assert set(map(tuple, supply.removed[keys].to_numpy())) == removed
    got = dict(
        zip(
            map(tuple, supply.changed[keys].to_numpy()),
            supply.changed["production_change"],
            strict=True,
        )
    )
    assert got == pytest.approx(changes) and len(changes) > 0
    assert supply.unchanged == len(plan_a) - len(removed) - len(changes)
    totals = supply.totals.set_index("column")
    assert totals.loc["production", "change"] == pytest.approx(
        plan_b["production"].sum() - plan_a["production"].sum()
    )
    capacity = found.frames["capacity_plan"]
    assert capacity.keys == ("resource", "period")
    assert capacity.changed[["resource", "hours_a", "hours_b", "hours_change"]].values.tolist() == [
        ["R2", 6.0, 9.5, 3.5]
    ]
    assert found.frames["new_frame"].only_in_b and len(found.frames["new_frame"].added) == 2
    headline = found.headline.set_index("figure")
    assert headline.loc["total_cost", "change"] == pytest.approx(-19.5)
    missing = headline.isna()
    assert headline.loc["status", "b"] == "optimal" and bool(missing.loc["status", "change"])
    assert bool(missing.loc["extra", "a"])  # a figure only one version has
    assert list(only_supply.frames) == ["supply_plan"]


def test_diff_refuses_different_kinds_and_unknown_frames(engine: sa.Engine) -> None:
    supply, demand = new_version(engine), new_version(engine, kind="demand")
    with unit_of_work(engine, write=False) as session:
        with pytest.raises(Conflict, match="same kind"):
            diff(session, TESTER, supply, demand)
        with pytest.raises(NotFound, match="no frame nothing"):
            diff(session, TESTER, supply, supply, ["nothing"])
        same = diff(session, TESTER, supply, supply).frames["supply_plan"]
        assert (len(same.added), len(same.removed), len(same.changed)) == (0, 0, 0)


def test_diff_frames_matches_repeated_keys_in_order() -> None:
    a = pd.DataFrame({"term": ["x", "x", "y"], "value": [1.0, 2.0, np.nan]})
    b = pd.DataFrame({"term": ["x", "x", "x", "y"], "value": [1.0, 4.0, 3.0, np.nan]})
    found = diff_frames(a, b, ["term"])
    assert found.added["value"].tolist() == [3.0]
    assert found.changed["value_change"].tolist() == [2.0]
    assert found.unchanged == 2  # two empty cells count as equal
    with pytest.raises(ValueError, match="missing"):
        diff_frames(a, b, ["item"])


def mps(engine: sa.Engine, path: Path, **options: Any) -> MpsExport:
    with unit_of_work(engine, write=False) as session:
        return export_mps(session, TESTER, path, **options)


def test_export_mps_writes_the_released_supply_version(engine: sa.Engine, tmp_path: Path) -> None:
    released = new_version(engine, frames={"supply_plan": supply_plan(1.0)})
    newest = new_version(engine, frames={"supply_plan": supply_plan(3.0)})
    draft_only = mps(engine, tmp_path / "before")
    assert draft_only.version_id == newest and draft_only.note is not None
    assert "no supply plan is released" in draft_only.note
    approve_path(engine, released)
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), released, "release")
    exported = mps(engine, tmp_path / "mps", grain="month")
    assert exported.version_id == released and exported.note is None
    assert exported.quantity == pytest.approx(supply_plan(1.0)["production"].sum())
    assert mps(engine, tmp_path / "asked", version_id=newest).version_id == newest


def test_two_approvals_at_once_leave_one_plan_in_force(engine: sa.Engine) -> None:
    first, second = new_version(engine), new_version(engine)
    for version_id in (first, second):
        with unit_of_work(engine) as session:
            transition(session, Actor.administrator("ann"), version_id, "propose")
    first_approved, release_first = threading.Event(), threading.Event()

    def approve_first() -> None:
        with unit_of_work(engine) as session:
            transition(session, Actor.administrator("ann"), first, "approve")
            first_approved.set()
            release_first.wait(timeout=20)  # hold the transaction (and its locks) open

    holder = threading.Thread(target=approve_first)
    holder.start()
    assert first_approved.wait(timeout=20)
    racer = threading.Thread(target=approve_as_bob, args=(engine, second))
    racer.start()
    time.sleep(0.5)  # let the second approval reach the lock before the first commits
    release_first.set()
    holder.join(timeout=30)
    racer.join(timeout=30)
    assert states(engine) == {first: "superseded", second: "approved"}


def approve_as_bob(engine: sa.Engine, version_id: int) -> None:
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator("bob"), version_id, "approve")


def release_path(engine: sa.Engine, version_id: int, user: str = "ann") -> None:
    approve_path(engine, version_id, user)
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator(user), version_id, "release")


def test_one_released_supply_plan_per_cycle_base_or_scenario(engine: sa.Engine) -> None:
    base = new_version(engine)
    scenario = new_version(engine, kind="scenario", frames={"supply_plan": supply_plan(2.0)})
    other_cycle = new_version(engine, kind="scenario", cycle="2027-02")
    release_path(engine, base)
    release_path(engine, other_cycle)
    release_path(engine, scenario, "bob")  # the scenario supersedes the base of its cycle
    assert states(engine) == {base: "superseded", scenario: "released", other_cycle: "released"}
    newer_base = new_version(engine, frames={"supply_plan": supply_plan(3.0)})
    release_path(engine, newer_base)  # and the other way round
    assert states(engine)[scenario] == "superseded"
    assert states(engine)[newer_base] == "released"
    with unit_of_work(engine, write=False) as session:
        event = events(session, TESTER, "plan_version", scenario)[-1]
    assert (event.action, event.detail["superseded_by"]) == ("plan.supersede", newer_base)


def test_adopting_a_scenario_makes_it_the_plan_export_mps_writes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    from oneplan.services.versions.lifecycle import adopt

    base = new_version(engine, frames={"supply_plan": supply_plan(1.0)})
    release_path(engine, base)
    scenario = new_version(engine, kind="scenario", frames={"supply_plan": supply_plan(2.0)})
    rival = new_version(engine, kind="scenario", frames={"supply_plan": supply_plan(4.0)})
    with unit_of_work(engine) as session:
        transition(session, Actor.administrator("ann"), rival, "propose")
    with unit_of_work(engine) as session:
        adopted = adopt(
            session, Actor.administrator("exec"), scenario, reason="the executive meeting chose it"
        )
    assert adopted.version.state == "released" and adopted.version.kind == "scenario"
    assert adopted.superseded == [base]
    # a scenario only put forward is not in force: it stays as it was
    assert states(engine) == {base: "superseded", scenario: "released", rival: "proposed"}
    with unit_of_work(engine, write=False) as session:
        trail_of = [(e.action, e.actor, e.detail) for e in events(session, TESTER, "plan_version")]
    assert (
        "plan.adopt",
        "exec",
        {
            "from": "draft",
            "to": "released",
            "kind": "scenario",
            "cycle": "2027-01",
            "reason": "the executive meeting chose it",
        },
    ) in trail_of
    exported = mps(engine, tmp_path / "mps", grain="month")
    assert exported.version_id == scenario and exported.note is None
    assert exported.kind == "scenario"
    assert exported.quantity == pytest.approx(supply_plan(2.0)["production"].sum())
    assert mps(engine, tmp_path / "by-id", version_id=rival).version_id == rival
    with unit_of_work(engine) as session:  # the meeting changes its mind: one plan still
        assert adopt(session, Actor.administrator("exec"), rival).superseded == [scenario]
    assert mps(engine, tmp_path / "again", grain="month").version_id == rival


def test_adopt_takes_a_scenario_version_that_can_go_forward(engine: sa.Engine) -> None:
    from oneplan.services.versions.lifecycle import adopt

    base = new_version(engine)
    failed = new_version(engine, kind="scenario", summary={"status": "infeasible"})
    withdrawn = new_version(engine, kind="scenario")
    with unit_of_work(engine) as session:
        supersede(session, Actor.administrator("ann"), withdrawn, reason="wrong assumption")
    before_states, before_trail = states(engine), trail(engine)
    for version_id, message in (
        (base, "supply plan: release it"),
        (failed, "infeasible"),
        (withdrawn, "superseded"),
    ):
        with pytest.raises(Conflict, match=message), unit_of_work(engine) as session:
            adopt(session, Actor.administrator("exec"), version_id)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        adopt(session, Actor.administrator("exec"), withdrawn + 99)
    assert states(engine) == before_states and trail(engine) == before_trail

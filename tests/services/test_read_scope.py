"""Reads within a grant's scope, decided in the services: which rows a person sees, the nodes
of the demand plan a sales manager reads, and the figures of the whole company only a grant
without scope reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.models import Family
from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.data.service import export_package
from oneplan.services.demand.reading import demand_plan, node_layers
from oneplan.services.permissions import Grant, Role
from oneplan.services.scope import readable, reads_everything, require_whole_read
from oneplan.services.supply.explanations import unmet_demand, utilisation


def person(*grants: Grant) -> Actor:
    return Actor("someone", frozenset(grants))


HOSES = person(Grant(Role.sales, families=frozenset({"HOS"})))
NORTH = person(Grant(Role.supply_planner, locations=frozenset({"PL-NORTH"})))
HOSES_AND_NORTH = person(*HOSES.grants, *NORTH.grants)
EVERYONE = Actor.administrator("tester")


@pytest.mark.parametrize(
    ("who", "family", "location", "seen"),
    [
        (HOSES, "HOS", "DC", True),
        (HOSES, "SPR", "DC", False),
        (HOSES, None, "PL-NORTH", False),  # a resource: about no family
        (NORTH, None, "PL-NORTH", True),
        (NORTH, "HOS", None, False),  # a family's money over every plant
        (HOSES_AND_NORTH, "SPR", "PL-NORTH", True),  # either grant is enough
        (HOSES_AND_NORTH, "SPR", "DC", False),
        (EVERYONE, None, None, True),
    ],
)
def test_a_row_is_seen_when_one_grant_covers_it(
    who: Actor, family: str | None, location: str | None, seen: bool
) -> None:
    families = None if family is None else pd.Series([family])
    locations = None if location is None else pd.Series([location])
    size_one = families if families is not None else locations
    if size_one is None:
        assert reads_everything(who) is seen
        return
    assert readable(who, families, locations).tolist() == [seen]


def test_someone_without_a_grant_reads_nothing_and_a_scoped_grant_not_the_whole() -> None:
    with pytest.raises(PermissionDenied, match="needs the permission read"):
        readable(person(), pd.Series(["HOS"]), None)
    with pytest.raises(PermissionDenied, match="whole company"):
        require_whole_read(HOSES)
    require_whole_read(EVERYONE)


def test_the_demand_plan_shows_a_scoped_reader_the_nodes_within_the_grant(
    planned: tuple[sa.Engine, Any], demo_frames: dict[str, pd.DataFrame]
) -> None:
    engine, consensus = planned
    with unit_of_work(engine, write=False) as session:
        families = demand_plan(session, HOSES, level="family", limit=1000)
        items = demand_plan(session, HOSES, level="item", limit=10_000)
        total = demand_plan(session, HOSES, level="total")
        whole = demand_plan(session, EVERYONE, level="total", limit=1000)
        with pytest.raises(PermissionDenied, match="the total"):
            node_layers(session, HOSES, level="total")
        hoses = node_layers(session, HOSES, level="family", member="HOS")
    assert {r.member for r in families.items} == {"HOS"}
    codes = demo_frames["items"].set_index("code")["family"]
    assert {codes[r.member] for r in items.items} == {"HOS"}
    assert total.total == 0
    # a plan made by hand holds units alone: the layers it lacks are null, not zero
    assert all(r.baseline is None and r.value is None for r in whole.items)
    assert sum(r.quantity for r in whole.items) == pytest.approx(consensus["quantity"].sum())
    assert [layer.layer for layer in hoses.layers][-2:] == ["consensus", "consensus value"]


def test_the_supply_explanations_show_a_reader_the_rows_of_the_grant(
    planned: tuple[sa.Engine, Any], demo_frames: dict[str, pd.DataFrame]
) -> None:
    engine, _ = planned
    with unit_of_work(engine, write=False) as session:
        north = utilisation(session, NORTH, limit=10_000)
        hoses = utilisation(session, HOSES)
        unmet = unmet_demand(session, HOSES, limit=10_000)
    assert north.total and {r.location for r in north.items} == {"PL-NORTH"}
    assert hoses.total == 0
    codes = demo_frames["items"].set_index("code")["family"]
    assert {codes[r.item] for r in unmet.items} <= {"HOS"}


def test_the_whole_package_is_exported_by_a_grant_without_scope_only(
    engine: sa.Engine, prepare: Any, tmp_path: Path
) -> None:
    prepare.import_demo(engine)
    with pytest.raises(PermissionDenied, match="whole company"), unit_of_work(engine) as session:
        export_package(session, HOSES, tmp_path / "hoses")
    assert not (tmp_path / "hoses").exists()
    with unit_of_work(engine) as session:
        counts = export_package(session, EVERYONE, tmp_path / "all")
    assert counts["items"] == len(pd.read_csv(tmp_path / "all" / "items.csv"))


def test_the_demand_plan_read_again_follows_a_change_of_the_master_data(
    planned: tuple[sa.Engine, Any],
) -> None:
    engine, _ = planned
    with unit_of_work(engine, write=False) as session:
        before = demand_plan(session, EVERYONE, level="category", limit=1000)
        again = demand_plan(session, EVERYONE, level="category", limit=1000)  # from memory
    assert again == before
    with unit_of_work(engine) as session:  # as an import does: the row and its updated_at
        session.execute(
            sa.update(Family)
            .where(Family.code == "HOS")
            .values(category="Hoses", updated_at=datetime.now(UTC) + timedelta(seconds=1))
        )
    with unit_of_work(engine, write=False) as session:
        after = demand_plan(session, EVERYONE, level="category", limit=1000)
    assert "Hoses" in {r.member for r in after.items}
    assert "Hoses" not in {r.member for r in before.items}

"""Plan versions keep their frames exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.versions.store import content_hash, get_version, load_frames, save_version


def test_saved_frames_come_back_identical(engine: sa.Engine) -> None:
    plan = pd.DataFrame(
        {
            "item": ["A", "B"],
            "period": pd.to_datetime(["2027-01-01", "2027-02-01"]),
            "production": [10.5, 0.0],
        }
    )
    with unit_of_work(engine) as session:
        version = save_version(
            session,
            Actor.administrator("tester"),
            cycle="2027-01",
            kind="supply",
            name="first",
            frames={"supply_plan": plan},
            settings={"objective": "cost"},
            summary={"status": "optimal"},
            input_hash=content_hash({"supply_plan": plan}, {"objective": "cost"}),
        )
        version_id = version.id
    with unit_of_work(engine, write=False) as session:
        newest = get_version(session, kind="supply")
        assert newest.id == version_id and newest.state == "draft"
        frames = load_frames(session, version_id)
    pd.testing.assert_frame_equal(frames["supply_plan"], plan)


def test_missing_version_is_not_found(engine: sa.Engine) -> None:
    with (
        unit_of_work(engine, write=False) as session,
        pytest.raises(NotFound, match="there is no demand plan yet"),
    ):
        get_version(session, kind="demand")


def test_content_hash_sees_values_and_settings() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    base = content_hash({"f": frame}, {"a": 1})
    assert base == content_hash({"f": frame.copy()}, {"a": 1})
    assert base != content_hash({"f": frame.assign(x=[1.0, 2.5])}, {"a": 1})
    assert base != content_hash({"f": frame}, {"a": 2})
    assert base != content_hash({"g": frame}, {"a": 1})


def test_a_version_of_another_kind_is_named_as_such(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        frames = {"supply_plan": pd.DataFrame({"x": [1.0]})}
        supply = save_version(
            session,
            Actor.administrator("tester"),
            cycle="2027-01",
            kind="supply",
            name="a supply plan",
            frames=frames,
            settings={},
            summary={},
            input_hash="-",
        )
    with (
        unit_of_work(engine, write=False) as session,
        pytest.raises(NotFound, match=f"version {supply.id} is a supply plan, not a demand plan"),
    ):
        get_version(session, supply.id, "demand")

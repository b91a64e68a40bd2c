"""Recording overrides on SQLite and PostgreSQL: a range of months at once, all or nothing, and
codes that are near a known one answered with a hint."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from oneplan.db.demand import DemandOverride
from oneplan.db.session import unit_of_work
from oneplan.errors import ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.service import events
from oneplan.services.demand.overrides import add_override_months, add_overrides
from oneplan.services.demand.schemas import OverrideIn

PLANNER = Actor.administrator("planner")


def stored(engine: sa.Engine) -> pd.DataFrame:
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            sa.select(
                DemandOverride.sequence,
                DemandOverride.member,
                DemandOverride.period,
                DemandOverride.value,
                DemandOverride.reason,
            ).order_by(DemandOverride.sequence)
        ).all()
    return pd.DataFrame(rows, columns=["sequence", "member", "period", "value", "reason"])


def request(**changes: Any) -> OverrideIn:
    fields: dict[str, Any] = {
        "level": "family",
        "member": "HOS",
        "period": "2027-03",
        "kind": "relative",
        "value": 10.0,
        "reason": "summer campaign",
    }
    return OverrideIn(**{**fields, **changes})


def test_a_range_of_months_records_one_override_per_month(engine: sa.Engine, prepare: Any) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine) as session:
        added = add_override_months(session, PLANNER, request(), to="2027-05")
    assert [(o.sequence, f"{o.period:%Y-%m}") for o in added] == [
        (1, "2027-03"),
        (2, "2027-04"),
        (3, "2027-05"),
    ]
    found = stored(engine)
    assert found["reason"].tolist() == ["summer campaign"] * 3
    assert found["value"].tolist() == [10.0] * 3 and set(found["member"]) == {"HOS"}
    with unit_of_work(engine, write=False) as session:
        assert len(events(session, PLANNER, "demand_override")) == 3
    with unit_of_work(engine) as session:  # without a range: the one month, as before
        assert len(add_override_months(session, PLANNER, request(period="2027-06"))) == 1


@pytest.mark.parametrize(
    ("first", "last", "named"),
    [
        ("2028-05", "2028-08", "2028-07 is outside the plan"),  # the plan ends in 2028-06
        ("2027-05", "2027-03", "column to: 2027-03 is before 2027-05"),
        ("2027-05", "someday", "column to: 'someday' is not a month"),
    ],
)
def test_a_range_is_all_or_nothing(
    engine: sa.Engine, prepare: Any, first: str, last: str, named: str
) -> None:
    prepare.import_demo(engine)
    with pytest.raises(ValidationFailed, match=named), unit_of_work(engine) as session:
        add_override_months(session, PLANNER, request(period=first), to=last)
    assert stored(engine).empty


@pytest.mark.parametrize(
    ("level", "member", "hint"),
    [
        ("family", "hos", "did you mean HOS?"),
        ("family", "HSO", "did you mean HOS?"),
        ("location", "pl-north", "did you mean PL-NORTH?"),
        ("region", "north", "did you mean North?"),
        ("item_location", "hos-0001|DC-CENTRAL", "did you mean HOS-0001?"),
        ("item_location", "HOS-0001|dc-central", "did you mean DC-CENTRAL?"),
    ],
)
def test_a_code_near_a_known_one_gets_a_hint(
    engine: sa.Engine, prepare: Any, level: str, member: str, hint: str
) -> None:
    prepare.import_demo(engine)
    with (
        pytest.raises(ValidationFailed, match=re.escape(hint)) as raised,
        unit_of_work(engine) as session,
    ):
        add_overrides(session, PLANNER, [request(level=level, member=member)])
    assert raised.value.problems[0].column == "member"
    with pytest.raises(ValidationFailed) as far, unit_of_work(engine) as session:
        add_overrides(session, PLANNER, [request(member="GARDEN-TOOLS")])
    assert "did you mean" not in str(far.value)  # nothing close: no guess
    assert stored(engine).empty

"""The objects a comment can be about: check that the one named exists, give its key in one
spelling, and say what it reaches as (family, location) targets, so that a person comments
only on what their scope lets them see (`oneplan.services.scope`).

Things about the whole month (a plan version, a step of the cycle, a decision, an issue of the
meeting list) are seen by every user; a demand cell, an item, a family, a resource or a scenario
by those whose grants cover its families and locations.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CommentOn, CycleStep, OverrideLevel
from oneplan.db.cycles import Cycle, CycleStepRow, Decision
from oneplan.db.models import Family, Item, Location, Resource
from oneplan.db.plans import PlanVersion
from oneplan.db.scenarios import Scenario, ScenarioAssumption
from oneplan.errors import InputError, NotFound
from oneplan.services.cycle.calendar import parse_month
from oneplan.services.permissions import WHOLE, Target

SEPARATOR = "/"


@dataclass(frozen=True)
class Subject:
    """An object that exists: its kind, its key as stored, and what it reaches (empty: the
    whole month's business, seen by everyone)."""

    kind: CommentOn
    key: str
    targets: tuple[Target, ...]

    def __str__(self) -> str:
        return f"{self.kind.value.replace('_', ' ')} {self.key}"


def _bad(key: str, need: str) -> InputError:
    return InputError(f"is {key!r}, need {need}", table="comment", column="key")


def _number(key: str, what: str) -> int:
    if not key.isdigit():
        raise _bad(key, f"a {what} id (a number)")
    return int(key)


def _month_and(key: str, need: str) -> tuple[str, str]:
    month, _, rest = key.partition(SEPARATOR)
    try:
        parse_month(month, field="key")
    except InputError:
        raise _bad(key, need) from None
    return month, rest


def node_targets(session: Session, level: str, member: str) -> list[Target]:
    """What a node of the demand plan (or a scenario's target) reaches; `NotFound` naming the
    code when there is no such node."""
    if level == "total":
        return [WHOLE]
    if level in ("item", "item_location"):
        code, _, place = member.partition("|")
        family = session.scalar(sa.select(Item.family).where(Item.code == code))
        if family is None:
            raise NotFound(f"there is no item {code!r}")
        if level == "item":
            return [(family, None)]
        node_targets(session, "location", place)
        return [(family, place)]
    if level == "family":
        if session.get(Family, member) is None:
            raise NotFound(f"there is no family {member!r}")
        return [(member, None)]
    if level == "location":
        if session.get(Location, member) is None:
            raise NotFound(f"there is no location {member!r}")
        return [(None, member)]
    if level == "resource":
        plant = session.scalar(sa.select(Resource.location).where(Resource.code == member))
        if plant is None:
            raise NotFound(f"there is no resource {member!r}")
        return [(None, plant)]
    if level == "category":
        codes = session.scalars(
            sa.select(Family.code).where(Family.category == member).order_by(Family.code)
        ).all()
        if not codes:
            raise NotFound(f"there is no category {member!r}")
        return [(code, None) for code in codes]
    if level == "region":
        codes = session.scalars(
            sa.select(Location.code).where(Location.region == member).order_by(Location.code)
        ).all()
        if not codes:
            raise NotFound(f"there is no region {member!r}")
        return [(None, code) for code in codes]
    choices = ", ".join(level.value for level in OverrideLevel)
    raise InputError(
        f"names the level {level!r}, expected one of {choices}", table="comment", column="key"
    )


def _demand_cell(session: Session, key: str) -> Subject:
    parts = key.split(SEPARATOR)
    need = "level/member/month, e.g. family/HOS/2027-03 (total/2027-03 for the total)"
    if len(parts) < 2:
        raise _bad(key, need)
    level, month, member = parts[0], parts[-1], SEPARATOR.join(parts[1:-1])
    try:
        parse_month(month, field="key")
    except InputError:
        raise _bad(key, need) from None
    if level != "total" and not member:
        raise _bad(key, need)
    targets = node_targets(session, level, member)
    canonical = SEPARATOR.join([level, month] if level == "total" else [level, member, month])
    return Subject(CommentOn.demand_cell, canonical, tuple(targets))


def _scenario(session: Session, key: str) -> Subject:
    scenario = session.scalars(sa.select(Scenario).where(Scenario.name == key)).first()
    if scenario is None:
        raise NotFound(f"there is no scenario named {key!r}")
    # a scenario runs on its ancestors' assumptions too: it reaches what they reach
    targets: list[Target] = []
    seen: set[int] = set()
    current: Scenario | None = scenario
    while current is not None and current.id not in seen:
        seen.add(current.id)
        for level, target in session.execute(
            sa.select(ScenarioAssumption.target_level, ScenarioAssumption.target).where(
                ScenarioAssumption.scenario_id == current.id
            )
        ):
            try:
                targets += node_targets(session, level, target)
            except NotFound:  # a code gone from the master data: only the whole company sees it
                targets.append(WHOLE)
        current = None if current.parent_id is None else session.get(Scenario, current.parent_id)
    return Subject(CommentOn.scenario, key, tuple(dict.fromkeys(targets)))


def resolve(session: Session, kind: CommentOn | str, key: str) -> Subject:
    """The object of ``kind`` named ``key``: `InputError` naming ``kind`` or ``key`` when they
    cannot name one, `NotFound` when it does not exist."""
    try:
        chosen = CommentOn(kind)
    except ValueError:
        choices = ", ".join(k.value for k in CommentOn)
        raise InputError(
            f"is {kind!r}, expected one of {choices}", table="comment", column="kind"
        ) from None
    key = key.strip()
    if not key:
        raise _bad(key, "the key of the object commented on")
    if chosen is CommentOn.demand_cell:
        return _demand_cell(session, key)
    if chosen is CommentOn.scenario:
        return _scenario(session, key)
    if chosen in (CommentOn.item, CommentOn.family, CommentOn.resource):
        return Subject(chosen, key, tuple(node_targets(session, chosen.value, key)))
    if chosen is CommentOn.plan_version:
        if session.get(PlanVersion, _number(key, "plan version")) is None:
            raise NotFound(f"there is no plan version {key}")
        return Subject(chosen, str(int(key)), ())
    if chosen is CommentOn.decision:
        if session.get(Decision, _number(key, "decision")) is None:
            raise NotFound(f"there is no decision {key}")
        return Subject(chosen, str(int(key)), ())
    if chosen is CommentOn.cycle_step:
        month, step = _month_and(key, "month/step, e.g. 2027-03/demand_review")
        if step not in {s.value for s in CycleStep}:
            choices = ", ".join(s.value for s in CycleStep)
            raise _bad(key, f"month/step with a step of {choices}")
        found = session.scalar(
            sa.select(CycleStepRow.id)
            .join(Cycle, Cycle.id == CycleStepRow.cycle_id)
            .where(Cycle.month == month, CycleStepRow.name == step)
        )
        if found is None:
            raise NotFound(f"there is no cycle {month}: `oneplan cycle status` shows the open one")
        return Subject(chosen, key, ())
    # an issue of the meeting list: computed, not stored; named by its cycle and its rank
    month, rank = _month_and(key, "month/rank, e.g. 2027-03/2")
    if not rank.isdigit() or int(rank) < 1:
        raise _bad(key, "month/rank with a rank from 1, e.g. 2027-03/2")
    if session.scalar(sa.select(Cycle.id).where(Cycle.month == month)) is None:
        raise NotFound(f"there is no cycle {month}: `oneplan cycle status` shows the open one")
    return Subject(chosen, f"{month}/{int(rank)}", ())

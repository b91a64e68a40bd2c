"""Plan versions through their life: draft -> proposed -> approved -> released.

States and the only legal moves::

    draft -> proposed -> approved -> released
      any state but superseded -> superseded

Approving or releasing a version supersedes the version of the same *family* and cycle that was
approved or released before, so each family and cycle has at most one plan in force. A family is
one kind, except the cycle's supply plans: the base plan (``supply``) and the scenario runs
(``scenario``) are one family, so a cycle has one released supply plan, which the MPS export
writes. `adopt` makes a scenario run that plan in one move. An approved or released version
cannot be changed, only superseded. Once the database has users, a plan is approved (or adopted)
by someone else than the person who made or proposed it. Every move stamps the version
(``state_changed_at``/``state_changed_by``) and writes an audit event in the same transaction.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import PlanAction
from oneplan.db.plans import PlanVersion
from oneplan.db.users import User
from oneplan.errors import Conflict, InputError, PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.permissions import Permission, require
from oneplan.services.versioning import check_version
from oneplan.services.versions.schemas import Transition, VersionInfo
from oneplan.services.versions.store import get_version

SUBJECT = "plan_version"
IN_FORCE = ("approved", "released")
FINAL = ("approved", "released", "superseded")
#: The kinds that plan supply for a cycle: one family, with one plan in force per cycle.
SUPPLY_PLANS = ("supply", "scenario")

#: The permission each move needs.
MOVED_BY: dict[PlanAction, Permission] = {
    PlanAction.propose: Permission.propose_plan,
    PlanAction.approve: Permission.approve_plan,
    PlanAction.release: Permission.release_plan,
}

# action -> (state it starts from, state it leads to)
TRANSITIONS: dict[PlanAction, tuple[str, str]] = {
    PlanAction.propose: ("draft", "proposed"),
    PlanAction.approve: ("proposed", "approved"),
    PlanAction.release: ("approved", "released"),
}


def ensure_changeable(version: PlanVersion | VersionInfo) -> None:
    """Refuse to change a version that is approved, released or superseded."""
    if version.state in FINAL:
        raise Conflict(
            f"plan version {version.id} is {version.state}: it cannot be changed, only superseded"
            " by a new version"
        )


def family_kinds(kind: str) -> tuple[str, ...]:
    """The kinds that share one plan in force with ``kind`` in a cycle.

    >>> family_kinds("scenario"), family_kinds("demand")
    (('supply', 'scenario'), ('demand',))
    """
    return SUPPLY_PLANS if kind in SUPPLY_PLANS else (kind,)


def _lock_family(session: Session, version_id: int) -> tuple[PlanVersion, list[PlanVersion]]:
    """The version and every version of its family and cycle, locked in id order.

    Locking the whole family (PostgreSQL; SQLite writers are serialised anyway) makes two people
    approving two versions at once wait for each other instead of both ending up approved."""
    version = get_version(session, version_id)
    family = session.scalars(
        sa.select(PlanVersion)
        .where(PlanVersion.kind.in_(family_kinds(version.kind)), PlanVersion.cycle == version.cycle)
        .order_by(PlanVersion.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return version, list(family)


def _move(
    session: Session,
    version: PlanVersion,
    to: str,
    actor: Actor,
    at: datetime,
    action: str | None = None,
    **detail: Any,
) -> None:
    before = version.state
    version.state = to
    version.state_changed_at = at
    version.state_changed_by = actor.name
    if action is None:
        action = "plan.supersede" if to == "superseded" else f"plan.{_action_for(to)}"
    record(
        session,
        actor,
        action,
        SUBJECT,
        version.id,
        {"from": before, "to": to, "kind": version.kind, "cycle": version.cycle, **detail},
        at=at,
    )


def _action_for(state: str) -> str:
    return next(action for action, (_, to) in TRANSITIONS.items() if to == state)


#: Solver statuses that still leave a usable plan (the best plan found when the solver stopped).
STOPPED_WITH_A_PLAN = ("time_limit", "iteration_limit")


def unusable(summary: dict[str, Any]) -> str | None:
    """Why a version's plan cannot go forward (a failed solve, a figure that is not finite), or
    None when it can.

    >>> unusable({"status": "optimal", "total_cost": 12.5}) is None
    True
    >>> unusable({"status": "infeasible_even_relaxed"})
    'its solve ended infeasible_even_relaxed'
    >>> unusable({"total_units": float("inf")})
    'its total_units is inf, not a finite number'
    """
    status = summary.get("status")
    has_plan = summary.get("service_level") is not None
    stopped_with_a_plan = status in STOPPED_WITH_A_PLAN and has_plan
    if status is not None and status != "optimal" and not stopped_with_a_plan:
        return f"its solve ended {status}"
    for name, value in summary.items():
        if isinstance(value, float) and not math.isfinite(value):
            return f"its {name} is {value}, not a finite number"
    return None


def _four_eyes(session: Session, actor: Actor, version: PlanVersion, move: str) -> None:
    """Refuse to approve (or adopt) a plan one made or proposed oneself, once the database has
    users; a one-person database (no users) has nobody else to ask."""
    if session.scalar(sa.select(User.id).limit(1)) is None:
        return
    proposer = version.state_changed_by if version.state == "proposed" else None
    if actor.name in (version.created_by, proposer):
        role = "made" if actor.name == version.created_by else "proposed"
        raise PermissionDenied(
            f"{actor.name} may not {move} plan version {version.id}: they {role} it, and a "
            "plan is approved by someone else than its author"
        )


def _article(state: str) -> str:
    return "an" if state[0] in "aeiou" else "a"


def _check_version(version: PlanVersion, expected: int | None) -> None:
    what = f"plan version {version.id}"
    check_version(what, version.version, expected, lambda: VersionInfo.model_validate(version))


def transition(
    session: Session, actor: Actor, version_id: int, action: str, *, expected: int | None = None
) -> Transition:
    """Apply ``propose``, ``approve`` or ``release`` to a version; the caller commits.

    Raises ``NotFound`` for an unknown version, ``Stale`` when ``expected`` (the version the
    person read) is not the version's current one, and ``Conflict`` (naming the current state)
    for a move the version's state does not allow; nothing changes then.
    """
    if action not in TRANSITIONS:
        choices = ", ".join(TRANSITIONS)
        raise InputError(f"expected one of {choices}, not {action!r}", table="action")
    start, target = TRANSITIONS[PlanAction(action)]
    require(actor, MOVED_BY[PlanAction(action)])
    version, family = _lock_family(session, version_id)
    _check_version(version, expected)
    if version.state != start:
        raise Conflict(
            f"cannot {action} plan version {version.id}: it is {version.state}, "
            f"only {_article(start)} {start} version can be {target}"
        )
    flaw = unusable(dict(version.summary or {}))
    if flaw is not None:
        raise Conflict(f"plan version {version.id} cannot be {target}: {flaw}")
    if target == "approved":
        _four_eyes(session, actor, version, "approve")
    now = datetime.now(UTC)
    _move(session, version, target, actor, now)
    superseded = (
        _supersede_others(session, actor, version, family, now) if target in IN_FORCE else []
    )
    session.flush()
    return Transition(version=VersionInfo.model_validate(version), superseded=superseded)


def _supersede_others(
    session: Session,
    actor: Actor,
    version: PlanVersion,
    family: list[PlanVersion],
    at: datetime,
) -> list[int]:
    """Supersede the family's other plans in force: ``version`` is now the one."""
    superseded = []
    for other in family:
        if other.id != version.id and other.state in IN_FORCE:
            _move(session, other, "superseded", actor, at, superseded_by=version.id)
            superseded.append(other.id)
    return superseded


def adopt(
    session: Session,
    actor: Actor,
    version_id: int,
    reason: str = "",
    *,
    expected: int | None = None,
) -> Transition:
    """Adopt a scenario run as the cycle's supply plan, in one move; the caller commits.

    The scenario version (draft, proposed or approved) becomes ``released``: the supply plan
    in force that the MPS export writes. The cycle's base supply plan and any other scenario
    that was approved or released are superseded. One ``plan.adopt`` audit event records the
    move and the ``reason`` (the decision taken), and each superseded version its own
    ``plan.supersede``. Refused with ``Conflict`` (nothing changes) for a version that is not
    a scenario run, is released or superseded already, or whose plan cannot go forward. It
    approves and releases in one move: the actor needs both permissions.
    """
    require(actor, Permission.approve_plan)
    require(actor, Permission.release_plan)
    version, family = _lock_family(session, version_id)
    _check_version(version, expected)
    if version.kind != "scenario":
        raise Conflict(
            f"plan version {version.id} is a {version.kind} plan: release it with `plan "
            "release`; only a scenario version is adopted"
        )
    if version.state in ("released", "superseded"):
        raise Conflict(f"cannot adopt plan version {version.id}: it is {version.state} already")
    flaw = unusable(dict(version.summary or {}))
    if flaw is not None:
        raise Conflict(f"plan version {version.id} cannot be adopted: {flaw}")
    _four_eyes(session, actor, version, "adopt")
    now = datetime.now(UTC)
    _move(session, version, "released", actor, now, "plan.adopt", reason=reason)
    superseded = _supersede_others(session, actor, version, family, now)
    session.flush()
    return Transition(version=VersionInfo.model_validate(version), superseded=superseded)


def supersede(
    session: Session,
    actor: Actor,
    version_id: int,
    reason: str = "",
    *,
    expected: int | None = None,
) -> VersionInfo:
    """Withdraw a version by hand (any state but superseded); it is kept as a record.

    A draft or proposed version is withdrawn by those who propose plans; one in force
    (approved or released) by those who approve them."""
    version, _ = _lock_family(session, version_id)
    _check_version(version, expected)
    in_force = version.state in IN_FORCE
    require(actor, Permission.approve_plan if in_force else Permission.propose_plan)
    if version.state == "superseded":
        raise Conflict(f"plan version {version.id} is already superseded")
    _move(session, version, "superseded", actor, datetime.now(UTC), reason=reason)
    session.flush()
    return VersionInfo.model_validate(version)

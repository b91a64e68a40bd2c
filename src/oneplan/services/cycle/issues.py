"""The issues the pre-S&OP meeting decides: the ranked list a financial plan stores, and a
decision recorded on one of them.

A decision on an issue goes onto the agenda of the open cycle with the issue's rank and the
financial plan the list belongs to, so the rank keeps its meaning when a later run ranks
differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.cycle.decisions import WRITERS, add_decision, list_decisions
from oneplan.services.cycle.schemas import DecisionInfo
from oneplan.services.cycle.service import holds, refuse
from oneplan.services.permissions import Permission, require_some
from oneplan.services.versions.current import chosen_version, current_month
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.store import load_frames

FINANCE = "finance"
ISSUE_COLUMNS = [
    "rank",
    "kind",
    "subject",
    "period",
    "periods",
    "units",
    "unit",
    "money",
    "decision",
    "cause",
    "rows",
]


@dataclass(frozen=True)
class MeetingIssues:
    """The ranked issues of one financial plan (``issues``, largest money first), the
    decisions already recorded on each (by rank), the month whose agenda a new decision joins
    (None before any cycle) and whether the actor may record one."""

    version: VersionInfo
    issues: pd.DataFrame
    month: str | None
    may_decide: bool
    decisions: dict[int, list[DecisionInfo]] = field(default_factory=dict)


def meeting_issues(session: Session, actor: Actor, version_id: int | None = None) -> MeetingIssues:
    """The issue list of financial plan ``version_id`` (default: the newest of the open
    cycle) with the decisions on the agenda that answer its issues."""
    require_some(actor, Permission.read)
    version = chosen_version(session, FINANCE, version_id)
    stored = load_frames(session, version.id, ["issues"]).get("issues", pd.DataFrame())
    issues = stored.reindex(columns=ISSUE_COLUMNS).sort_values("rank", ignore_index=True)
    month = current_month(session)
    answers: dict[int, list[DecisionInfo]] = {}
    if month is not None:
        for decision in list_decisions(session, actor, month=month):
            same_plan = decision.plan_version_id in (None, version.id)
            if decision.issue_rank is not None and same_plan:
                answers.setdefault(decision.issue_rank, []).append(decision)
    return MeetingIssues(
        VersionInfo.model_validate(version), issues, month, holds(actor, WRITERS), answers
    )


def decide_on_issue(
    session: Session,
    actor: Actor,
    rank: int,
    text: str,
    owner: str,
    *,
    version_id: int | None = None,
    due_on: date | None = None,
) -> DecisionInfo:
    """Record a decision on the issue of ``rank`` in financial plan ``version_id`` (default:
    the newest of the open cycle), on the open cycle's agenda; NotFound for a rank the list
    does not have. The caller commits."""
    if not holds(actor, WRITERS):
        raise refuse(actor, "record a decision", WRITERS)
    version = chosen_version(session, FINANCE, version_id)
    ranks = load_frames(session, version.id, ["issues"]).get("issues", pd.DataFrame())
    known = set(ranks["rank"].astype(int)) if "rank" in ranks else set()
    if rank not in known:
        listed = f"ranks 1 to {max(known)}" if known else "no issues"
        raise NotFound(
            f"there is no issue {rank} on the meeting list of financial plan #{version.id} "
            f"({listed})"
        )
    return add_decision(
        session, actor, text, owner, due_on=due_on, issue_rank=rank, plan_version_id=version.id
    )

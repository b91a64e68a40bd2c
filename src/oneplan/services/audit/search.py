"""Search the audit trail: by who, what, which thing, when, and any word of its detail; one
page at a time, newest first, counted by the database (the trail only grows)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from oneplan.db.audit import AuditEvent
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.audit.schemas import AuditEntry, ChainCheck
from oneplan.services.audit.verify import verify_chain
from oneplan.services.permissions import Permission, require, require_some

#: The most events one page holds.
LONGEST_PAGE = 500


class AuditSearch(BaseModel):
    """What to look for; an empty field matches everything.

    ``action`` matches an action or, ending with a dot, a family of them (``user.``);
    ``since`` and ``until`` are whole days in UTC, both included; ``text`` is looked for,
    in any case, in the actor, action, subject and detail."""

    model_config = ConfigDict(frozen=True)

    actor: str = ""
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""


class AuditPage(BaseModel):
    """One page of a search: its events, newest first, and how many match in all."""

    model_config = ConfigDict(frozen=True)

    total: int
    page: int = Field(ge=1)
    per_page: int
    entries: list[AuditEntry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(search: AuditSearch) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if search.actor.strip():
        found.append(AuditEvent.actor == search.actor.strip())
    action = search.action.strip()
    if action.endswith("."):
        found.append(AuditEvent.action.startswith(action, autoescape=True))
    elif action:
        found.append(AuditEvent.action == action)
    if search.subject_type.strip():
        found.append(AuditEvent.subject_type == search.subject_type.strip())
    if search.subject_id.strip():
        found.append(AuditEvent.subject_id == search.subject_id.strip())
    if search.since is not None:
        found.append(AuditEvent.at >= datetime.combine(search.since, time(), UTC))
    if search.until is not None:
        found.append(AuditEvent.at < datetime.combine(search.until + timedelta(1), time(), UTC))
    text = search.text.strip().lower()
    if text:
        # JSON is text in SQLite and casts to text in PostgreSQL: one search for both.
        searched = (
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            sa.cast(AuditEvent.detail, sa.Text),
        )
        found.append(sa.or_(*(sa.func.lower(c).contains(text, autoescape=True) for c in searched)))
    return found


def search_events(
    session: Session, actor: Actor, search: AuditSearch, *, page: int = 1, per_page: int = 50
) -> AuditPage:
    """Page ``page`` (from 1) of the events matching ``search``, newest first.

    A date range that ends before it starts is refused, naming both fields."""
    require_some(actor, Permission.read)
    problems = []
    if search.since and search.until and search.until < search.since:
        message = f"{search.until} is before the start {search.since}"
        problems.append(Problem("audit search", None, "until", message))
    if not 1 <= per_page <= LONGEST_PAGE:
        problems.append(
            Problem("audit search", None, "per_page", f"{per_page} is not 1 to {LONGEST_PAGE}")
        )
    if page < 1:
        problems.append(Problem("audit search", None, "page", f"{page} is not 1 or more"))
    if problems:
        raise ValidationFailed(problems)
    where = _conditions(search)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*where))
    rows = session.scalars(
        sa.select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return AuditPage(
        total=int(total or 0),
        page=page,
        per_page=per_page,
        entries=[AuditEntry.model_validate(e) for e in rows],
    )


def audit_actions(session: Session, actor: Actor) -> list[str]:
    """Every action the trail holds, for a search's choice list."""
    require_some(actor, Permission.read)
    return list(
        session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def check_chain(session: Session, actor: Actor) -> ChainCheck:
    """`verify_chain` for the people who look after the system (``manage_users``): the page
    shows the chain's state to them, not to everyone who may read the trail."""
    require(actor, Permission.manage_users)
    return verify_chain(session, actor)

"""The inbox of whoever asks: their notifications, marking them read, the reminders of steps
due, and where their notifications are e-mailed (docs/cycle.md). The e-mail itself is sent by
the server's job workers and `oneplan inbox send`, never inside a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from oneplan.api.deps import CurrentActor, SessionDep, SettingsDep
from oneplan.services.inbox.schemas import Inbox, MailSettingIn, MailSettingInfo

router = APIRouter(prefix="/inbox", tags=["inbox"])


class Marking(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        default=None, max_length=1000, description="The notifications to mark read; none: all"
    )


class Marked(BaseModel):
    marked: int = Field(description="How many were unread")


class Reminded(BaseModel):
    written: int = Field(description="Reminders written now (each is written once)")


@router.get("")
def read_inbox(
    session: SessionDep,
    actor: CurrentActor,
    unread: Annotated[bool, Query(description="Only what is not read yet")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Inbox:
    """Your notifications, newest first, and how many are unread."""
    from oneplan.services.inbox.service import read_inbox

    return read_inbox(session, actor, unread=unread, limit=limit)


@router.post("/read", responses={404: {}})
def mark_read(session: SessionDep, actor: CurrentActor, body: Marking | None = None) -> Marked:
    """Mark your notifications read (every unread one without ids)."""
    from oneplan.services.inbox.service import mark_read

    ids = body.ids if body is not None else None
    return Marked(marked=mark_read(session, actor, ids))


@router.post("/remind", responses={403: {}})
def remind_steps(session: SessionDep, actor: CurrentActor, settings: SettingsDep) -> Reminded:
    """Tell the owners of the open cycle's steps due soon or overdue (each reminder once)."""
    from oneplan.services.cycle.notices import remind_steps

    written = remind_steps(session, actor, days_before=settings.remind_days_before)
    return Reminded(written=len(written))


@router.get("/mail")
def show_mail(session: SessionDep, actor: CurrentActor) -> MailSettingInfo | None:
    """Where and how your notifications are e-mailed (null: not said yet)."""
    from oneplan.services.inbox.service import mail_setting

    return mail_setting(session, actor)


@router.put("/mail", responses={422: {}})
def set_mail(body: MailSettingIn, session: SessionDep, actor: CurrentActor) -> MailSettingInfo:
    """Say where your notifications are e-mailed: one e-mail each, a daily digest, or none."""
    from oneplan.services.inbox.service import set_mail

    return set_mail(session, actor, body.address, body.delivery)

"""What the inbox services take and return; the choice lists come from `oneplan.choices`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import MailDelivery, NoticeKind
from oneplan.services.moments import Moment

__all__ = ["Inbox", "MailDelivery", "MailReport", "MailSettingInfo", "NoticeInfo", "NoticeKind"]


class NoticeInfo(BaseModel):
    """One line of a person's inbox: what happened, who did it, what it is about."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    kind: NoticeKind
    title: str
    body: str
    object_kind: str | None
    object_key: str | None
    caused_by: str
    created_at: Moment
    read_at: Moment | None


class Inbox(BaseModel):
    """A page of a person's inbox, newest first, and how many are unread in all."""

    model_config = ConfigDict(frozen=True)

    user: str
    unread: int
    items: list[NoticeInfo]


class MailSettingInfo(BaseModel):
    """Where and how a person's notifications are e-mailed."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    user_name: str
    address: str
    delivery: MailDelivery
    last_digest_at: Moment | None


class MailSettingIn(BaseModel):
    """A person's e-mail address and how often they want mail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(min_length=3, max_length=254, description="E-mail address")
    delivery: MailDelivery = Field(
        default=MailDelivery.each, description="each: one e-mail per notification; daily: a digest"
    )


class MailReport(BaseModel):
    """What one drain of the outbox did."""

    model_config = ConfigDict(frozen=True)

    digests: int = Field(description="Daily digests put in the outbox")
    sent: int
    failed: int
    errors: list[str] = Field(description="Why messages failed, one line each")

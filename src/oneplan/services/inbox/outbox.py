"""The mail outbox's side for its sender: put the daily digests in, claim messages to send,
mark them sent or failed. Each function runs in the sender's transaction and only flushes; the
sender (`oneplan.worker.mail`) talks to the SMTP server between two transactions, never inside
one, so a slow server holds no lock.

A claim names the sender; a claim older than ``stale`` is taken for a sender that stopped, and
the message is claimed again. A sender that stopped after the server took a message but before
it marked it sent sends it twice: mail is sent at least once, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import MailDelivery
from oneplan.db.comments import MailMessage, MailSetting, Notification
from oneplan.services.inbox.service import MAIL_PREFIX, mail_text
from oneplan.services.moments import in_utc

#: A message that failed this many times stays in the outbox, unsent, with its last error.
MAX_ATTEMPTS = 5
#: A claim older than this belongs to a sender that stopped.
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class OutgoingMail:
    """A message claimed for sending."""

    id: int
    address: str
    subject: str
    body: str


def queue_digests(session: Session, now: datetime | None = None, hour: int = 7) -> int:
    """Put in the outbox, for each person who asked for a daily digest and has not had today's,
    one e-mail with every notification not mailed yet; from ``hour`` (UTC) on. How many
    digests were queued."""
    now = in_utc(now or datetime.now(UTC))
    if now.hour < hour:
        return 0
    settings = session.scalars(
        sa.select(MailSetting)
        .where(MailSetting.delivery == MailDelivery.daily.value)
        .order_by(MailSetting.user_name)
        .with_for_update()
    ).all()
    queued = 0
    for setting in settings:
        last = setting.last_digest_at
        if last is not None and in_utc(last).date() >= now.date():
            continue
        notices = session.scalars(
            sa.select(Notification)
            .where(Notification.recipient == setting.user_name, Notification.mailed_at.is_(None))
            .order_by(Notification.id)
        ).all()
        setting.last_digest_at = now
        if not notices:
            continue
        body = f"{len(notices)} notification(s) since the last digest:\n\n" + "\n\n---\n\n".join(
            mail_text(n) for n in notices
        )
        session.add(
            MailMessage(
                recipient=setting.user_name,
                address=setting.address,
                subject=f"{MAIL_PREFIX}{len(notices)} notification(s), {now:%Y-%m-%d}",
                body=body,
                created_at=now,
                attempts=0,
            )
        )
        for notice in notices:
            notice.mailed_at = now
        queued += 1
    session.flush()
    return queued


def claim_mail(
    session: Session,
    sender: str,
    now: datetime | None = None,
    *,
    limit: int = 100,
    stale: timedelta = STALE_CLAIM,
) -> list[OutgoingMail]:
    """Claim up to ``limit`` unsent messages for ``sender``, oldest first: those nobody claimed,
    and those whose claim is older than ``stale``."""
    now = now or datetime.now(UTC)
    waiting = sa.and_(
        MailMessage.sent_at.is_(None),
        MailMessage.attempts < MAX_ATTEMPTS,
        sa.or_(MailMessage.claimed_at.is_(None), MailMessage.claimed_at < now - stale),
    )
    query = sa.select(MailMessage.id).where(waiting).order_by(MailMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    # conditional: a message another sender claimed in between is not taken twice
    session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id.in_(ids), waiting)
        .values(claimed_by=sender, claimed_at=now)
    )
    rows = session.execute(
        sa.select(MailMessage.id, MailMessage.address, MailMessage.subject, MailMessage.body)
        .where(MailMessage.id.in_(ids), MailMessage.claimed_by == sender)
        .order_by(MailMessage.id)
    ).all()
    session.flush()
    return [OutgoingMail(r.id, r.address, r.subject, r.body) for r in rows]


def mark_sent(session: Session, message_id: int, sender: str, now: datetime | None = None) -> None:
    """The SMTP server took the message."""
    session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.claimed_by == sender)
        .values(
            sent_at=now or datetime.now(UTC),
            attempts=MailMessage.attempts + 1,
            last_error=None,
        )
    )


def mark_failed(session: Session, message_id: int, sender: str, error: str) -> None:
    """The message could not be sent: it waits for the next drain, with the reason kept."""
    session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.claimed_by == sender)
        .values(
            claimed_by=None,
            claimed_at=None,
            attempts=MailMessage.attempts + 1,
            last_error=error[:500],
        )
    )


def unsent(session: Session) -> int:
    """How many messages wait in the outbox (failed ones that will be tried again included)."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(MailMessage)
            .where(MailMessage.sent_at.is_(None), MailMessage.attempts < MAX_ATTEMPTS)
        )
        or 0
    )

"""Send the mail outbox through the configured SMTP server: `oneplan inbox send` calls it, and
so do the server's job workers every ``mail_every_s`` seconds (docs/cycle.md).

One transaction queues the daily digests and claims the waiting messages; the SMTP server is
then spoken to outside any transaction; each message is marked sent (or failed, with the
reason) in a short transaction of its own. Only committed events reach the outbox, so an event
that rolled back sends nothing.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict
from oneplan.services.inbox.outbox import (
    OutgoingMail,
    claim_mail,
    mark_failed,
    mark_sent,
    queue_digests,
)
from oneplan.services.inbox.schemas import MailReport


def mail_on(settings: Settings) -> bool:
    """Whether e-mail is configured: an SMTP host and a sender address."""
    return bool(settings.smtp_host and settings.smtp_from)


def _message(settings: Settings, mail: OutgoingMail, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message.set_content(mail.body)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    try:
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password.get_secret_value())
    except Exception:
        server.close()
        raise
    return server


def send_outbox(
    engine: sa.Engine, settings: Settings, *, now: datetime | None = None, sender: str = ""
) -> MailReport:
    """Queue the daily digests due, then send every waiting message; what was done. Refused
    with `Conflict` while e-mail is off (no ``smtp_host`` or ``smtp_from``)."""
    if not mail_on(settings):
        raise Conflict(
            "e-mail is off: set ONEPLAN_SMTP_HOST and ONEPLAN_SMTP_FROM (docs/configuration.md); "
            "notifications wait in the outbox until then"
        )
    now = now or datetime.now(UTC)
    sender = sender or f"mail-{uuid.uuid4().hex[:8]}"
    with unit_of_work(engine) as session:
        digests = queue_digests(session, now, settings.mail_digest_hour)
        claimed = claim_mail(session, sender, now)
    if not claimed:
        return MailReport(digests=digests, sent=0, failed=0, errors=[])
    sent, errors = 0, []
    try:
        server = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        reason = f"cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {error}"
        with unit_of_work(engine) as session:
            for mail in claimed:
                mark_failed(session, mail.id, sender, reason)
        return MailReport(digests=digests, sent=0, failed=len(claimed), errors=[reason])
    try:
        for mail in claimed:
            try:
                server.send_message(_message(settings, mail, now))
            except (OSError, smtplib.SMTPException) as error:
                reason = f"message {mail.id} to {mail.address}: {error}"
                errors.append(reason)
                with unit_of_work(engine) as session:
                    mark_failed(session, mail.id, sender, reason)
                continue
            with unit_of_work(engine) as session:
                mark_sent(session, mail.id, sender)
            sent += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return MailReport(digests=digests, sent=sent, failed=len(errors), errors=errors)

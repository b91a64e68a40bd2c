"""Write notifications in the caller's transaction, read a person's inbox, mark it read, and
keep each person's e-mail setting.

`notify` is what the other domains call when something happens that someone should hear of (a
step submitted, a step rejected, a mention, a job that ended): the notification, and the e-mail
it asks for, are written in the transaction of the event, so they commit or roll back with it.
The e-mail is only put in the outbox (`oneplan.services.inbox.outbox`); it is sent after the
commit by whoever drains the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import MailDelivery, NoticeKind
from oneplan.db.comments import MailMessage, MailSetting, Notification
from oneplan.db.users import User, UserGrant
from oneplan.errors import InputError, NotFound
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.inbox.schemas import Inbox, MailSettingInfo, NoticeInfo
from oneplan.services.permissions import Permission, Role, require

SUBJECT = "mail_setting"
#: A plain address: something, an @, a domain with a dot; no spaces or angle brackets.
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
#: What an e-mail's subject starts with, so people can filter oneplan's mail.
MAIL_PREFIX = "[oneplan] "


def users_holding(session: Session, roles: Iterable[Role]) -> list[str]:
    """The names of the active users holding one of ``roles`` over the whole company (the
    cycle's steps are about every family and plant), in name order.

    A grant with a scope is left out: it could not approve or submit a step."""
    rows = session.execute(
        sa.select(User.name, UserGrant.families, UserGrant.locations)
        .join(UserGrant, UserGrant.user_id == User.id)
        .where(User.active.is_(True), UserGrant.role.in_([r.value for r in roles]))
        .order_by(User.name)
    ).all()
    return list(
        dict.fromkeys(name for name, families, places in rows if not families and not places)
    )


def notify(
    session: Session,
    recipients: Iterable[str],
    kind: NoticeKind,
    title: str,
    *,
    caused_by: str,
    body: str = "",
    about: tuple[str, str] | None = None,
    once_key: str | None = None,
    at: datetime | None = None,
) -> list[NoticeInfo]:
    """Put a notification in each recipient's inbox (each name once) and, for those who want
    one e-mail per notification, the e-mail in the outbox; in the caller's transaction.

    ``once_key`` writes it at most once per person (a reminder: the step, its due date and
    the kind): a recipient who has it already is skipped.
    """
    names = [n for n in dict.fromkeys(r.strip() for r in recipients) if n]
    if once_key is not None and names:
        had = set(
            session.scalars(
                sa.select(Notification.recipient).where(
                    Notification.once_key == once_key, Notification.recipient.in_(names)
                )
            )
        )
        names = [n for n in names if n not in had]
    if not names:
        return []
    now = at or datetime.now(UTC)
    settings = {
        s.user_name: s
        for s in session.scalars(sa.select(MailSetting).where(MailSetting.user_name.in_(names)))
    }
    object_kind, object_key = about if about is not None else (None, None)
    written = []
    for name in names:
        notice = Notification(
            recipient=name,
            kind=kind.value,
            title=title[:300],
            body=body,
            object_kind=object_kind,
            object_key=None if object_key is None else object_key[:300],
            caused_by=caused_by,
            created_at=now,
            once_key=once_key,
        )
        setting = settings.get(name)
        if setting is not None and setting.delivery == MailDelivery.each:
            notice.mailed_at = now
            session.add(
                MailMessage(
                    recipient=name,
                    address=setting.address,
                    subject=(MAIL_PREFIX + title)[:300],
                    body=mail_text(notice),
                    created_at=now,
                    attempts=0,
                )
            )
        session.add(notice)
        written.append(notice)
    session.flush()
    return [NoticeInfo.model_validate(n) for n in written]


def mail_text(notice: Notification) -> str:
    """The text of one notification as an e-mail (or a digest's entry) shows it."""
    lines = [notice.title, ""]
    if notice.body:
        lines += [notice.body, ""]
    if notice.object_kind:
        lines.append(f"About: {notice.object_kind} {notice.object_key}")
    lines.append(f"By {notice.caused_by}, {notice.created_at:%Y-%m-%d %H:%M} UTC")
    lines.append("Your inbox: oneplan inbox list")
    return "\n".join(lines)


def read_inbox(session: Session, actor: Actor, *, unread: bool = False, limit: int = 50) -> Inbox:
    """The actor's own inbox, newest first (only the unread with ``unread``), with the count
    of their unread notifications. Everyone reads their own inbox and nobody else's."""
    where = [Notification.recipient == actor.name]
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(*where, Notification.read_at.is_(None))
    )
    if unread:
        where.append(Notification.read_at.is_(None))
    rows = session.scalars(
        sa.select(Notification).where(*where).order_by(Notification.id.desc()).limit(limit)
    )
    return Inbox(
        user=actor.name, unread=count or 0, items=[NoticeInfo.model_validate(n) for n in rows]
    )


def mark_read(session: Session, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications ``ids`` read (None: every unread one); how many were
    unread. An id that is not in the actor's inbox is `NotFound`, and nothing is marked."""
    where = [Notification.recipient == actor.name]
    if ids is not None:
        wanted = sorted(set(ids))
        found = set(
            session.scalars(sa.select(Notification.id).where(*where, Notification.id.in_(wanted)))
        )
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise NotFound(f"notification(s) {', '.join(missing)} are not in {actor.name}'s inbox")
        where.append(Notification.id.in_(wanted))
    rows = session.scalars(
        sa.select(Notification).where(*where, Notification.read_at.is_(None))
    ).all()
    now = datetime.now(UTC)
    for notice in rows:
        notice.read_at = now
    session.flush()
    return len(rows)


def mail_setting(session: Session, actor: Actor, user: str | None = None) -> MailSettingInfo | None:
    """How ``user`` (default: the actor) gets e-mail; None while they have not said. Another
    person's setting is for administrators (manage_users) only."""
    name = _whose(actor, user)
    found = session.get(MailSetting, name)
    return None if found is None else MailSettingInfo.model_validate(found)


def set_mail(
    session: Session,
    actor: Actor,
    address: str,
    delivery: MailDelivery | str = MailDelivery.each,
    *,
    user: str | None = None,
) -> MailSettingInfo:
    """Set where and how ``user``'s (default: the actor's) notifications are e-mailed: one
    e-mail each, a daily digest, or none. Another person's is set by administrators only."""
    name = _whose(actor, user)
    address = address.strip()
    if len(address) > 254 or not ADDRESS.match(address):
        raise InputError(
            f"is {address!r}, need an e-mail address like ann@example.com",
            table="mail",
            column="address",
        )
    try:
        chosen = MailDelivery(delivery)
    except ValueError:
        choices = ", ".join(d.value for d in MailDelivery)
        raise InputError(
            f"is {delivery!r}, expected one of {choices}", table="mail", column="delivery"
        ) from None
    now = datetime.now(UTC)
    setting = session.get(MailSetting, name, with_for_update=True)
    before = None if setting is None else {"address": setting.address, "delivery": setting.delivery}
    if setting is None:
        setting = MailSetting(user_name=name)
        session.add(setting)
    setting.address, setting.delivery = address, chosen.value
    setting.updated_at, setting.updated_by = now, actor.name
    session.flush()
    detail = {"from": before, "to": {"address": address, "delivery": chosen.value}}
    record(session, actor, "mail.set", SUBJECT, name, detail, at=now)
    return MailSettingInfo.model_validate(setting)


def _whose(actor: Actor, user: str | None) -> str:
    name = (user or actor.name).strip()
    if name != actor.name:
        require(actor, Permission.manage_users)
    if not name:
        raise NotFound("no user named")
    return name

"""Each person's inbox: list it, mark it read, send the e-mail waiting in the outbox, write the
reminders of steps due or overdue, and say where e-mail goes (docs/cycle.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from oneplan.choices import MailDelivery
from oneplan.cli.common import console, database, handle_errors, local_actor, say, settings
from oneplan.cli.render import table, when


@handle_errors
def list_command(
    unread: Annotated[bool, typer.Option("--unread", help="Only what is not read yet.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest.")] = 50,
) -> None:
    """Your notifications, newest first."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.inbox.service import read_inbox

    with unit_of_work(database(), write=False) as session:
        inbox = read_inbox(session, local_actor(), unread=unread, limit=limit)
    if not inbox.items:
        say(f"nothing {'unread ' if unread else ''}in {inbox.user}'s inbox")
        return
    rows = [
        (
            n.id,
            "" if n.read_at else "new",
            n.title + (f"\n{n.body}" if n.body else ""),
            f"{n.object_kind} {n.object_key}" if n.object_kind else "",
            n.caused_by,
            when(n.created_at),
        )
        for n in inbox.items
    ]
    title = f"Inbox of {inbox.user}: {inbox.unread} unread"
    columns = ["id", "", "what", "about", "by", "at"]
    console.print(table(title, columns, rows, right=["id"], no_wrap=["id", "at"]))


@handle_errors
def read_command(
    ids: Annotated[list[int] | None, typer.Argument(help="Notification ids; none: all.")] = None,
) -> None:
    """Mark notifications read (all of yours without ids)."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.inbox.service import mark_read

    with unit_of_work(database()) as session:
        marked = mark_read(session, local_actor(), ids or None)
    say(f"{marked} notification(s) marked read", "ok:")


@handle_errors
def send() -> None:
    """Send the e-mail waiting in the outbox (and the daily digests due) through the SMTP
    server of the settings; what could not be sent waits for the next time."""
    from oneplan.worker.mail import send_outbox

    report = send_outbox(database(), settings())
    say(f"{report.sent} sent, {report.failed} failed, {report.digests} digest(s)", "mail:")
    for error in report.errors:
        say(error, "failed:", "error")
    if report.failed:
        raise typer.Exit(1)


@handle_errors
def remind(
    today: Annotated[
        str | None, typer.Option("--today", help="Take this date as today (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Tell the owners of the open cycle's steps due soon or overdue (each reminder once; run
    it daily, before `inbox send`)."""
    from oneplan.db.session import unit_of_work
    from oneplan.errors import InputError
    from oneplan.services.cycle.notices import remind_steps

    try:
        day = None if today is None else date.fromisoformat(today)
    except ValueError:
        raise InputError(f"is {today!r}, need a date like 2027-03-04", column="today") from None
    with unit_of_work(database()) as session:
        written = remind_steps(
            session, local_actor(), today=day, days_before=settings().remind_days_before
        )
    say(f"{len(written)} reminder(s) written", "ok:")


@handle_errors
def mail(
    address: Annotated[str, typer.Argument(help="Your e-mail address.")],
    delivery: Annotated[
        MailDelivery,
        typer.Option("--delivery", help="each: an e-mail per notification; daily: a digest."),
    ] = MailDelivery.each,
    user: Annotated[
        str | None, typer.Option("--user", help="Another user's (administrators only).")
    ] = None,
) -> None:
    """Say where your notifications are e-mailed, and how often."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.inbox.service import set_mail

    with unit_of_work(database()) as session:
        setting = set_mail(session, local_actor(), address, delivery, user=user)
    say(f"{setting.user_name}: {setting.delivery.value} to {setting.address}", "mail:")


def register(app: typer.Typer) -> None:
    """Add ``inbox ...`` to the ``oneplan`` command; ``oneplan inbox`` alone lists it."""
    inbox_app = typer.Typer(
        help="Your notifications: steps due, approvals asked, rejections, mentions, jobs.",
        invoke_without_command=True,
        rich_markup_mode=None,
    )

    @inbox_app.callback()
    def inbox(context: typer.Context) -> None:
        """Your notifications (`inbox list`), and their e-mail."""
        if context.invoked_subcommand is None:
            list_command()

    inbox_app.command("list")(list_command)
    inbox_app.command("read")(read_command)
    inbox_app.command("send")(send)
    inbox_app.command("remind")(remind)
    inbox_app.command("mail")(mail)
    app.add_typer(inbox_app, name="inbox")

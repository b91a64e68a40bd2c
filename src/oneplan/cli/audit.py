"""The audit trail: `oneplan audit` shows it, `oneplan audit verify` checks its hash chain."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oneplan.cli.common import console, database, errors, handle_errors, local_actor, say
from oneplan.cli.render import cell, table, when

#: Exit code of `oneplan audit verify` when the chain is broken.
BROKEN = 6


def _detail(detail: dict[str, Any]) -> str:
    """``from -> to`` and the other facts, short enough for a table cell."""
    rest = {k: v for k, v in detail.items() if k not in ("from", "to", "kind", "cycle")}
    parts = [f"{detail['from']} -> {detail['to']}"] if "from" in detail and "to" in detail else []
    # an override's value is a percent change or a number of units, as its kind says
    unit = {"relative": "{:+g}%", "absolute": "{:,g} units"}.get(str(detail.get("kind")))
    if unit is not None and isinstance(rest.get("value"), int | float):
        rest["value"] = unit.format(rest["value"])
    parts += [f"{k}={cell(v)}" for k, v in rest.items()]
    return "; ".join(parts)


@handle_errors
def show_trail(
    context: typer.Context,
    subject_type: Annotated[
        str | None, typer.Option(help="Only this kind of subject, e.g. plan_version.")
    ] = None,
    subject_id: Annotated[str | None, typer.Option(help="Only this subject id.")] = None,
    limit: Annotated[int, typer.Option(help="Newest events shown.", min=1)] = 50,
) -> None:
    """Show the audit trail: who did what, and when. `oneplan audit verify` checks it."""
    if context.invoked_subcommand is not None:
        return
    from oneplan.db.session import unit_of_work
    from oneplan.services.audit.service import events

    with unit_of_work(database(), write=False) as session:
        found = events(session, local_actor(), subject_type, subject_id, limit=limit)
    rows = [
        (
            when(event.at),
            event.actor,
            event.action,
            f"{event.subject_type} {event.subject_id}",
            _detail(event.detail),
        )
        for event in found
    ]
    columns = ["at", "actor", "action", "subject", "detail"]
    console.print(table(f"Audit trail ({len(found)} newest)", columns, rows, no_wrap=["action"]))


@handle_errors
def verify_command() -> None:
    """Check the audit trail's hash chain: name the first edited or deleted event.

    Exits with 6 when the chain is broken. Keep the printed hash of the newest event somewhere
    else (a note, the minutes of the S&OP meeting): a trail rewritten whole from some event on
    ends in another hash."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.audit.verify import verify_chain

    with unit_of_work(database(), write=False) as session:
        check = verify_chain(session, local_actor())
    if check.broken is not None:
        say(check.broken.message, "broken:", "error", to=errors)
        say(f"{check.events} event(s) before it hold", to=errors)
        raise typer.Exit(BROKEN)
    newest = f"newest event {check.last_event_id}" if check.last_event_id else "no event yet"
    say(f"{check.events} event(s) hold; {newest}, hash {check.last_hash}", "ok:")


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``audit verify`` to the ``oneplan`` command."""
    audit_app = typer.Typer(
        help="The audit trail: who did what, and when.",
        invoke_without_command=True,
        rich_markup_mode=None,
    )
    audit_app.callback()(show_trail)
    audit_app.command("verify")(verify_command)
    app.add_typer(audit_app, name="audit")

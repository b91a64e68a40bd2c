"""The cycle as people move through it: open a month, show where it is, submit, approve,
reject and reopen its steps; the decision log of the executive meeting (docs/cycle.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from oneplan.choices import CycleStep, DecisionStatus
from oneplan.cli.common import console, database, handle_errors, local_actor, say
from oneplan.cli.render import table, when

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from oneplan.services.cycle.schemas import CycleInfo, DecisionInfo, StepInfo

T = TypeVar("T")

Month = Annotated[
    str | None, typer.Option("--month", help="Cycle month, e.g. 2027-03; default: the open one.")
]
Expect = Annotated[
    int | None,
    typer.Option(
        "--expect", help="The step's version you saw (`cycle status`): refused if it moved since."
    ),
]
Step = Annotated[CycleStep, typer.Argument(help="The step, as `cycle status` lists it.")]
Reason = Annotated[str, typer.Option("--reason", help="Why, for its submitter and the record.")]


def _write(call: Callable[[Session], T]) -> T:
    """One move in one transaction: committed when it succeeds, nothing changed when not."""
    from oneplan.db.session import unit_of_work

    with unit_of_work(database()) as session:
        return call(session)


def _step_line(step: StepInfo) -> None:
    by = step.decided_by if step.state in ("approved", "rejected", "done") else step.changed_by
    say(f"{step.title} of {step.month} is {step.state} (by {by})", "ok:")
    if step.reason:
        say(f"reason: {step.reason}")


def show_cycle(cycle: CycleInfo) -> None:
    """The board: each step with its owner, approvers, due date, state and last move."""
    title = f"Cycle {cycle.month} ({cycle.state})"
    if cycle.plan_version_id is not None:
        title += f", plan version #{cycle.plan_version_id}"
    columns = ["#", "step", "owner", "approved by", "due", "state", "moved by", "at", "version"]
    rows = [
        (
            s.position,
            s.name.value,
            s.owner_role + (f" ({s.owner_user})" if s.owner_user else ""),
            ", ".join(s.approver_roles),
            f"{s.due_on:%Y-%m-%d}" + (" overdue" if s.overdue else ""),
            s.state.value,
            s.changed_by,
            when(s.changed_at),
            s.version,
        )
        for s in cycle.steps
    ]
    console.print(table(title, columns, rows, right=["#", "version"], no_wrap=["due", "state"]))
    for s in cycle.steps:
        if s.reason and s.state not in ("approved", "done"):
            say(f"{s.name.value}: {s.reason}", "note:", "note")
        if s.plan_version_id is not None:
            say(f"{s.name.value}: plan version #{s.plan_version_id} put forward")
    if cycle.agenda:
        show_decisions(f"Agenda of {cycle.month}", cycle.agenda)


def show_decisions(title: str, decisions: list[DecisionInfo]) -> None:
    columns = ["id", "decision", "owner", "due", "status", "about", "taken in"]
    rows = [
        (
            d.id,
            d.text,
            d.owner,
            "" if d.due_on is None else f"{d.due_on:%Y-%m-%d}",
            d.status.value,
            _about(d),
            d.taken_in,
        )
        for d in decisions
    ]
    console.print(table(title, columns, rows, right=["id"], no_wrap=["id", "due", "status"]))


def _about(decision: DecisionInfo) -> str:
    parts = []
    if decision.scenario:
        parts.append(f"scenario {decision.scenario}")
    if decision.issue_rank is not None:
        parts.append(f"issue {decision.issue_rank}")
    if decision.plan_version_id is not None:
        parts.append(f"plan #{decision.plan_version_id}")
    return ", ".join(parts)


@handle_errors
def open_command(
    month: Annotated[
        str | None, typer.Argument(help="Month, e.g. 2027-03; default: after the newest cycle.")
    ] = None,
) -> None:
    """Open the next S&OP month from the calendar template; the plan starts in that month."""
    from oneplan.services.cycle.service import open_cycle

    opened = _write(lambda session: open_cycle(session, local_actor(), month))
    say(f"cycle {opened.cycle.month}; the plan starts {opened.plan_start}", "opened:")
    if opened.previous_month is not None:
        kept = opened.snapshot_version_id
        shown = "no released plan" if kept is None else f"plan version #{kept}"
        say(f"{opened.previous_month} keeps {shown} as its snapshot")
    if opened.carried_decisions:
        say(f"{len(opened.carried_decisions)} open decision(s) carried onto the agenda")
    show_cycle(opened.cycle)


@handle_errors
def status_command(
    month: Annotated[
        str | None, typer.Argument(help="Month, e.g. 2027-03; default: the open cycle.")
    ] = None,
) -> None:
    """Show a cycle's steps: owners, approvers, due dates, states and who moved them."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.cycle.service import cycle_status

    with unit_of_work(database(), write=False) as session:
        cycle = cycle_status(session, local_actor(), month)
    show_cycle(cycle)


@handle_errors
def submit_command(
    step: Step,
    version: Annotated[
        int | None,
        typer.Option(
            "--version", help="executive_meeting: the supply plan (base or scenario) to decide on."
        ),
    ] = None,
    month: Month = None,
    expect: Expect = None,
) -> None:
    """Submit a step for approval (its owner); the previous step must be approved."""
    from oneplan.services.cycle.moves import submit_step

    moved = _write(
        lambda session: submit_step(
            session,
            local_actor(),
            step,
            month=month,
            plan_version_id=version,
            expected_version=expect,
        )
    )
    _step_line(moved)


@handle_errors
def approve_command(step: Step, month: Month = None, expect: Expect = None) -> None:
    """Approve a submitted step (an approver, never its submitter); it is then locked."""
    from oneplan.services.cycle.moves import approve_step

    moved = _write(
        lambda session: approve_step(
            session, local_actor(), step, month=month, expected_version=expect
        )
    )
    _step_line(moved)


@handle_errors
def reject_command(step: Step, reason: Reason, month: Month = None, expect: Expect = None) -> None:
    """Send a submitted step back to its submitter with the reason."""
    from oneplan.services.cycle.moves import reject_step

    moved = _write(
        lambda session: reject_step(
            session, local_actor(), step, reason, month=month, expected_version=expect
        )
    )
    _step_line(moved)


@handle_errors
def reopen_command(step: Step, reason: Reason, month: Month = None, expect: Expect = None) -> None:
    """Unlock an approved step; the later steps that had started return to in progress."""
    from oneplan.services.cycle.moves import reopen_step

    moved = _write(
        lambda session: reopen_step(
            session, local_actor(), step, reason, month=month, expected_version=expect
        )
    )
    _step_line(moved[0])
    for later in moved[1:]:
        say(f"{later.title} returns to {later.state}")


@handle_errors
def assign_command(
    step: Step,
    user: Annotated[
        str | None,
        typer.Option("--user", help='The one person who submits it; "": anyone with the role.'),
    ] = None,
    due: Annotated[
        datetime | None, typer.Option("--due", formats=["%Y-%m-%d"], help="New due date.")
    ] = None,
    month: Month = None,
    expect: Expect = None,
) -> None:
    """Give a step to one person and/or move its due date (until it is signed off)."""
    from oneplan.services.cycle.moves import assign_step

    moved = _write(
        lambda session: assign_step(
            session,
            local_actor(),
            step,
            owner_user=user,
            due_on=None if due is None else due.date(),
            month=month,
            expected_version=expect,
        )
    )
    who = moved.owner_user or f"anyone with the role {moved.owner_role}"
    say(f"{moved.title} of {moved.month}: submitted by {who}, due {moved.due_on:%Y-%m-%d}", "ok:")


@handle_errors
def decision_add(
    text: Annotated[str, typer.Argument(help="What was decided.")],
    owner: Annotated[str, typer.Option("--owner", help="Who carries it out.")],
    due: Annotated[
        datetime | None, typer.Option("--due", formats=["%Y-%m-%d"], help="Due date.")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="The scenario it is about.")] = None,
    issue: Annotated[
        int | None, typer.Option(help="Rank of the issue on the meeting list it answers.")
    ] = None,
    version: Annotated[int | None, typer.Option(help="The plan version it is about.")] = None,
    month: Month = None,
) -> None:
    """Record a decision of the executive meeting."""
    from oneplan.services.cycle.decisions import add_decision

    added = _write(
        lambda session: add_decision(
            session,
            local_actor(),
            text,
            owner,
            due_on=None if due is None else due.date(),
            scenario=scenario,
            issue_rank=issue,
            plan_version_id=version,
            month=month,
        )
    )
    say(f"decision {added.id} of {added.taken_in}, owned by {added.owner}", "added:")


@handle_errors
def decision_list(
    month: Annotated[
        str | None, typer.Option(help="Agenda of this month; default: the open cycle's.")
    ] = None,
    status: Annotated[DecisionStatus | None, typer.Option(help="Only this status.")] = None,
) -> None:
    """List the decisions on a cycle's agenda (open ones carried from earlier months too)."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.cycle.decisions import list_decisions

    with unit_of_work(database(), write=False) as session:
        decisions = list_decisions(session, local_actor(), month=month, status=status)
    show_decisions(f"Decisions ({len(decisions)})", decisions)


@handle_errors
def decision_close(
    decision_id: Annotated[int, typer.Argument(help="Decision id (`decision list`).")],
    dropped: Annotated[bool, typer.Option("--dropped", help="Dropped rather than done.")] = False,
    note: Annotated[str, typer.Option(help="How it ended.")] = "",
) -> None:
    """Close an open decision as done (or dropped)."""
    from oneplan.services.cycle.decisions import close_decision

    status = DecisionStatus.dropped if dropped else DecisionStatus.done
    closed = _write(
        lambda session: close_decision(session, local_actor(), decision_id, status, note)
    )
    say(f"decision {closed.id} is {closed.status.value}", "closed:")


def register(app: typer.Typer, cycle_app: typer.Typer) -> None:
    """Add the cycle's workflow to ``oneplan cycle`` and the ``decision`` commands."""
    commands: dict[str, Callable[..., Any]] = {
        "open": open_command,
        "status": status_command,
        "submit": submit_command,
        "approve": approve_command,
        "reject": reject_command,
        "reopen": reopen_command,
        "assign": assign_command,
        "kpis": kpis_command,
    }
    for name, command in commands.items():
        cycle_app.command(name)(command)
    decision_app = typer.Typer(
        help="The decision log of the executive meeting.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    decision_app.command("add")(decision_add)
    decision_app.command("list")(decision_list)
    decision_app.command("close")(decision_close)
    app.add_typer(decision_app, name="decision")


def _kpi_cell(value: float | None, unit: str, basis: str, currency: str) -> str:
    """A KPI as a cell: shares in %, money in whole units (the title names the currency);
    ``*`` marks the released plan's own figure, where the data package holds no actual."""
    from oneplan.cli.render import amount, percent

    if value is None:
        return "pending" if basis == "pending" else "-"
    if unit == "share":
        shown = percent(value)
    elif unit == currency:
        shown = amount(value)
    else:
        shown = amount(value, 1)
    return shown + ("*" if basis == "plan" else "")


@handle_errors
def kpis_command(
    month: Annotated[
        list[str] | None,
        typer.Option("--month", help="Only this closed cycle (repeatable); default: all."),
    ] = None,
) -> None:
    """Show the KPIs of the closed cycles, one column per cycle: each released plan against
    the actuals that arrived after it."""
    from oneplan.cli.render import wide_tables
    from oneplan.db.session import unit_of_work
    from oneplan.engines.kpi.trend import kpi_label
    from oneplan.services.cycle.kpis import cycle_kpis

    with unit_of_work(database(), write=False) as session:
        trend = cycle_kpis(session, local_actor(), month)
    if not trend.cycles:
        say("no cycle is closed yet: a cycle's KPIs follow once its release is approved", "note:")
        return
    rows: dict[tuple[str, str, int | None], list[str]] = {}
    notes: dict[str, str] = {}
    for k in trend.kpis:
        key = (k.kpi, k.layer, k.lag)
        label = kpi_label(*key) + ("" if k.unit in ("share", trend.currency) else f" ({k.unit})")
        row = rows.setdefault(key, [label, *([""] * len(trend.cycles))])
        row[1 + trend.cycles.index(k.cycle)] = _kpi_cell(k.value, k.unit, k.basis, trend.currency)
        if k.basis in ("plan", "missing") and k.note:
            notes.setdefault(f"{kpi_label(k.kpi)}, {k.cycle}", k.note)
    title = f"KPIs of the closed cycles, {trend.currency} (sales through {trend.sales_through})"
    for part in wide_tables(title, ["KPI", *trend.cycles], list(rows.values()), console.width):
        console.print(part)
    say("* the released plan's own figure: the data package holds no actual for it", "note:")
    shown: set[str] = set()
    for where, note in notes.items():
        if note not in shown:  # one line per reason, at its first cycle
            shown.add(note)
            say(f"{where}: {note}", "note:", "note")

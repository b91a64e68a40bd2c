"""Plan version commands: list, show, compare, move through approval; and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from oneplan.cli.common import console, engine, handle_errors
from oneplan.config import get_settings
from oneplan.db.plans import PLAN_STATES
from oneplan.db.session import unit_of_work
from oneplan.errors import Problem, ValidationFailed
from oneplan.services import audit as audit_service
from oneplan.services import plan_versions
from oneplan.services.plan_versions import FrameDiff

DEFAULT_ROWS = 20


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, dict | list) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _when(value: Any) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _frame_table(title: str, frame: pd.DataFrame, limit: int) -> Table:
    table = Table(title=f"{title} ({min(len(frame), limit)} of {len(frame)})")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


@handle_errors
def list_command(
    kind: Annotated[str | None, typer.Option(help="Only this kind: demand, supply...")] = None,
    state: Annotated[
        str | None, typer.Option(help=f"Only this state: {', '.join(PLAN_STATES)}.")
    ] = None,
    cycle: Annotated[str | None, typer.Option(help="Only this cycle, e.g. 2027-01.")] = None,
) -> None:
    """List plan versions, newest first."""
    if state is not None and state not in PLAN_STATES:
        raise ValidationFailed(
            [
                Problem(
                    "plan list", None, "state", f"{state!r} is not one of {', '.join(PLAN_STATES)}"
                )
            ]
        )
    with unit_of_work(engine(), write=False) as session:
        versions = plan_versions.list_versions(session, kind=kind, state=state, cycle=cycle)
    table = Table(title=f"Plan versions ({len(versions)})")
    for column in ("id", "cycle", "kind", "name", "state", "created", "by", "changed", "by"):
        table.add_column(
            column,
            justify="right" if column == "id" else "left",
            no_wrap=column in ("id", "cycle", "state"),
        )
    for v in versions:
        table.add_row(
            str(v.id),
            v.cycle,
            v.kind,
            v.name,
            v.state,
            _when(v.created_at),
            v.created_by,
            _when(v.state_changed_at),
            v.state_changed_by or "",
        )
    console.print(table)


@handle_errors
def show_command(version_id: Annotated[int, typer.Argument(help="Plan version id.")]) -> None:
    """Show one version: state, hash, settings, headline figures and its frames."""
    with unit_of_work(engine(), write=False) as session:
        detail = plan_versions.show_version(session, version_id)
    v = detail.version
    console.print(f"[bold]Plan version #{v.id}: {v.name}[/] ({v.kind}, cycle {v.cycle})")
    console.print(f"state: {v.state}", highlight=False)
    if v.state_changed_at is not None:
        console.print(f"state changed: {_when(v.state_changed_at)} by {v.state_changed_by}")
    console.print(f"created: {_when(v.created_at)} by {v.created_by}")
    console.print(f"content hash: {v.content_hash}", highlight=False)
    for title, values in (("Summary", v.summary or {}), ("Settings", v.settings or {})):
        table = Table(title=title)
        table.add_column("name")
        table.add_column("value")
        for name, value in values.items():
            table.add_row(str(name), _cell(value))
        console.print(table)
    frames = Table(title="Frames")
    frames.add_column("frame")
    frames.add_column("rows", justify="right")
    for name, rows in detail.frame_rows.items():
        frames.add_row(name, f"{rows:,}")
    console.print(frames)


def _print_frame_diff(found: FrameDiff, limit: int) -> None:
    where = " (only in A)" if found.only_in_a else " (only in B)" if found.only_in_b else ""
    console.print(
        f"[bold]{found.name}[/]{where}: {len(found.added)} added, {len(found.removed)} removed, "
        f"{len(found.changed)} changed, {found.unchanged} unchanged "
        f"(rows keyed by {', '.join(found.keys) or 'position'})"
    )
    if len(found.totals):
        console.print(_frame_table(f"{found.name}: totals", found.totals, limit))
    for title, rows in (("added", found.added), ("removed", found.removed)):
        if len(rows):
            console.print(_frame_table(f"{found.name}: {title}", rows, limit))
    if len(found.changed):
        # keys, then only the value columns that moved, to keep the table readable
        shown = found.changed
        moved = [c for c in shown.columns if c.endswith("_change") and shown[c].abs().gt(0).any()]
        columns = [*found.keys, *(m[: -len("_change")] + s for m in moved for s in ("_a", "_b"))]
        columns += moved
        keep = columns if moved else list(shown.columns)
        console.print(_frame_table(f"{found.name}: changed", shown[keep], limit))


@handle_errors
def diff_command(
    a: Annotated[int, typer.Argument(help="Version to compare from.")],
    b: Annotated[int, typer.Argument(help="Version to compare to.")],
    frame: Annotated[
        list[str] | None, typer.Option("--frame", "-f", help="Only this frame (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown per table.", min=1)] = DEFAULT_ROWS,
) -> None:
    """Compare two versions of the same kind: headline figures and rows added, removed, changed."""
    with unit_of_work(engine(), write=False) as session:
        found = plan_versions.diff(session, a, b, frame)
    console.print(f"[bold]Plan version #{a} (A) against #{b} (B)[/] ({found.a.kind})")
    if len(found.headline):
        console.print(_frame_table("Headline", found.headline, len(found.headline)))
    for frame_diff in found.frames.values():
        _print_frame_diff(frame_diff, limit)


def _transition(action: str) -> Callable[[int], None]:
    @handle_errors
    def command(version_id: Annotated[int, typer.Argument(help="Plan version id.")]) -> None:
        user = get_settings().user
        with unit_of_work(engine()) as session:
            seen = {e.id for e in audit_service.events(session, action="plan.supersede")}
            version = plan_versions.transition(session, version_id, action, user)
            superseded = [  # only what this move superseded, not earlier moves of the version
                e.subject_id
                for e in audit_service.events(session, action="plan.supersede")
                if e.id not in seen and e.detail.get("superseded_by") == version.id
            ]
        console.print(f"plan version #{version.id} is now [bold]{version.state}[/]")
        for other in superseded:
            console.print(f"plan version #{other} is superseded")

    command.__doc__ = {
        "propose": "Put a draft version forward for approval.",
        "approve": "Approve a proposed version; the plan approved before is superseded.",
        "release": "Release an approved version: the MPS export writes it.",
    }[action]
    return command


@handle_errors
def supersede_command(
    version_id: Annotated[int, typer.Argument(help="Plan version id.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")] = "",
) -> None:
    """Withdraw a version by hand; it is kept as a record."""
    with unit_of_work(engine()) as session:
        version = plan_versions.supersede(session, version_id, get_settings().user, reason)
    console.print(f"plan version #{version.id} is now [bold]{version.state}[/]")


def _detail(detail: dict[str, Any]) -> str:
    """``from -> to`` and the other facts, short enough for a table cell."""
    rest = {k: v for k, v in detail.items() if k not in ("from", "to", "kind", "cycle")}
    parts = [f"{detail['from']} -> {detail['to']}"] if "from" in detail and "to" in detail else []
    parts += [f"{k}={_cell(v)}" for k, v in rest.items()]
    return "; ".join(parts)


@handle_errors
def audit_command(
    subject_type: Annotated[
        str | None, typer.Option(help="Only this kind of subject, e.g. plan_version.")
    ] = None,
    subject_id: Annotated[str | None, typer.Option(help="Only this subject id.")] = None,
    limit: Annotated[int, typer.Option(help="Newest events shown.", min=1)] = 50,
) -> None:
    """Show the audit trail: who did what, and when."""
    with unit_of_work(engine(), write=False) as session:
        found = audit_service.events(session, subject_type, subject_id, limit=limit)
    table = Table(title=f"Audit trail ({len(found)} newest)")
    for column in ("at", "actor", "action", "subject", "detail"):
        table.add_column(column, no_wrap=column == "action")
    for event in found:
        table.add_row(
            _when(event.at),
            event.actor,
            event.action,
            f"{event.subject_type} {event.subject_id}",
            _detail(event.detail),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``plan`` commands and ``audit`` to the ``oneplan`` command."""
    plan_app = typer.Typer(
        help="Plan versions: list, compare, propose, approve, release.", no_args_is_help=True
    )
    plan_app.command("list")(list_command)
    plan_app.command("show")(show_command)
    plan_app.command("diff")(diff_command)
    for action in plan_versions.TRANSITIONS:
        plan_app.command(action)(_transition(action))
    plan_app.command("supersede")(supersede_command)
    app.add_typer(plan_app, name="plan")
    app.command("audit")(audit_command)

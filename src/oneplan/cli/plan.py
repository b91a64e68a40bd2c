"""Plan version commands: list, show, compare, move through approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oneplan.choices import PlanAction, PlanKind, PlanState
from oneplan.cli.common import console, database, handle_errors, local_actor, say
from oneplan.cli.render import amount, cell, frame_table, missing, percent, points, table, when

if TYPE_CHECKING:
    from oneplan.engines.diff import FrameDiff

DEFAULT_ROWS = 20


@handle_errors
def list_command(
    kind: Annotated[PlanKind | None, typer.Option(help="Only this kind.")] = None,
    state: Annotated[PlanState | None, typer.Option(help="Only this state.")] = None,
    cycle: Annotated[str | None, typer.Option(help="Only this cycle, e.g. 2027-01.")] = None,
) -> None:
    """List plan versions, newest first."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.versions.service import list_versions

    with unit_of_work(database(), write=False) as session:
        versions = list_versions(session, local_actor(), kind=kind, state=state, cycle=cycle)
    columns = ["id", "cycle", "kind", "name", "state", "created", "by", "changed", "changed by"]
    rows = [
        (
            v.id,
            v.cycle,
            v.kind,
            v.name,
            v.state,
            when(v.created_at),
            v.created_by,
            when(v.state_changed_at),
            v.state_changed_by or "",
        )
        for v in versions
    ]
    title = f"Plan versions ({len(versions)})"
    console.print(table(title, columns, rows, right=["id"], no_wrap=["id", "cycle", "state"]))


@handle_errors
def show_command(version_id: Annotated[int, typer.Argument(help="Plan version id.")]) -> None:
    """Show one version: state, hash, settings, headline figures and its frames."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.versions.service import show_version

    with unit_of_work(database(), write=False) as session:
        v = show_version(session, local_actor(), version_id)
    say(f"{v.name} ({v.kind}, cycle {v.cycle})", f"Plan version #{v.id}:", "title")
    say(f"state: {v.state}")
    if v.state_changed_at is not None:
        say(f"state changed: {when(v.state_changed_at)} by {v.state_changed_by}")
    say(f"created: {when(v.created_at)} by {v.created_by}")
    say(f"content hash: {v.content_hash}")
    summary = [(name, _figure(value, kind)) for name, value, kind in _figures(v.summary)]
    console.print(table("Summary", ["name", "value"], summary, right=["value"]))
    settings = [(name, cell(value)) for name, value in v.settings.items()]
    console.print(table("Settings", ["name", "value"], settings))
    rows = [(name, amount(count)) for name, count in v.frame_rows.items()]
    console.print(table("Frames", ["frame", "rows"], rows, right=["rows"]))


def _figures(summary: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """A summary's figures (nested ones as ``parent.name``) with their kind."""
    from oneplan.engines.diff import figure_kind, flat_figures

    return [
        (name, value, figure_kind(name, value)) for name, value in flat_figures(summary).items()
    ]


def _figure(value: Any, kind: str) -> str:
    """A headline figure as people read it: a share as a percentage."""
    return percent(value) if kind == "share" else cell(value)


def _change(value: Any, kind: str) -> str:
    """A change of a figure: of a share in percentage points."""
    if kind == "share":
        return points(value)
    if missing(value):
        return ""
    change = float(value)
    return f"{change:+,.0f}" if change.is_integer() else f"{change:+,.2f}"


def _print_frame_diff(found: FrameDiff, limit: int) -> None:
    where = " (only in A)" if found.only_in_a else " (only in B)" if found.only_in_b else ""
    say(
        f"{len(found.added)} added, {len(found.removed)} removed, "
        f"{len(found.changed)} changed, {found.unchanged} unchanged "
        f"(rows keyed by {', '.join(found.keys) or 'position'})",
        f"{found.name}{where}:",
        "title",
    )
    if len(found.totals):
        over = f", {found.totals_over}" if found.totals_over else ""
        title = f"{found.name}: totals of the columns that add up{over}"
        console.print(frame_table(title, found.totals, limit))
    for title, rows in (("added", found.added), ("removed", found.removed)):
        if len(rows):
            console.print(frame_table(f"{found.name}: {title}", rows, limit))
    if len(found.changed):
        # keys, then only the value columns that moved, to keep the table readable
        shown = found.changed
        moved = [c for c in shown.columns if c.endswith("_change") and shown[c].abs().gt(0).any()]
        columns = [*found.keys, *(m[: -len("_change")] + s for m in moved for s in ("_a", "_b"))]
        columns += moved
        keep = columns if moved else list(shown.columns)
        console.print(frame_table(f"{found.name}: changed", shown[keep], limit))


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
    from oneplan.db.session import unit_of_work
    from oneplan.services.versions.service import diff

    with unit_of_work(database(), write=False) as session:
        found = diff(session, local_actor(), a, b, frame)
    say(f"({found.a.kind})", f"Plan version #{a} (A) against #{b} (B)", "title")
    if len(found.headline):
        rows = []
        for row in found.headline.to_dict("records"):
            kind = str(row["kind"])
            shown = (_figure(row["a"], kind), _figure(row["b"], kind), _change(row["change"], kind))
            rows.append((row["figure"], *shown))
        columns = ["figure", "a", "b", "change"]
        console.print(table("Headline", columns, rows, right=columns[1:]))
    for frame_diff in found.frames.values():
        _print_frame_diff(frame_diff, limit)


def _transition(action: PlanAction) -> Callable[[int], None]:
    @handle_errors
    def command(version_id: Annotated[int, typer.Argument(help="Plan version id.")]) -> None:
        from oneplan.db.session import unit_of_work
        from oneplan.services.versions.lifecycle import transition

        with unit_of_work(database()) as session:
            moved = transition(session, local_actor(), version_id, action)
        say(f"plan version #{moved.version.id} is now {moved.version.state}")
        for other in moved.superseded:
            say(f"plan version #{other} is superseded")

    command.__doc__ = {
        PlanAction.propose: "Put a draft version forward for approval.",
        PlanAction.approve: "Approve a proposed version; the plan approved before is superseded.",
        PlanAction.release: (
            "Release an approved version: the MPS export writes it. A cycle has one released"
            " supply plan, base or scenario: the one released before is superseded."
        ),
    }[action]
    return command


@handle_errors
def adopt_command(
    version_id: Annotated[int, typer.Argument(help="Plan version id of a scenario run.")],
    reason: Annotated[str, typer.Option(help="The decision, for the audit trail.")] = "",
) -> None:
    """Adopt a scenario run as the cycle's supply plan: it is released in one move, the base
    supply plan in force is superseded, and export-mps writes the scenario's plan."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.versions.lifecycle import adopt

    with unit_of_work(database()) as session:
        moved = adopt(session, local_actor(), version_id, reason)
    v = moved.version
    say(
        f"scenario {v.name!r}, plan version #{v.id}, is now the released supply plan of cycle "
        f"{v.cycle}: export-mps writes it",
        "adopted",
    )
    for other in moved.superseded:
        say(f"plan version #{other} is superseded")


@handle_errors
def supersede_command(
    version_id: Annotated[int, typer.Argument(help="Plan version id.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")] = "",
) -> None:
    """Withdraw a version by hand; it is kept as a record."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.versions.lifecycle import supersede

    with unit_of_work(database()) as session:
        version = supersede(session, local_actor(), version_id, reason)
    say(f"plan version #{version.id} is now {version.state}")


def register(app: typer.Typer) -> None:
    """Add the ``plan`` commands to the ``oneplan`` command."""
    plan_app = typer.Typer(
        help="Plan versions: list, compare, propose, approve, release, adopt a scenario.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    plan_app.command("list")(list_command)
    plan_app.command("show")(show_command)
    plan_app.command("diff")(diff_command)
    for action in PlanAction:
        plan_app.command(action.value)(_transition(action))
    plan_app.command("adopt")(adopt_command)
    plan_app.command("supersede")(supersede_command)
    app.add_typer(plan_app, name="plan")

"""Demand commands: the standalone forecast, and the stored demand plan with its overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oneplan.choices import AccuracyLevel, OverrideLevel, Reconciliation, RollupLevel
from oneplan.cli.common import console, database, errors, handle_errors, local_actor, say
from oneplan.cli.render import amount, figure, percent, points, table, wide_tables
from oneplan.errors import Problem, ValidationFailed


@handle_errors
def forecast_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="CSV or Parquet with unique_id, ds, y.")
    ],
    horizon: Annotated[int, typer.Option(min=1, help="Periods to forecast.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV or Parquet file to write.")],
    freq: Annotated[str, typer.Option(help="pandas frequency of ds: MS monthly, W weekly...")] = (
        "MS"
    ),
    season_length: Annotated[int, typer.Option(min=1, help="Periods in one season.")] = 12,
    level: Annotated[
        list[int] | None,
        typer.Option("--level", help="Interval coverage in percent (repeatable).", min=1, max=99),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Fit fewer models: less time, a little less accuracy.")
    ] = False,
) -> None:
    """Forecast every series of a file, with intervals; no database needed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from oneplan.services.demand.forecast_file import forecast_series, read_series, write_forecast

    levels = tuple(sorted(set(level or [80, 95])))
    history = read_series(input_path)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("Forecasting series", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        run = forecast_series(
            history,
            horizon,
            freq=freq,
            season_length=season_length,
            levels=levels,
            source=input_path.name,
            fast=fast,
            on_progress=advance,
        )
    write_forecast(run.result.forecast, output)
    for notice in run.notices:
        say(str(notice), "warning:", "note", to=errors)
    fell_back = int(run.result.selection["fell_back"].fillna(False).astype(bool).sum())
    wape = run.result.accuracy["wape"]
    accuracy = f", mean backtest WAPE {wape.mean():.1%}" if wape.notna().any() else ""
    say(
        f"{output}: {run.series:,} series x {horizon} periods ({fell_back} fell back{accuracy})",
        "wrote",
    )


@handle_errors
def run(
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Months to plan; default: horizon_periods.")
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Forecast again even if the history is unchanged.")
    ] = False,
    reconcile: Annotated[
        Reconciliation,
        typer.Option(help="Reconcile with forecasts of the total, categories, families, regions."),
    ] = Reconciliation.none,
) -> None:
    """Run the demand step: forecast, lifecycle, events, overrides; store a demand version."""
    from oneplan.runner import run_phased
    from oneplan.services.cycle.steps import demand_figures
    from oneplan.services.demand.schemas import DemandOptions
    from oneplan.services.demand.service import demand_run

    options = DemandOptions(horizon=horizon, reuse_forecast=not fresh, reconciliation=reconcile)
    with console.status("Building the demand plan"):
        result = run_phased(database(), demand_run(local_actor(), options))
    say(", ".join(f"{f.label} {figure(f)}" for f in demand_figures(result)))


@handle_errors
def show(
    version: Annotated[int | None, typer.Option(help="Version id; default: the newest.")] = None,
    level: Annotated[RollupLevel, typer.Option(help="Hierarchy level of the rows.")] = (
        RollupLevel.family
    ),
    months: Annotated[int, typer.Option(min=1, help="Months shown as columns.")] = 4,
) -> None:
    """Show a stored demand plan: headline and consensus units per member and month."""
    import pandas as pd

    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.service import demand_version

    with unit_of_work(database(), write=False) as session:
        stored, frames = demand_version(session, local_actor(), version, ["rollup"])
    s = stored.summary
    say(f"{stored.name} ({stored.state})", f"Demand plan version #{stored.id}:", "title")
    value = amount(s.get("total_value", 0))
    say(
        f"{s.get('series', 0):,} series forecast ({s.get('fell_back', 0)} fell back), "
        f"{amount(s.get('total_units', 0))} units, {value} {s.get('currency', '')}".strip()
    )
    if s.get("mean_wape") is not None:
        say(f"mean backtest WAPE: {percent(s['mean_wape'])}")
    say(f"overrides applied: {s.get('overrides', 0)}")
    roll = frames["rollup"]
    roll = roll[roll["level"] == level.value]
    roll = roll.assign(month=pd.to_datetime(roll["period"]).dt.strftime("%Y-%m"))
    currency = s.get("currency") or ""
    shown = sorted(roll["month"].unique())[:months]
    wide = roll.pivot_table(index="member", columns="month", values="quantity", aggfunc="sum")
    totals = roll.groupby("member")[["quantity", "value"]].sum()
    value_column = f"value {currency}".strip()
    columns = [level.value, *shown, "all months", value_column]
    rows = [
        (
            str(member) or "total",
            *(amount(wide.at[member, m]) for m in shown),
            amount(totals.loc[member, "quantity"]),
            amount(totals.loc[member, "value"]),
        )
        for member in wide.index
    ]
    # as many months side by side as the terminal holds; the rest in the tables below
    for part in wide_tables(f"Consensus units by {level.value}", columns, rows, console.width):
        console.print(part)


@handle_errors
def override(
    level: Annotated[OverrideLevel, typer.Option(help="Hierarchy level of the node.")],
    period: Annotated[str, typer.Option(help="Month, YYYY-MM (the first of a range).")],
    reason: Annotated[str, typer.Option(help="Why the plan changes (required).")],
    member: Annotated[
        str, typer.Option(help="Code at that level; ITEM|LOCATION for item_location.")
    ] = "",
    set_to: Annotated[
        float | None, typer.Option("--set", help="Set the node's month total to these units.")
    ] = None,
    change_pct: Annotated[
        float | None, typer.Option("--change-pct", help="Change the node by this percent.")
    ] = None,
    cycle: Annotated[str | None, typer.Option(help="Cycle, YYYY-MM; default: plan_start.")] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last month of a range, YYYY-MM: one override per month, same reason."
        ),
    ] = None,
) -> None:
    """Record an override (or one per month of a range, all or nothing); the next demand run
    applies them after the ones before."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.overrides import add_override_months
    from oneplan.services.demand.schemas import OverrideIn

    if (set_to is None) == (change_pct is None):
        raise ValidationFailed(
            [Problem("override", None, "--set/--change-pct", "give exactly one of them")]
        )
    kind, value = ("absolute", set_to) if set_to is not None else ("relative", change_pct)
    request: dict[str, Any] = {"level": level, "member": member, "period": period}
    request.update(kind=kind, value=float(value or 0.0), reason=reason)
    with unit_of_work(database()) as session:
        added = add_override_months(
            session, local_actor(), OverrideIn(**request), to=to, cycle=cycle
        )
    what = f"set to {value:,.2f} units" if kind == "absolute" else f"changed by {value:+g}%"
    node = f"{level.value} {member}".strip()
    first, last = added[0], added[-1]
    if len(added) == 1:
        which, when = f"override #{first.sequence}", f"in {first.period:%Y-%m}"
    else:
        which = f"overrides #{first.sequence} to #{last.sequence}"
        when = f"in each month from {first.period:%Y-%m} to {last.period:%Y-%m}"
    say(
        f"{which} of cycle {first.cycle}: {node} {when} {what}; run the demand step to apply "
        f"{'it' if len(added) == 1 else 'them'}",
        "recorded",
    )


@handle_errors
def overrides_command(
    cycle: Annotated[str | None, typer.Option(help="Only this cycle, YYYY-MM.")] = None,
    withdrawn: Annotated[
        bool, typer.Option("--withdrawn", help="List the withdrawn overrides instead.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """List the overrides that apply (or, with --withdrawn, those taken back), newest first."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.overrides import list_overrides

    with unit_of_work(database(), write=False) as session:
        page = list_overrides(session, local_actor(), cycle=cycle, withdrawn=withdrawn, limit=limit)
    columns = ["id", "cycle", "#", "level", "member", "month", "change", "reason", "author"]
    rows = [
        (
            str(o.id),
            o.cycle,
            str(o.sequence),
            o.level.value,
            o.member,
            f"{o.period:%Y-%m}",
            f"= {o.value:,.0f}" if o.kind.value == "absolute" else f"{o.value:+g}%",
            o.reason,
            o.withdrawn_by or o.author,
        )
        for o in page.items
    ]
    title = "Withdrawn overrides" if withdrawn else "Overrides that apply"
    console.print(table(title, columns, rows, right=["id", "#"]))
    say(f"{len(page.items)} of {page.total} shown")


@handle_errors
def withdraw(
    override_id: Annotated[int, typer.Argument(help="Override id (`oneplan demand overrides`).")],
    reason: Annotated[str, typer.Option(help="Why it is taken back.")] = "",
) -> None:
    """Withdraw an override: the next demand run no longer applies it; it is kept as a record."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.overrides import withdraw_override

    with unit_of_work(database()) as session:
        found = withdraw_override(session, local_actor(), override_id, reason=reason)
    say(
        f"override {found.id} (#{found.sequence} of cycle {found.cycle}); run the demand step "
        "to plan without it",
        "withdrawn",
    )


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="The .xlsx workbook to write.")],
    version: Annotated[int | None, typer.Option(help="Version id; default: the newest.")] = None,
) -> None:
    """Write the planning grid: one row per item x location, one column per month."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.grid import export_grid

    with unit_of_work(database(), write=False) as session:
        report = export_grid(session, local_actor(), path, version)
    say(
        f"{path}: demand plan version #{report.version_id}, "
        f"{report.rows:,} rows x {report.months} months",
        "wrote",
    )


@handle_errors
def import_grid_command(
    path: Annotated[Path, typer.Argument(help="The edited .xlsx grid.")],
) -> None:
    """Read an edited grid back: each changed cell becomes an override ("grid edit")."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.grid import import_grid, read_grid_workbook

    workbook = read_grid_workbook(path)
    with unit_of_work(database()) as session:
        report = import_grid(session, local_actor(), workbook)
    if not report.changed_cells:
        say(f"no cell differs from demand plan version #{report.version_id}")
        return
    say(
        f"{report.changed_cells:,} override(s) from {path.name} against "
        f"demand plan version #{report.version_id}; run the demand step to apply them",
        "recorded",
    )


@handle_errors
def accuracy(
    lag: Annotated[
        list[int] | None,
        typer.Option(
            "--lag", min=0, help="Months from cycle to period (repeatable); default 1, 3."
        ),
    ] = None,
    level: Annotated[
        AccuracyLevel, typer.Option(help="item (x location), family or total.")
    ] = AccuracyLevel.item,
) -> None:
    """Forecast accuracy by lag and forecast value added of each layer and override author."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.demand.accuracy import demand_accuracy

    lags = tuple(sorted(set(lag or [1, 3])))
    with unit_of_work(database(), write=False) as session:
        measured = demand_accuracy(session, local_actor(), lags=lags)
    if measured.accuracy.empty:
        say("no demand plan to measure yet; run the demand step first")
        return
    shown = measured.accuracy[measured.accuracy["level"] == level.value]
    columns = ["layer", "lag", "WAPE", "bias", "MAPE", "points", "waiting"]
    rows: list[tuple[Any, ...]] = [
        (
            row.layer,
            row.lag,
            percent(row.wape),
            percent(row.bias),
            percent(row.mape),
            amount(row.points),
            amount(row.pending),
        )
        for row in shown.itertuples()
    ]
    title = f"Forecast accuracy by lag ({level.value} level)"
    console.print(table(title, columns, rows, right=columns[1:]))
    through = measured.sales_through
    if shown["pending"].any():
        known = f"sales are known through {through}" if through else "no sales are known yet"
        say(f"{known}: later months are waiting for sales (column 'waiting')")
    if measured.value_added.empty:
        authors = sorted(set(measured.contributions["author"].astype(str)))
        later = f"; the overrides of {', '.join(authors)} too" if authors else ""
        say(
            "no planned month has sales yet: forecast value added is measured when they "
            f"arrive{later}"
        )
        say(f"{len(measured.versions)} cycle(s) waiting: the newest demand plan of each")
        return
    added = measured.value_added[measured.value_added["level"] == level.value]
    columns = ["lag", "step", "compared with", "WAPE before", "WAPE after", "value added"]
    rows = [
        (
            row.lag,
            f"author {row.layer}" if row.kind == "author" else str(row.layer),
            row.compared_with,
            percent(row.error_before),
            percent(row.error_after),
            points(row.value_added),
        )
        for row in added.itertuples()
    ]
    title = "Forecast value added (WAPE points taken off; negative: made it worse)"
    right = ["lag", "WAPE before", "WAPE after", "value added"]
    console.print(table(title, columns, rows, right=right, no_wrap=["step", "compared with"]))
    say(f"{len(measured.versions)} cycle(s) measured: the newest demand plan of each")


def register(app: typer.Typer) -> None:
    """Add ``forecast`` and the ``demand`` commands to the ``oneplan`` command."""
    app.command("forecast")(forecast_command)
    demand_app = typer.Typer(
        help="The demand plan: forecast, overrides, the planning grid.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    demand_app.command("run")(run)
    demand_app.command("show")(show)
    demand_app.command("override")(override)
    demand_app.command("overrides")(overrides_command)
    demand_app.command("withdraw")(withdraw)
    demand_app.command("export")(export)
    demand_app.command("import-grid")(import_grid_command)
    demand_app.command("accuracy")(accuracy)
    app.add_typer(demand_app, name="demand")

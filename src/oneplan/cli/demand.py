"""Demand commands: the standalone forecast, and the stored demand plan with its overrides."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oneplan.cli.common import console, engine, errors, handle_errors
from oneplan.config import get_settings
from oneplan.db.session import unit_of_work
from oneplan.errors import Problem, ValidationFailed
from oneplan.services.demand import (
    DemandOptions,
    add_override,
    demand_version,
    run_demand_step,
    step_summary,
)
from oneplan.services.demand_grid import export_grid, import_grid
from oneplan.services.demand_io import forecast_series, read_series, write_forecast


class Level(StrEnum):
    total = "total"
    category = "category"
    family = "family"
    region = "region"
    location = "location"
    item = "item"


class Reconciliation(StrEnum):
    none = "none"
    mint_ols = "mint_ols"
    top_down = "top_down"


class OverrideLevel(StrEnum):
    item = "item"
    family = "family"
    category = "category"
    region = "region"
    location = "location"
    total = "total"
    item_location = "item_location"


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
) -> None:
    """Forecast every series of a file, with intervals; no database needed."""
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
            on_progress=advance,
        )
    write_forecast(run.result.forecast, output)
    fell_back = int(run.result.selection["fell_back"].fillna(False).astype(bool).sum())
    wape = run.result.accuracy["wape"]
    accuracy = f", mean backtest WAPE {wape.mean():.1%}" if wape.notna().any() else ""
    console.print(
        f"[green]wrote[/] {output}: {run.series:,} series x {horizon} periods "
        f"({fell_back} fell back{accuracy})"
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
    method = None if reconcile is Reconciliation.none else reconcile.value
    options = DemandOptions(horizon=horizon, reuse_forecast=not fresh, reconciliation=method)
    with console.status("Building the demand plan"):
        result = run_demand_step(engine(), get_settings(), options)
    console.print(", ".join(f"{label} {value}" for label, value in step_summary(result)))


def _headline(version: Any) -> None:
    s = version.summary
    console.print(f"[bold]Demand plan version #{version.id}[/]: {version.name} ({version.state})")
    value = f"{s.get('total_value', 0):,.0f} {s.get('currency', '')}".strip()
    console.print(
        f"{s.get('series', 0):,} series forecast ({s.get('fell_back', 0)} fell back), "
        f"{s.get('total_units', 0):,.0f} units, {value}"
    )
    if s.get("mean_wape") is not None:
        console.print(f"mean backtest WAPE: {s['mean_wape']:.1%}")
    console.print(f"overrides applied: {s.get('overrides', 0)}")


@handle_errors
def show(
    version: Annotated[int | None, typer.Option(help="Version id; default: the newest.")] = None,
    level: Annotated[Level, typer.Option(help="Hierarchy level of the rows.")] = Level.family,
    months: Annotated[int, typer.Option(min=1, help="Months shown as columns.")] = 4,
) -> None:
    """Show a stored demand plan: headline and consensus units per member and month."""
    with unit_of_work(engine(), write=False) as session:
        stored, frames = demand_version(session, version, ["rollup"])
    _headline(stored)
    roll = frames["rollup"]
    roll = roll[roll["level"] == level.value]
    roll = roll.assign(month=pd.to_datetime(roll["period"]).dt.strftime("%Y-%m"))
    currency = stored.summary.get("currency") or ""
    shown = sorted(roll["month"].unique())[:months]
    wide = roll.pivot_table(index="member", columns="month", values="quantity", aggfunc="sum")
    totals = roll.groupby("member")[["quantity", "value"]].sum()
    table = Table(title=f"Consensus units by {level.value}")
    table.add_column(level.value)
    for month in shown:
        table.add_column(month, justify="right")
    table.add_column("all months", justify="right")
    table.add_column(f"value {currency}".strip(), justify="right")
    for member in wide.index:
        cells = [f"{wide.at[member, m]:,.0f}" for m in shown]
        quantity, value = totals.loc[member, "quantity"], totals.loc[member, "value"]
        table.add_row(str(member) or "total", *cells, f"{quantity:,.0f}", f"{value:,.0f}")
    console.print(table)


@handle_errors
def override(
    level: Annotated[OverrideLevel, typer.Option(help="Hierarchy level of the node.")],
    period: Annotated[str, typer.Option(help="Month, YYYY-MM.")],
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
) -> None:
    """Record an override; the next demand run applies it after the ones before it."""
    if (set_to is None) == (change_pct is None):
        raise ValidationFailed(
            [Problem("override", None, "--set/--change-pct", "give exactly one of them")]
        )
    kind, value = ("absolute", set_to) if set_to is not None else ("relative", change_pct)
    with unit_of_work(engine(), write=True) as session:
        added = add_override(
            session,
            level=level.value,
            member=member,
            period=period,
            kind=kind,
            value=float(value or 0.0),
            reason=reason,
            cycle=cycle,
        )
        number, cycle_of = added.sequence, added.cycle
    what = f"set to {value:,.2f} units" if kind == "absolute" else f"changed by {value:+g}%"
    node = f"{level.value} {member}".strip()
    console.print(
        f"[green]recorded[/] override #{number} of cycle {cycle_of}: {node} in {period} {what}; "
        "run the demand step to apply it"
    )


@handle_errors
def export(
    path: Annotated[Path, typer.Argument(help="The .xlsx workbook to write.")],
    version: Annotated[int | None, typer.Option(help="Version id; default: the newest.")] = None,
) -> None:
    """Write the planning grid: one row per item x location, one column per month."""
    report = export_grid(engine(), path, version)
    console.print(
        f"[green]wrote[/] {path}: demand plan version #{report.version_id}, "
        f"{report.rows:,} rows x {report.months} months"
    )


@handle_errors
def import_grid_command(
    path: Annotated[Path, typer.Argument(help="The edited .xlsx grid.")],
) -> None:
    """Read an edited grid back: each changed cell becomes an override ("grid edit")."""
    report = import_grid(engine(), path)
    if not report.changed_cells:
        console.print(f"no cell differs from demand plan version #{report.version_id}")
        return
    console.print(
        f"[green]recorded[/] {report.changed_cells:,} override(s) from {path.name} against "
        f"demand plan version #{report.version_id}; run the demand step to apply them"
    )


class AccuracyLevel(StrEnum):
    item = "item"
    family = "family"
    total = "total"


def _percent(value: Any) -> str:
    return "-" if pd.isna(value) else f"{value:.1%}"


def _points(value: Any) -> str:
    return "-" if pd.isna(value) else f"{value * 100:+.1f} pts"


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
    from oneplan.services.demand_accuracy import demand_accuracy

    lags = tuple(sorted(set(lag or [1, 3])))
    with unit_of_work(engine(), write=False) as session:
        measured = demand_accuracy(session, lags=lags)
    if measured.accuracy.empty:
        console.print("no demand plan to measure yet; run the demand step first")
        return
    shown = measured.accuracy[measured.accuracy["level"] == level.value]
    table = Table(title=f"Forecast accuracy by lag ({level.value} level)")
    for name in ("layer", "lag", "WAPE", "bias", "MAPE", "points", "waiting"):
        table.add_column(name, justify="left" if name == "layer" else "right")
    for row in shown.itertuples():
        table.add_row(
            str(row.layer),
            str(row.lag),
            _percent(row.wape),
            _percent(row.bias),
            _percent(row.mape),
            f"{row.points:,}",
            f"{row.pending:,}",
        )
    console.print(table)
    added = measured.value_added[measured.value_added["level"] == level.value]
    fva = Table(title="Forecast value added (WAPE points taken off; negative: made it worse)")
    for name in ("lag", "step", "compared with", "WAPE before", "WAPE after", "value added"):
        text = name in ("step", "compared with")
        fva.add_column(name, justify="left" if text else "right", no_wrap=text)
    for row in added.itertuples():
        step = f"author {row.layer}" if row.kind == "author" else str(row.layer)
        fva.add_row(
            str(row.lag),
            step,
            str(row.compared_with),
            _percent(row.error_before),
            _percent(row.error_after),
            _points(row.value_added),
        )
    console.print(fva)
    console.print(f"{len(measured.versions)} cycle(s) measured: the newest demand plan of each")


def register(app: typer.Typer) -> None:
    """Add ``forecast`` and the ``demand`` commands to the ``oneplan`` command."""
    app.command("forecast")(forecast_command)
    demand_app = typer.Typer(
        help="The demand plan: forecast, overrides, the planning grid.", no_args_is_help=True
    )
    demand_app.command("run")(run)
    demand_app.command("show")(show)
    demand_app.command("override")(override)
    demand_app.command("export")(export)
    demand_app.command("import-grid")(import_grid_command)
    demand_app.command("accuracy")(accuracy)
    app.add_typer(demand_app, name="demand")

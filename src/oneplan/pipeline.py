"""The S&OP cycle as an ordered list of named steps, each also runnable alone.

A step reads what it needs from the context and returns a summary for people to read; later steps
(demand, supply, reconcile, report) are appended here as they are built.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.errors import NotFound
from oneplan.services.demand import demand_step
from oneplan.services.imports import import_package, validate_path
from oneplan.services.reconcile import reconcile_step
from oneplan.services.report import report_step
from oneplan.services.supply import run_supply, step_summary


@dataclass
class CycleContext:
    engine: sa.Engine
    settings: Settings
    data_path: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepOutcome:
    name: str
    seconds: float
    summary: list[tuple[str, str]]


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[CycleContext], list[tuple[str, str]]]


def _need_data(context: CycleContext) -> Path:
    if context.data_path is None:
        raise NotFound("no data package given: pass the folder or workbook to import")
    return context.data_path


def _validate(context: CycleContext) -> list[tuple[str, str]]:
    frames = validate_path(_need_data(context), context.engine, context.settings)
    context.results["validated"] = frames
    rows = sum(len(f) for f in frames.values())
    return [("tables", str(len(frames))), ("rows", f"{rows:,}")]


def _import(context: CycleContext) -> list[tuple[str, str]]:
    report = import_package(context.engine, _need_data(context), settings=context.settings)
    context.results["import"] = report
    return [
        ("import", f"#{report.import_id}"),
        ("inserted", f"{report.inserted:,}"),
        ("updated", f"{report.updated:,}"),
        ("unchanged", f"{report.unchanged:,}"),
    ]


def _supply(context: CycleContext) -> list[tuple[str, str]]:
    result = run_supply(context.engine, settings=context.settings)
    context.results["supply"] = result
    return step_summary(result)


STEPS: tuple[Step, ...] = (
    Step("validate", "Validate the data package", _validate),
    Step("import", "Import it into the database", _import),
    Step("demand", "Build the demand plan", demand_step),
    Step("supply", "Plan supply against capacity", _supply),
    Step("reconcile", "Value the plan and compare it with the budget", reconcile_step),
    Step("report", "Write the executive pack", report_step),
)


def step_names() -> list[str]:
    return [step.name for step in STEPS]


def run_cycle(
    context: CycleContext,
    only: Sequence[str] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> list[StepOutcome]:
    """Run the cycle's steps in order (or only the named ones, still in cycle order)."""
    unknown = sorted(set(only or ()) - set(step_names()))
    if unknown:
        raise NotFound(
            f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(step_names())}"
        )
    outcomes = []
    for step in STEPS:
        if only and step.name not in only:
            continue
        if on_step is not None:
            on_step(step)
        started = time.perf_counter()
        summary = step.run(context)
        outcomes.append(StepOutcome(step.name, time.perf_counter() - started, summary))
    return outcomes

"""The S&OP cycle as one ordered registry of named steps, each also runnable alone.

A step is a service run (`PhasedRun` or `ReadRun`) built for an actor and the cycle's request,
and the figures it reports. The registry returns data; front ends render it and
`oneplan.runner.run_cycle` runs it. Of the services, only the job kinds
(`oneplan.services.jobs.kinds`) import it: a job runs these steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oneplan.config import Settings
from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.cycle.schemas import Figure
from oneplan.services.data.service import (
    PackageFiles,
    import_package,
    read_package_files,
    require_package,
    validate_files,
)
from oneplan.services.demand.service import DemandResult, demand_run
from oneplan.services.finance.service import FinanceResult, finance_run
from oneplan.services.phases import PhasedRun, ReadRun
from oneplan.services.report.service import DEFAULT_FOLDER, ReportResult, report_run
from oneplan.services.supply.service import SupplyResult, supply_run


@dataclass(frozen=True)
class CycleRequest:
    """What the cycle runs on: the data package to import (if any) and where the pack goes."""

    settings: Settings
    data_path: Path | None = None
    report_dir: Path = DEFAULT_FOLDER

    def __post_init__(self) -> None:
        # A package that is not there is refused before any step runs or a database is made.
        if self.data_path is not None:
            require_package(self.data_path)


Run = PhasedRun[Any, Any, Any] | ReadRun[Any, Any]


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[Actor, CycleRequest], Run]
    figures: Callable[[Any], list[Figure]]
    #: The table the step answers with besides its figures (JSON-ready records), if any.
    rows: Callable[[Any], list[dict[str, Any]]] | None = None


def _package(request: CycleRequest) -> Path:
    if request.data_path is None:
        raise NotFound("no data package given: pass the folder or workbook to import")
    return request.data_path


def _validate(actor: Actor, request: CycleRequest) -> Run:
    path = _package(request)
    return ReadRun(
        load=lambda session: validate_files(
            session, actor, read_package_files(path, request.settings)
        )[1],
        compute=lambda report: report,
    )


def _import(actor: Actor, request: CycleRequest) -> Run:
    path = _package(request)

    def store(session: Any, files: PackageFiles) -> Any:
        return import_package(
            session, actor, files, lock_timeout_s=request.settings.sqlite_busy_timeout_s
        )

    return PhasedRun(
        load=lambda session: read_package_files(path, request.settings),
        compute=lambda files: files,
        store=store,
    )


def _money(label: str, value: Any, currency: str) -> Figure:
    return Figure(label=label, value=value, kind="money", unit=currency)


def validate_figures(report: Any) -> list[Figure]:
    basis = "the database" if report.against_database else "the package alone"
    return [
        Figure(label="tables", value=report.tables, kind="count"),
        Figure(label="rows", value=report.total_rows, kind="count"),
        Figure(label="checked against", value=basis, kind="text"),
    ]


def import_figures(report: Any) -> list[Figure]:
    return [
        Figure(label="import", value=report.import_id, kind="text", unit="#"),
        Figure(label="inserted", value=report.inserted, kind="count"),
        Figure(label="updated", value=report.updated, kind="count"),
        Figure(label="unchanged", value=report.unchanged, kind="count"),
    ]


def version_figure(version_id: int | None, reused: bool) -> Figure:
    """The version a run stored, or, for an identical re-run, the version it reused."""
    if reused:
        return Figure(label="unchanged:", value=f"version #{version_id} reused", kind="text")
    return Figure(label="version", value=version_id, kind="version")


def demand_figures(result: DemandResult) -> list[Figure]:
    s = result.summary
    figures = [
        version_figure(result.version_id, result.reused),
        Figure(label="series", value=s["series"], kind="count"),
        Figure(label="fell back", value=s["fell_back"], kind="count"),
        Figure(label="units", value=s["total_units"], kind="units"),
        _money("value", s["total_value"], s["currency"]),
    ]
    if s["mean_wape"] is not None:
        figures.append(Figure(label="mean WAPE", value=s["mean_wape"], kind="percent"))
    if s["overrides"]:
        figures.append(Figure(label="overrides", value=s["overrides"], kind="count"))
    return figures


def supply_figures(result: SupplyResult) -> list[Figure]:
    s = result.summary
    figures = [
        version_figure(result.version_id, result.reused),
        Figure(label="status", value=str(s["status"]), kind="text"),
        Figure(label="objective", value=str(s.get("objective_label", s["objective"])), kind="text"),
        _money("total cost", s["total_cost"], s["currency"]),
    ]
    if s.get("penalty_cost"):
        figures.append(_money("of which penalties", s["penalty_cost"], s["currency"]))
    if s["service_level"] is not None:
        figures.append(Figure(label="on time", value=s["service_level"], kind="percent"))
    if s["top_bottleneck"]:
        neck = s["top_bottleneck"]
        text = f"{neck['resource']} {neck['period']}"
        figures.append(Figure(label="bottleneck", value=text, kind="text"))
    if s["relaxations"]:
        figures.append(Figure(label="relaxations", value=s["relaxations"], kind="count"))
    return figures


def finance_figures(result: FinanceResult) -> list[Figure]:
    s, currency = result.summary, result.summary["currency"]
    figures = [
        version_figure(result.version_id, result.reused),
        _money("revenue", s["revenue"], currency),
        _money("gross margin", s["gross_margin"], currency),
    ]
    if s["margin_pct"] is not None:
        figures.append(Figure(label="margin %", value=s["margin_pct"], kind="percent"))
    figures.append(_money("working capital at end", s["working_capital_end"], currency))
    figures.append(_money("operating cash", s["operating_cash_flow"], currency))
    if s["budget_months"]:
        figures.append(_money("revenue vs budget", s["revenue_vs_budget"], currency))
        figures.append(_money("margin vs budget", s["margin_vs_budget"], currency))
    if s["gaps"]:
        figures.append(Figure(label="unvalued rows", value=s["gaps"], kind="count"))
    if s.get("issues"):
        figures.append(Figure(label="issues to decide", value=s["issues"], kind="count"))
    if s.get("valued_plan"):
        figures.append(Figure(label="plan valued", value=s["valued_plan"], kind="text"))
    return figures


def report_figures(result: ReportResult) -> list[Figure]:
    figures = [
        Figure(label=kind, value=str(path), kind="file") for kind, path in result.files.items()
    ]
    versions = ", ".join(f"{k} #{v}" for k, v in result.versions.items())
    figures.append(Figure(label="versions", value=versions, kind="text"))
    figures.append(Figure(label="issues", value=len(result.pack.issues), kind="count"))
    return figures


STEPS: tuple[Step, ...] = (
    Step("validate", "Validate the data package", _validate, validate_figures),
    Step("import", "Import it into the database", _import, import_figures),
    Step(
        "demand",
        "Build the demand plan",
        lambda actor, request: demand_run(actor),
        demand_figures,
    ),
    Step(
        "supply",
        "Plan supply against capacity",
        lambda actor, request: supply_run(actor),
        supply_figures,
    ),
    Step(
        "finance",
        "Value the plan and compare it with the budget (pre-S&OP)",
        lambda actor, request: finance_run(actor),
        finance_figures,
    ),
    Step(
        "report",
        "Write the executive pack",
        lambda actor, request: report_run(actor, request.report_dir),
        report_figures,
    ),
)


def step_names() -> list[str]:
    return [step.name for step in STEPS]


def steps_to_run(only: list[str] | None = None) -> list[Step]:
    """The steps in cycle order, or only the named ones (still in cycle order)."""
    unknown = sorted(set(only or ()) - set(step_names()))
    if unknown:
        raise NotFound(
            f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(step_names())}"
        )
    return [step for step in STEPS if not only or step.name in only]

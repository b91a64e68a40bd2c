"""What a job can run: each kind is a short list of the cycle's named steps with its options.

A kind binds its validated parameters to the same service runs the commands call (the demand,
supply, finance, scenario and report services, and the cycle's registry): a job holds no
business rule of its own. Building a step's run checks the actor's permission up front, exactly
as the direct call does, so `submit_job` builds them all once and throws the runs away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from oneplan.config import Settings
from oneplan.errors import NotFound, Problem, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.cycle.schemas import Figure
from oneplan.services.cycle.steps import (
    CycleRequest,
    Step,
    demand_figures,
    steps_to_run,
    supply_figures,
    version_figure,
)
from oneplan.services.demand.schemas import DemandOptions
from oneplan.services.demand.service import demand_run
from oneplan.services.jobs.schemas import (
    CycleJob,
    DemandJob,
    NoParameters,
    ReportJob,
    ScenarioJob,
    SupplyJob,
)
from oneplan.services.permissions import Permission, require
from oneplan.services.phases import ReadRun
from oneplan.services.scenario.service import ScenarioRun, explain_run, scenario_run
from oneplan.services.supply.service import supply_run
from oneplan.services.versions.schemas import records


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its name, what it does, its parameters and the steps it runs."""

    name: str
    title: str
    parameters: type[BaseModel]
    steps: Callable[[Any], list[Step]]
    request: Callable[[Any, Settings], CycleRequest] = lambda params, settings: CycleRequest(
        settings
    )
    #: Checked at submission besides what building the runs checks (a step that checks later).
    also_requires: Callable[[Any], list[Permission]] = lambda params: []


def _demand(params: DemandJob) -> list[Step]:
    options = DemandOptions(
        horizon=params.horizon, reuse_forecast=not params.fresh, reconciliation=params.reconcile
    )
    return [
        Step("demand", "Build the demand plan", lambda a, r: demand_run(a, options), demand_figures)
    ]


def _supply(params: SupplyJob) -> list[Step]:
    run = lambda a, r: supply_run(a, params.options)  # noqa: E731
    return [Step("supply", "Plan supply against capacity", run, supply_figures)]


def _scenario_figures(result: ScenarioRun) -> list[Figure]:
    return [version_figure(result.version_id, result.reused)]


def _scenario(params: ScenarioJob) -> list[Step]:
    run = lambda a, r: scenario_run(a, params.name, params.options)  # noqa: E731
    return [Step("scenario", f"Run scenario {params.name}", run, _scenario_figures)]


def _explain_figures(found: pd.DataFrame) -> list[Figure]:
    return [Figure(label="assumptions", value=int(found["position"].nunique()), kind="count")]


def _explain(params: ScenarioJob) -> list[Step]:
    run = lambda a, r: explain_run(a, params.name, params.options)  # noqa: E731
    title = f"Explain scenario {params.name}: its KPI change by assumption"
    return [Step("explain", title, run, _explain_figures, rows=records)]


def _ping(actor: Actor, request: CycleRequest) -> ReadRun[None, None]:
    require(actor, Permission.read)
    return ReadRun(load=lambda session: None, compute=lambda nothing: None)


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind("demand", "Build the demand plan", DemandJob, _demand),
        JobKind("supply", "Plan supply against capacity", SupplyJob, _supply),
        JobKind(
            "finance",
            "Value the plan and compare it with the budget",
            NoParameters,
            lambda params: steps_to_run(["finance"]),
        ),
        JobKind("scenario", "Run a scenario", ScenarioJob, _scenario),
        JobKind(
            "explain",
            "Break a scenario's KPI change down by assumption (re-solves, stores nothing)",
            ScenarioJob,
            _explain,
        ),
        JobKind(
            "report",
            "Write the executive pack",
            ReportJob,
            lambda params: steps_to_run(["report"]),
            lambda params, settings: CycleRequest(settings, report_dir=Path(params.report_dir)),
        ),
        JobKind(
            "cycle",
            "Run the S&OP cycle's steps",
            CycleJob,
            lambda params: steps_to_run(params.steps),
            lambda params, settings: CycleRequest(
                settings,
                data_path=Path(params.data_path) if params.data_path else None,
                report_dir=Path(params.report_dir),
            ),
            # the import step checks its permission only when it stores
            lambda params: (
                [Permission.import_data]
                if any(s.name == "import" for s in steps_to_run(params.steps))
                else []
            ),
        ),
        JobKind(
            "ping",
            "Answer at once: shows that a worker takes jobs; changes nothing",
            NoParameters,
            lambda params: [Step("ping", "Answer", _ping, lambda nothing: [])],
        ),
    )
}


def job_kind(name: str) -> JobKind:
    if name not in KINDS:
        raise NotFound(f"no kind of job {name!r}; the kinds are {', '.join(sorted(KINDS))}")
    return KINDS[name]


def parameters_of(kind: JobKind, parameters: dict[str, Any] | None) -> BaseModel:
    """The kind's parameters, validated; every problem named by its field."""
    try:
        return kind.parameters.model_validate(parameters or {})
    except ValidationError as error:
        problems = [
            Problem(
                f"job {kind.name}",
                None,
                ".".join(str(part) for part in issue["loc"]) or None,
                issue["msg"],
            )
            for issue in error.errors()
        ]
        raise ValidationFailed(problems) from None


def planned_steps(
    kind: JobKind, params: BaseModel, settings: Settings
) -> tuple[list[Step], CycleRequest]:
    """The steps a job runs, in order, and the request they run on."""
    return kind.steps(params), kind.request(params, settings)


def check_may_run(actor: Actor, kind: JobKind, params: BaseModel, settings: Settings) -> None:
    """Raise `PermissionDenied` (or the run's own refusal, e.g. a package that is not there)
    unless ``actor`` may run this job: each step's run is built as the direct call builds it."""
    steps, request = planned_steps(kind, params, settings)
    for permission in kind.also_requires(params):
        require(actor, permission)
    for step in steps:
        step.run(actor, request)

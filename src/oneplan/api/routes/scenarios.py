"""Scenarios: list, create, branch, show, add an assumption, delete; compare them side by
side with the base plan; explain one's KPI change by assumption (a job: it re-solves)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, SettingsDep, etag
from oneplan.services.jobs.schemas import JobOut
from oneplan.services.scenario.schemas import (
    Assumption,
    Branch,
    ComparisonView,
    NewScenario,
    ScenarioView,
)
from oneplan.services.supply.schemas import SupplyOptions

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
#: Beside the scenarios' own addresses, so that no scenario name is taken by it.
comparison = APIRouter(prefix="/scenario-comparison", tags=["scenarios"])


@comparison.get("", responses={404: {}})
def compare_scenarios(
    session: SessionDep,
    actor: CurrentActor,
    name: Annotated[
        list[str], Query(min_length=1, description="A scenario to set beside the base (repeat).")
    ],
    largest: Annotated[
        int, Query(ge=0, le=1000, description="Changed rows shown per scenario (0: none).")
    ] = 10,
) -> ComparisonView:
    """The base supply plan and each scenario's newest run side by side: KPIs (cost, revenue,
    margin, service, unmet units, utilisation of each resource) and, per scenario, what
    changed in its supply plan against the base's."""
    from oneplan.services.scenario.compare import compare_scenarios

    found = compare_scenarios(session, actor, name)
    return ComparisonView.of(found.kpis, found.diffs, found.versions, largest)


@router.get("")
def list_scenarios(session: SessionDep, actor: CurrentActor) -> list[ScenarioView]:
    """Every scenario by name, with its assumptions and runs."""
    from oneplan.services.scenario.service import list_scenarios

    return [ScenarioView.of(s) for s in list_scenarios(session, actor)]


def _shown(session: SessionDep, actor: CurrentActor, name: str, response: Response) -> ScenarioView:
    from oneplan.services.scenario.service import show_scenario

    found = ScenarioView.of(show_scenario(session, actor, name))
    response.headers["ETag"] = etag(found.version)
    return found


@router.post("", status_code=201, responses={409: {}, 422: {}})
def create_scenario(
    body: NewScenario, response: Response, session: SessionDep, actor: CurrentActor
) -> ScenarioView:
    """A new scenario, branching from the base plan or another scenario."""
    from oneplan.services.scenario.service import create_scenario

    create_scenario(
        session,
        actor,
        body.name,
        parent=body.parent,
        description=body.description,
        assumptions=body.assumptions,
    )
    return _shown(session, actor, body.name, response)


@router.post("/{name}/branches", status_code=201, responses={404: {}, 409: {}, 422: {}})
def branch_scenario(
    name: str, body: Branch, response: Response, session: SessionDep, actor: CurrentActor
) -> ScenarioView:
    """A new scenario branching from scenario ``name``: the parent's assumptions apply first,
    then the branch's own. The parent is not changed; the answer's ETag is the branch's."""
    from oneplan.services.scenario.service import create_scenario

    create_scenario(
        session,
        actor,
        body.name,
        parent=name,
        description=body.description,
        assumptions=body.assumptions,
    )
    return _shown(session, actor, body.name, response)


@router.post("/{name}/explanations", status_code=202, responses={403: {}, 404: {}, 422: {}})
def explain_scenario(
    name: str,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    options: SupplyOptions | None = None,
) -> JobOut:
    """Queue the breakdown of the scenario's KPI change by assumption (each prefix of its
    assumptions re-solved in order; nothing stored). The job's result holds the table as
    ``steps[0].rows``: position, kind, target, kpi, before, after, change."""
    from oneplan.services.jobs.service import submit_job
    from oneplan.services.scenario.service import get_scenario

    get_scenario(session, name)  # an unknown scenario is a 404 now, not a failed job
    parameters = {"name": name, "options": (options or SupplyOptions()).model_dump(mode="json")}
    job = submit_job(session, actor, "explain", parameters, settings=settings)
    response.headers["Location"] = request.app.url_path_for("show_job", job_id=str(job.id))
    return job


@router.get("/{name}")
def show_scenario(
    name: str, response: Response, session: SessionDep, actor: CurrentActor
) -> ScenarioView:
    """A scenario, every assumption that applies (ancestors' first) and its runs."""
    return _shown(session, actor, name, response)


@router.post("/{name}/assumptions", responses={412: {}, 428: {}, 422: {}})
def add_scenario_assumption(
    name: str,
    body: Assumption,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> ScenarioView:
    """Append an assumption to the scenario."""
    from oneplan.services.scenario.service import add_assumption

    add_assumption(session, actor, name, body, expected=expected)
    return _shown(session, actor, name, response)


@router.delete("/{name}", status_code=204, responses={412: {}, 428: {}, 409: {}})
def delete_scenario(name: str, expected: IfMatch, session: SessionDep, actor: CurrentActor) -> None:
    """Delete a scenario and its assumptions (its runs are kept as plan versions)."""
    from oneplan.services.scenario.service import delete_scenario

    delete_scenario(session, actor, name, expected=expected)

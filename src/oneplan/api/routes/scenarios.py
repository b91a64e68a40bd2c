"""Scenarios: list, create, show, add an assumption, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.services.scenario.schemas import Assumption, NewScenario, ScenarioView

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


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

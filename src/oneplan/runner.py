"""What every front end shares to run services: the transaction around each phase.

The command line, the API, the pages and the job worker own transactions; services never do.
`run_phased` runs a service's phases (read in one snapshot, compute outside any transaction,
store in one short write transaction) and `run_cycle` runs the cycle's steps in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.cycle.schemas import StepOutcome
from oneplan.services.cycle.steps import CycleRequest, Step, steps_to_run
from oneplan.services.phases import PhasedRun, ReadRun

Inputs = TypeVar("Inputs")
Output = TypeVar("Output")
Stored = TypeVar("Stored")


class PhaseWatch(Protocol):
    """Told of each phase as it begins (a job worker reports progress and stops a cancelled
    job there); raising stops the run before that phase."""

    def entering(self, phase: str) -> None:
        """Before ``load`` and ``compute``, outside any transaction."""

    def storing(self, session: Session) -> None:
        """Inside the store's write transaction, before the store: what it writes commits or
        rolls back with the store."""


@overload
def run_phased(
    engine: sa.Engine, run: PhasedRun[Inputs, Output, Stored], watch: PhaseWatch | None = None
) -> Stored: ...
@overload
def run_phased(
    engine: sa.Engine, run: ReadRun[Inputs, Output], watch: PhaseWatch | None = None
) -> Output: ...
def run_phased(
    engine: sa.Engine,
    run: PhasedRun[Any, Any, Any] | ReadRun[Any, Any],
    watch: PhaseWatch | None = None,
) -> Any:
    """Run a service's phases, each in the transaction it needs."""
    if watch is not None:
        watch.entering("load")
    with unit_of_work(engine, write=False) as session:
        inputs = run.load(session)
    if watch is not None:
        watch.entering("compute")
    output = run.compute(inputs)
    if isinstance(run, ReadRun):
        return output
    with unit_of_work(engine, write=True) as session:
        if watch is not None:
            watch.storing(session)
        return run.store(session, output)


def run_cycle(
    engine: sa.Engine,
    actor: Actor,
    request: CycleRequest,
    only: list[str] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> list[StepOutcome]:
    """Run the cycle's steps in order (or only the named ones, still in cycle order); each
    step commits its own result before the next one reads it."""
    outcomes = []
    for step in steps_to_run(only):
        if on_step is not None:
            on_step(step)
        started = time.perf_counter()
        result = run_phased(engine, step.run(actor, request))
        outcomes.append(
            StepOutcome(
                name=step.name,
                title=step.title,
                seconds=time.perf_counter() - started,
                figures=step.figures(result),
            )
        )
    return outcomes

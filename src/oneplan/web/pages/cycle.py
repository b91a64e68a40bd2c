"""The cycle: its steps in order with owners, due dates and states, and the sign-offs the
visitor may make (submit, approve, reject with a reason); the agenda of decisions.

A move names the step's version as the page showed it: if someone moved the step meanwhile,
the move is refused and the page shows the step as it is now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.choices import CommentOn, CycleStep, StepState
from oneplan.services.cycle.schemas import CycleInfo, StepInfo
from oneplan.web.comments import thread_here
from oneplan.web.format import sentence, when
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.pages.home import state_badge
from oneplan.web.visitor import Visitor


def _supply_plans(session: Any, actor: Any, month: str) -> list[tuple[int, str]]:
    from oneplan.services.versions.lifecycle import SUPPLY_PLANS
    from oneplan.services.versions.service import list_versions

    found = list_versions(session, actor, cycle=month)
    return [
        (v.id, f"#{v.id} {v.name} ({v.kind}, {v.state})")
        for v in found
        if v.kind in SUPPLY_PLANS and v.state in ("draft", "proposed")
    ]


class CycleView:
    """The steps of one cycle, redrawn after every move."""

    def __init__(self, visitor: Visitor, month: str | None) -> None:
        self.visitor, self.month = visitor, month
        self.cycle: CycleInfo | None = None
        self.plans: list[tuple[int, str]] = []

    async def load(self) -> CycleInfo:
        from oneplan.services.cycle.service import cycle_status

        self.cycle = await self.visitor.call(cycle_status, self.month)
        self.plans = await self.visitor.call(_supply_plans, self.cycle.month)
        return self.cycle

    async def move(self, verb: str, step: StepInfo, **extra: Any) -> None:
        from oneplan.services.cycle import moves

        service: Callable[..., StepInfo] = moves.submit_step
        if verb == "approve":
            service = moves.approve_step
        elif verb == "reject":
            service = moves.reject_step
        args = (extra.pop("reason"),) if verb == "reject" else ()
        done = await attempt(
            lambda: self.visitor.call(
                service, step.name, *args, month=step.month, expected_version=step.version, **extra
            )
        )
        if done is not None:
            ui.notify(f"{sentence(step.title)}: {done.state.replace('_', ' ')}", type="positive")
        await self.load()
        self.steps.refresh()

    def ask_reason(self, step: StepInfo) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"Reject the {step.title}").classes("text-lg")
            reason = ui.textarea("Reason (sent back to the submitter)").classes("w-full")

            async def send() -> None:
                dialog.close()
                await self.move("reject", step, reason=reason.value or "")

            with ui.row():
                ui.button("Reject", on_click=send).props("color=negative")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    def actions(self, step: StepInfo) -> None:
        from oneplan.services.cycle.tasks import may_approve, owns

        actor = self.visitor.actor
        if step.state in (StepState.in_progress, StepState.rejected) and owns(actor, step):
            extra: dict[str, Any] = {}
            if step.name == CycleStep.executive_meeting:
                plan = ui.select(dict(self.plans), label="Plan put forward").classes("w-64")
                if self.plans:
                    plan.value = self.plans[0][0]

                async def submit_plan(s: StepInfo = step) -> None:
                    await self.move("submit", s, plan_version_id=plan.value)

                ui.button("Submit", on_click=submit_plan).props("color=primary dense").mark(
                    f"submit-{step.name}"
                )
            else:

                async def submit(s: StepInfo = step) -> None:
                    await self.move("submit", s, **extra)

                ui.button("Submit", on_click=submit).props("color=primary dense").mark(
                    f"submit-{step.name}"
                )
        if may_approve(actor, step):

            async def approve(s: StepInfo = step) -> None:
                await self.move("approve", s)

            ui.button("Approve", on_click=approve).props("color=positive dense").mark(
                f"approve-{step.name}"
            )
            ui.button("Reject", on_click=lambda s=step: self.ask_reason(s)).props(
                "color=negative dense outline"
            ).mark(f"reject-{step.name}")

    @ui.refreshable_method
    def steps(self) -> None:
        assert self.cycle is not None
        cycle = self.cycle
        ui.label(
            f"Cycle {cycle.month}: {cycle.state}, opened {when(cycle.opened_at)} by "
            f"{cycle.opened_by}"
        ).classes("text-gray-600")
        with (
            ui.grid(columns="auto auto auto auto auto 1fr")
            .classes("w-full items-center gap-x-4 gap-y-2")
            .props('data-testid="steps"')
        ):
            for header in ("Step", "Owner", "Due", "State", "Moved", "Actions"):
                ui.label(header).classes("font-semibold text-gray-600")
            for step in cycle.steps:
                ui.label(f"{step.position}. {sentence(step.title)}").classes("font-medium")
                ui.label(step.owner_user or step.owner_role.replace("_", " "))
                ui.label(when(step.due_on)).classes("text-negative" if step.overdue else "")
                with ui.row().classes("items-center gap-1"):
                    state_badge(step.state)
                moved = f"{step.changed_by}, {when(step.changed_at)}"
                if step.reason:
                    moved += f": {step.reason}"
                ui.label(moved).classes("text-sm text-gray-600")
                with (
                    ui.row()
                    .classes("items-center gap-2")
                    .props(f'data-testid="actions-{step.name}"')
                ):
                    self.actions(step)
        with ui.expansion("Discuss a step", icon="forum").classes("w-full mt-2"):
            for step in cycle.steps:
                thread_here(
                    self.visitor,
                    CommentOn.cycle_step,
                    f"{step.month}/{step.name}",
                    sentence(step.title),
                )
        if cycle.agenda:
            ui.label("Decisions on the agenda").classes("text-lg font-semibold mt-4")
            for decision in cycle.agenda:
                due = f", due {when(decision.due_on)}" if decision.due_on else ""
                ui.label(
                    f"#{decision.id} [{decision.status}] {decision.text} ({decision.owner}{due})"
                )


async def cycle_page(request: Request, month: str | None = None) -> RedirectResponse | None:
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    view = CycleView(visitor, month)
    with frame(visitor, request, "S&OP cycle", "/cycle"):
        if await attempt(view.load) is None:
            ui.label("No cycle to show: an admin opens one with 'oneplan cycle open'.")
            return None
        view.steps()
    return None


PAGES = [("/cycle", cycle_page)]

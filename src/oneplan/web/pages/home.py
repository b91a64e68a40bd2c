"""Home: what waits for me in the open cycle (my steps with their due dates and states, what
waits for my approval, the decisions I own)."""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.services.cycle.schemas import StepInfo
from oneplan.web.format import sentence, when
from oneplan.web.layout import frame, require_visitor

STATE_COLOURS = {
    "not_started": "grey",
    "in_progress": "blue",
    "submitted": "orange",
    "approved": "green",
    "rejected": "red",
    "done": "green",
}


def state_badge(state: str) -> None:
    ui.badge(state.replace("_", " "), color=STATE_COLOURS.get(state, "grey"))


def step_rows(steps: list[StepInfo], empty: str, testid: str) -> None:
    if not steps:
        ui.label(empty).classes("text-gray-500")
        return
    with ui.column().classes("gap-1").props(f'data-testid="{testid}"').mark(testid):
        for step in steps:
            with ui.row().classes("items-center gap-3"):
                ui.link(sentence(step.title), f"/cycle?month={step.month}").classes("font-medium")
                state_badge(step.state)
                due = f"due {when(step.due_on)}" + (" (overdue)" if step.overdue else "")
                ui.label(due).classes("text-negative" if step.overdue else "text-gray-600")
                if step.state == "rejected" and step.reason:
                    ui.label(f"returned: {step.reason}").classes("text-negative")


async def home_page(request: Request) -> RedirectResponse | None:
    from oneplan.services.cycle.tasks import my_tasks

    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    tasks = await visitor.call(my_tasks)
    with frame(visitor, request, f"Good day, {visitor.name}", "/"):
        if tasks.month is None:
            ui.label("No S&OP cycle is open. An admin opens one with 'oneplan cycle open'.")
            return None
        ui.label(f"S&OP cycle {tasks.month}").classes("text-lg text-gray-600")
        with ui.row().classes("w-full gap-4 items-stretch"):
            with ui.card().classes("flex-1 min-w-80"):
                ui.label("My steps").classes("text-lg font-semibold")
                step_rows(tasks.to_do, "Nothing of yours is open.", "my-steps")
            with ui.card().classes("flex-1 min-w-80"):
                ui.label("Waiting for my approval").classes("text-lg font-semibold")
                step_rows(tasks.to_approve, "Nothing waits for you.", "my-approvals")
            with ui.card().classes("flex-1 min-w-80"):
                ui.label("My open decisions").classes("text-lg font-semibold")
                if not tasks.decisions:
                    ui.label("None.").classes("text-gray-500")
                for decision in tasks.decisions:
                    due = f" (due {when(decision.due_on)})" if decision.due_on else ""
                    ui.label(f"#{decision.id} {decision.text}{due}")
    return None


PAGES = [("/", home_page)]

"""Home: what waits for me in the open cycle (my steps with their due dates and states, what
waits for my approval, the decisions I own), my inbox and the KPIs cycle over cycle."""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.services.cycle.schemas import StepInfo
from oneplan.services.cycle.tasks import MyTasks
from oneplan.services.inbox.schemas import Inbox
from oneplan.web.format import sentence, when
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.links import object_page
from oneplan.web.pages.home_kpis import KpiCard
from oneplan.web.visitor import Visitor

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
    inbox = InboxCard(visitor)
    await inbox.load()
    with frame(visitor, request, f"Good day, {visitor.name}", "/"):
        if tasks.month is None:
            ui.label("No S&OP cycle is open. An admin opens one with 'oneplan cycle open'.")
        else:
            ui.label(f"S&OP cycle {tasks.month}").classes("text-lg text-gray-600")
            my_work(tasks)
        inbox.draw()
        KpiCard(visitor).build()
    return None


def my_work(tasks: MyTasks) -> None:
    """The visitor's steps, approvals and decisions, side by side."""
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


class InboxCard:
    """The visitor's inbox: the newest notices, unread in bold, each linking to its object."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.inbox: Inbox | None = None

    async def load(self) -> None:
        from oneplan.services.inbox.service import read_inbox

        self.inbox = await self.visitor.call(read_inbox, limit=15)

    async def all_read(self) -> None:
        from oneplan.services.inbox.service import mark_read

        await attempt(lambda: self.visitor.call(mark_read))
        await self.load()
        self.draw.refresh()

    @ui.refreshable_method
    def draw(self) -> None:
        inbox = self.inbox
        if inbox is None:
            return
        with ui.card().classes("w-full").mark("inbox"):
            with ui.row().classes("items-center gap-4"):
                ui.label(f"Inbox ({inbox.unread} unread)").classes("text-lg font-semibold")
                if inbox.unread:
                    ui.button("Mark all read", on_click=self.all_read).props("flat dense")
            if not inbox.items:
                ui.label("Nothing yet.").classes("text-gray-500")
            for notice in inbox.items:
                weight = "font-semibold" if notice.read_at is None else ""
                with ui.row().classes("items-baseline gap-3 w-full"):
                    ui.label(when(notice.created_at)).classes("text-xs text-gray-500 w-32")
                    target = object_page(notice.object_kind, notice.object_key)
                    if target is not None:
                        ui.link(notice.title, target).classes(weight)
                    else:
                        ui.label(notice.title).classes(weight)
                    ui.label(notice.body).classes("text-sm text-gray-600 truncate max-w-xl")


PAGES = [("/", home_page)]

"""The executive page: the plan's headline figures against the budget, demand against the
constrained supply, the scenarios side by side with the base plan, the open decisions, the
plan put forward with its approve and reject (four eyes: never by its submitter), and the
executive pack to download once a job has made it."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.choices import CycleStep, StepState
from oneplan.errors import NotFound
from oneplan.services.cycle.schemas import StepInfo
from oneplan.services.jobs.schemas import JobOut, JobState
from oneplan.services.permissions import Permission
from oneplan.services.report.executive import ExecutiveView
from oneplan.web.format import money, sentence, share, units, when
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.pages.home import state_badge
from oneplan.web.pages.side_by_side import JobWatch, kpi_grid
from oneplan.web.visitor import Visitor, site

#: Figures where more is better; the others (inventory) are read against their use.
MORE_IS_BETTER = {"revenue", "gross margin", "margin %", "on time"}
PACK_FORMATS = {"xlsx": "Workbook (xlsx)", "pdf": "PDF", "html": "Web page (html)"}


def figure(value: float | None, unit: str, currency: str) -> str:
    if unit == "%":
        return share(value)
    if unit == "units":
        return f"{units(value)} units" if units(value) else ""
    return money(value, currency)


def change(value: float | None, unit: str, currency: str) -> str:
    if value is None or pd.isna(value):
        return ""
    if unit == "%":
        return f"{100 * value:+.1f} pts"
    sign = "+" if value > 0 else ""
    return sign + (money(value, currency) if unit != "units" else units(value))


def _meeting(session: Any, actor: Any) -> tuple[StepInfo | None, str]:
    """The open cycle's executive meeting step and the plan put forward, in words."""
    from oneplan.services.cycle.service import cycle_status, open_cycle_row
    from oneplan.services.versions.service import show_version

    if open_cycle_row(session) is None:
        return None, ""
    cycle = cycle_status(session, actor)
    step = next(s for s in cycle.steps if s.name == CycleStep.executive_meeting)
    plan = ""
    if step.plan_version_id is not None:
        version = show_version(session, actor, step.plan_version_id)
        plan = f"#{version.id} {version.name} ({version.kind}, {version.state})"
    return step, plan


def _scenario_kpis(session: Any, actor: Any) -> pd.DataFrame | None:
    """The base plan and every scenario that has run, side by side; None when none has run."""
    from oneplan.services.scenario.compare import compare_scenarios
    from oneplan.services.scenario.service import list_scenarios

    run = [info.name for info in list_scenarios(session, actor) if info.runs]
    return compare_scenarios(session, actor, run).kpis if run else None


class ExecutiveBoard:
    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.view: ExecutiveView | None = None
        self.missing = ""
        self.step: StepInfo | None = None
        self.plan = ""

    async def load(self) -> None:
        from oneplan.services.report.executive import executive_view

        try:
            self.view = await self.visitor.call(executive_view)
        except NotFound as error:
            self.view, self.missing = None, str(error)
        self.step, self.plan = await self.visitor.call(_meeting)

    def headline(self) -> None:
        view = self.view
        if view is None:
            ui.label(f"No plan to show yet: {self.missing}.").classes("text-gray-600")
            return
        with ui.row().classes("w-full gap-3").props('data-testid="headline"').mark("headline"):
            for row in view.kpis.to_dict("records"):
                measure, unit = str(row["measure"]), str(row["unit"])
                unit = "%" if unit == "%" else ("units" if unit == "units" else "money")
                with ui.card().classes("flex-1 min-w-44 p-3 gap-0"):
                    ui.label(sentence(measure)).classes("text-sm text-gray-600")
                    ui.label(figure(row["plan"], unit, view.currency)).classes(
                        "text-xl font-semibold op-num"
                    )
                    if pd.notna(row["budget"]):
                        good = (row["variance"] >= 0) == (measure in MORE_IS_BETTER)
                        colour = "text-positive" if good else "text-negative"
                        ui.label(
                            f"{change(row['variance'], unit, view.currency)} against the budget "
                            f"{figure(row['budget'], unit, view.currency)}"
                        ).classes(f"text-xs {colour}")
                    else:
                        ui.label("no budget").classes("text-xs text-gray-400")
        ui.label(
            "Revenue, margin and margin % against the budget are over the months the budget "
            "covers; the scenarios below compare the whole plan. Inventory is at the plan's end."
        ).classes("text-xs text-gray-500 -mt-2")

    def chart(self) -> None:
        view = self.view
        if view is None:
            return
        monthly = view.monthly
        months = [f"{pd.Timestamp(p):%Y-%m}" for p in monthly["period"]]

        def series(column: str) -> list[float]:
            return [round(float(v)) for v in monthly[column]]

        ui.echart(
            {
                "tooltip": {"trigger": "axis"},
                "legend": {
                    "top": 0,
                    "data": ["Demand (consensus)", "Made (constrained)", "Shipped"],
                },
                "grid": {"left": 70, "right": 20, "top": 40, "bottom": 30},
                "xAxis": {"type": "category", "data": months},
                "yAxis": {"type": "value", "name": "units"},
                "series": [
                    {
                        "name": "Demand (consensus)",
                        "type": "bar",
                        "data": series("consensus"),
                        "itemStyle": {"color": "#94a3b8"},
                    },
                    {
                        "name": "Made (constrained)",
                        "type": "line",
                        "data": series("production"),
                        "itemStyle": {"color": "#2563eb"},
                    },
                    {
                        "name": "Shipped",
                        "type": "line",
                        "data": series("shipped"),
                        "itemStyle": {"color": "#16a34a"},
                        "lineStyle": {"type": "dashed"},
                    },
                ],
            }
        ).classes("w-full h-72").mark("demand-supply")

    @ui.refreshable_method
    def decision(self) -> None:
        from oneplan.services.cycle.tasks import may_approve

        ui.label("The plan to decide").classes("text-lg font-semibold")
        step = self.step
        if step is None:
            ui.label("No S&OP cycle is open.").classes("text-gray-500")
            return
        with ui.row().classes("items-center gap-2"):
            ui.label(f"Executive meeting {step.month}")
            state_badge(step.state)
        ui.label(f"Plan put forward: {self.plan or 'none yet'}").classes("text-sm").mark(
            "plan-forward"
        )
        if step.submitted_by:
            ui.label(f"Submitted by {step.submitted_by}, {when(step.submitted_at)}").classes(
                "text-sm text-gray-600"
            )
        if step.decided_by and step.state in (StepState.approved, StepState.rejected):
            verb = "Approved" if step.state == StepState.approved else "Rejected"
            reason = f": {step.reason}" if step.reason else ""
            ui.label(f"{verb} by {step.decided_by}, {when(step.decided_at)}{reason}").classes(
                "text-sm"
            )
        actor = self.visitor.actor
        if may_approve(actor, step):
            with ui.row().classes("gap-2 mt-2"):
                ui.button("Approve the plan", icon="check", on_click=self.approve).props(
                    'color=positive data-testid="approve-plan"'
                ).mark("approve-plan")
                ui.button("Reject", icon="undo", on_click=self.ask_reason).props(
                    'color=negative outline data-testid="reject-plan"'
                ).mark("reject-plan")
        elif step.state == StepState.submitted:
            if step.submitted_by == actor.name:
                why = "You put this plan forward: someone else signs it off (four eyes)."
            else:
                why = "Only an executive approves or rejects the plan."
            ui.label(why).classes("text-sm text-gray-500").mark("no-sign-off")
        elif step.state in (StepState.not_started, StepState.in_progress, StepState.rejected):
            ui.label(
                f"Waiting for the {step.owner_role.replace('_', ' ')} to put a plan forward "
                "(on the Cycle page)."
            ).classes("text-sm text-gray-500")

    async def move(self, verb: str, reason: str = "") -> None:
        from oneplan.services.cycle.moves import approve_step, reject_step

        step = self.step
        assert step is not None
        if verb == "approve":
            done = await attempt(
                lambda: self.visitor.call(
                    approve_step, step.name, month=step.month, expected_version=step.version
                )
            )
        else:
            done = await attempt(
                lambda: self.visitor.call(
                    reject_step, step.name, reason, month=step.month, expected_version=step.version
                )
            )
        if done is not None:
            word = "approved" if verb == "approve" else "sent back"
            ui.notify(f"The plan is {word}", type="positive")
        self.step, self.plan = await self.visitor.call(_meeting)
        self.decision.refresh()

    async def approve(self) -> None:
        await self.move("approve")

    def ask_reason(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label("Reject the plan").classes("text-lg")
            reason = ui.textarea("Reason (sent back to who put it forward)").classes("w-full")

            async def send() -> None:
                dialog.close()
                await self.move("reject", str(reason.value or ""))

            with ui.row():
                ui.button("Reject", on_click=send).props("color=negative").mark("reject-send")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    async def scenarios(self) -> None:
        ui.label("Scenarios side by side").classes("text-lg font-semibold")
        kpis = await attempt(lambda: self.visitor.call(_scenario_kpis))
        if kpis is None:
            ui.label("No scenario has run this cycle: the plan stands alone.").classes(
                "text-gray-500"
            )
            return
        kpi_grid(kpis, name="executive-scenarios", height="h-72")

    async def decisions(self) -> None:
        from oneplan.services.cycle.decisions import list_decisions

        ui.label("Open decisions").classes("text-lg font-semibold")
        found = await attempt(lambda: self.visitor.call(list_decisions, status="open"))
        if not found:
            ui.label("None open.").classes("text-gray-500")
            return
        with ui.column().classes("gap-1").mark("decisions"):
            for decision in found:
                due = f", due {when(decision.due_on)}" if decision.due_on else ""
                about = f" [scenario {decision.scenario}]" if decision.scenario else ""
                ui.label(f"#{decision.id} {decision.text}{about} ({decision.owner}{due})")

    def pack(self) -> None:
        ui.label("Executive pack").classes("text-lg font-semibold")
        if not self.visitor.may(Permission.write_report):
            ui.label("Ask a planner or an executive to make the pack.").classes("text-gray-500")
            return
        ui.label("The pack (workbook, PDF, web page) from the newest plans.").classes(
            "text-sm text-gray-600"
        )
        self.files = ui.row().classes("gap-2")
        self.watch = JobWatch(self.visitor, self.pack_ready)
        ui.button("Make the pack", icon="description", on_click=self.make_pack).props(
            'color=primary dense data-testid="make-pack"'
        ).mark("make-pack")

    async def make_pack(self) -> None:
        from oneplan.services.jobs.service import submit_job

        if self.watch.running:
            ui.notify("The pack is being made", type="info")
            return
        folder = Path(tempfile.gettempdir()) / "oneplan-packs" / uuid.uuid4().hex
        settings = site().settings
        job = await attempt(
            lambda: self.visitor.call(
                submit_job, "report", {"report_dir": str(folder)}, settings=settings
            )
        )
        if job is not None:
            self.files.clear()
            self.watch.follow(job)

    async def pack_ready(self, job: JobOut) -> None:
        if job.state != JobState.succeeded or not job.result:
            ui.notify(f"The pack was not made: {job.message}", type="negative", multi_line=True)
            return
        files = {
            str(f["label"]): Path(str(f["value"]))
            for step in job.result.get("steps", [])
            for f in step.get("figures", [])
            if f.get("kind") == "file"
        }
        self.files.clear()
        with self.files:
            for kind, title in PACK_FORMATS.items():
                if kind in files:
                    ui.button(
                        title,
                        icon="download",
                        on_click=lambda _, p=files[kind]: ui.download.file(p),
                    ).props(f'outline dense data-testid="pack-{kind}"').mark(f"pack-{kind}")
        ui.notify("The executive pack is ready", type="positive")


async def executive_page(request: Request) -> RedirectResponse | None:
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    board = ExecutiveBoard(visitor)
    await board.load()
    title = "Executive S&OP"
    if board.view is not None:
        title += f" {board.view.cycle}"
    with frame(visitor, request, title, "/executive"):
        if board.view is not None:
            versions = ", ".join(f"{k} #{v}" for k, v in board.view.versions.items())
            ui.label(f"Plan versions shown: {versions}").classes("text-sm text-gray-600 -mt-3")
        board.headline()
        with ui.row().classes("w-full gap-4 items-start flex-nowrap"):
            with ui.card().classes("flex-1 min-w-0"):
                ui.label("Demand against constrained supply").classes("text-lg font-semibold")
                board.chart()
            with (
                ui.card()
                .classes("w-96 shrink-0")
                .props('data-testid="plan-decision"')
                .mark("plan-decision")
            ):
                board.decision()
        with ui.card().classes("w-full"):
            await board.scenarios()
        with ui.row().classes("w-full gap-4 items-start flex-nowrap"):
            with ui.card().classes("flex-1 min-w-0"):
                await board.decisions()
            with ui.card().classes("w-96 shrink-0"):
                board.pack()
    return None


PAGES = [("/executive", executive_page)]

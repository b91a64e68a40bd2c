"""Scenarios: every scenario with its state; a new one from typed assumptions; one scenario's
assumptions changed or removed against the version the page showed; branch, delete, run as a
job with its progress; any number compared side by side with the base plan, with the changed
records and the KPI change broken down by assumption.

Deep links: ``/scenarios?name=X`` opens scenario X; ``&compare=A,B`` compares A and B.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd
from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.choices import CommentOn
from oneplan.errors import Stale
from oneplan.services.jobs.schemas import JobOut, JobQuery, JobState
from oneplan.services.permissions import Permission
from oneplan.services.scenario.schemas import Assumption, ScenarioInfo
from oneplan.services.scenario.targets import AssumptionChoices
from oneplan.web.comments import thread_here
from oneplan.web.format import when
from oneplan.web.layout import attempt, frame, require_visitor, show_problem
from oneplan.web.pages.assumption_form import AssumptionForm, describe
from oneplan.web.pages.scenario_compare import ComparePanel
from oneplan.web.pages.side_by_side import JobWatch
from oneplan.web.paths import page_url
from oneplan.web.visitor import Visitor, site

BASE_PLAN = "(the base plan)"


def _running_jobs(session: Any, actor: Any) -> dict[str, JobOut]:
    """The scenario jobs still waiting or running, by scenario name (the newest of each)."""
    from oneplan.services.jobs.service import list_jobs

    query = JobQuery(kind="scenario", states=[JobState.queued, JobState.running], limit=100)
    found: dict[str, JobOut] = {}
    for job in reversed(list_jobs(session, actor, query).items):
        found[str(job.parameters.get("name"))] = job
    return found


def state_of(
    info: ScenarioInfo, jobs: dict[str, JobOut], changed: set[str], *, short: bool = False
) -> tuple[str, str]:
    """The scenario's state in words (``short``: for the list) and its badge colour."""
    job = jobs.get(info.name)
    if job is not None:
        return ("running" if job.state == JobState.running else "queued", "blue")
    if info.name in changed:
        since = "" if short else f" {when(info.runs[0].created_at)}"
        return (f"changed since its run{since}", "orange")
    if info.runs:
        return (f"run {when(info.runs[0].created_at)}", "green")
    return ("not run yet", "grey")


class ScenariosView:
    """The page's state: the scenarios, the one open, the choices an assumption may name."""

    compare: ComparePanel
    watch: JobWatch

    def __init__(self, visitor: Visitor, name: str | None) -> None:
        self.visitor, self.name = visitor, name
        self.scenarios: list[ScenarioInfo] = []
        self.jobs: dict[str, JobOut] = {}
        self.changed: set[str] = set()
        self.choices = AssumptionChoices(targets={}, months=[])
        self.pending: list[Assumption] = []
        self.editor = visitor.may(Permission.edit_scenario)
        self.runner = visitor.may(Permission.run_scenario)

    @property
    def current(self) -> ScenarioInfo | None:
        return next((s for s in self.scenarios if s.name == self.name), None)

    async def load(self) -> None:
        from oneplan.services.scenario.freshness import changed_since_run
        from oneplan.services.scenario.service import list_scenarios
        from oneplan.services.scenario.targets import assumption_choices

        self.scenarios = await self.visitor.call(list_scenarios)
        self.jobs = await self.visitor.call(_running_jobs)
        self.changed = await self.visitor.call(changed_since_run)
        self.choices = await self.visitor.call(assumption_choices)

    async def reload(self) -> None:
        await self.load()
        self.listing.refresh()
        self.detail.refresh()
        self.compare.choices_changed([s.name for s in self.scenarios if s.runs])

    async def open(self, name: str | None) -> None:
        self.name = name
        self.detail.refresh()
        path = f"/scenarios?name={quote(name)}" if name else "/scenarios"
        ui.navigate.history.replace(page_url(path))  # plain JavaScript: NiceGUI adds no prefix

    # --- the list and the new-scenario form

    @ui.refreshable_method
    def listing(self) -> None:
        if not self.scenarios:
            ui.label("No scenario yet: create one below.").classes("text-gray-500")
            return
        with (
            ui.grid(columns="auto auto auto auto auto")
            .classes("w-full items-center gap-x-4 gap-y-1")
            .props('data-testid="scenario-list"')
            .mark("scenario-list")
        ):
            for header in ("Scenario", "Branches from", "Assumptions", "State", "Made by"):
                ui.label(header).classes("font-semibold text-gray-600")
            for info in self.scenarios:
                chosen = "font-bold" if info.name == self.name else ""
                ui.link(info.name, f"/scenarios?name={quote(info.name)}").classes(chosen).on(
                    "click.prevent", lambda _, n=info.name: self.open(n)
                )
                ui.label(info.parent or BASE_PLAN).classes("text-gray-600")
                ui.label(str(len(info.assumptions))).classes("op-num")
                text, colour = state_of(info, self.jobs, self.changed, short=True)
                with ui.row():
                    ui.badge(text, color=colour)
                ui.label(info.created_by).classes("text-sm text-gray-600")

    def new_form(self) -> None:
        with (
            ui.expansion("New scenario", icon="add")
            .classes("w-full border rounded")
            .props('data-testid="new-scenario"')
            .mark("new-scenario")
        ):
            with ui.row().classes("w-full items-end gap-2"):
                self.new_name = (
                    ui.input("Name").props('data-testid="new-name" dense').mark("new-name")
                )
                names = {"": BASE_PLAN} | {s.name: s.name for s in self.scenarios}
                self.new_parent = (
                    ui.select(names, label="Branches from", value="")
                    .classes("w-56")
                    .props('data-testid="new-parent" dense')
                    .mark("new-parent")
                )
                self.new_description = (
                    ui.input("What it asks")
                    .classes("flex-1")
                    .props("dense")
                    .mark("new-description")
                )
            ui.label("Assumptions, applied in this order").classes("font-medium mt-2")
            self.pending_list()
            self.pending_form = AssumptionForm(self.choices, "new")
            with ui.row().classes("gap-2"):
                ui.button("Add to the list", icon="playlist_add", on_click=self.add_pending).props(
                    'outline dense data-testid="add-pending"'
                ).mark("add-pending")
                ui.button("Create the scenario", icon="check", on_click=self.create).props(
                    'color=primary dense data-testid="create-scenario"'
                ).mark("create-scenario")

    @ui.refreshable_method
    def pending_list(self) -> None:
        if not self.pending:
            ui.label("None yet: state one below and add it to the list.").classes(
                "text-sm text-gray-500"
            )
        for index, assumption in enumerate(self.pending):
            words = describe(assumption)
            with ui.row().classes("items-center gap-2").mark("pending"):
                ui.label(
                    f"{index + 1}. {words['kind']}: {words['target']}, {words['months']}, "
                    f"{words['change']}"
                )
                ui.button(icon="close", on_click=lambda _, i=index: self.drop_pending(i)).props(
                    "flat dense round size=sm"
                )

    def add_pending(self) -> None:
        try:
            self.pending.append(self.pending_form.assumption())
        except Exception as error:
            show_problem(error)
            return
        self.pending_form.clear()
        self.pending_list.refresh()

    def drop_pending(self, index: int) -> None:
        self.pending.pop(index)
        self.pending_list.refresh()

    async def create(self) -> None:
        from oneplan.services.scenario.service import create_scenario

        name = str(self.new_name.value or "").strip()
        parent = self.new_parent.value or None
        made = await attempt(
            lambda: self.visitor.call(
                create_scenario,
                name,
                parent=parent,
                description=str(self.new_description.value or ""),
                assumptions=list(self.pending),
            )
        )
        if made is None:
            return
        count = len(self.pending)
        self.pending = []
        self.pending_list.refresh()
        self.new_name.value = ""
        await self.load()
        self.new_parent.set_options({"": BASE_PLAN} | {s.name: s.name for s in self.scenarios})
        self.listing.refresh()
        await self.open(name)
        ui.notify(f"Scenario {name} created with {count} assumption(s)", type="positive")

    # --- one scenario

    @ui.refreshable_method
    def detail(self) -> None:
        info = self.current
        if info is None:
            if self.name:
                ui.label(f"There is no scenario {self.name!r}.").classes("text-negative")
            else:
                ui.label(
                    "Open a scenario from the list to see and change its assumptions."
                ).classes("text-gray-500")
            return
        with ui.card().classes("w-full").props('data-testid="scenario"').mark("scenario"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(info.name).classes("text-xl font-semibold")
                text, colour = state_of(info, self.jobs, self.changed)
                ui.badge(text, color=colour).mark("scenario-state")
                ui.label(
                    f"branches from {info.parent or 'the base plan'} · version {info.version} · "
                    f"{info.created_by}, {when(info.created_at)}"
                ).classes("text-sm text-gray-600")
                ui.space()
                self.actions(info)
            if info.description:
                ui.label(info.description).classes("text-gray-700")
            self.watch = JobWatch(self.visitor, self.run_ended)
            job = self.jobs.get(info.name)
            if job is not None:
                self.watch.follow(job)
            self.assumption_rows(info)
            if self.editor:
                with (
                    ui.expansion("Add an assumption", icon="add")
                    .classes("w-full")
                    .mark("add-assumption")
                ):
                    form = AssumptionForm(self.choices, "add")
                    ui.button("Add", icon="check", on_click=lambda: self.add(info, form)).props(
                        'color=primary dense data-testid="add-assumption-save"'
                    ).mark("add-assumption-save")
            self.runs(info)
            thread_here(self.visitor, CommentOn.scenario, info.name, "Discussion")

    def actions(self, info: ScenarioInfo) -> None:
        if self.runner:
            ui.button("Run", icon="play_arrow", on_click=lambda: self.run(info)).props(
                'color=primary dense data-testid="run-scenario"'
            ).mark("run-scenario")
        if self.editor:
            ui.button("Branch", icon="call_split", on_click=lambda: self.ask_branch(info)).props(
                'outline dense data-testid="branch-scenario"'
            ).mark("branch-scenario")
            ui.button("Delete", icon="delete", on_click=lambda: self.ask_delete(info)).props(
                'outline dense color=negative data-testid="delete-scenario"'
            ).mark("delete-scenario")
        if info.runs:
            ui.button(
                "Compare with the base",
                icon="compare_arrows",
                on_click=lambda: self.compare_one(info),
            ).props("flat dense").mark("compare-this")

    def assumption_rows(self, info: ScenarioInfo) -> None:
        frame = info.assumptions
        if not len(frame):
            ui.label("No assumption: a run gives the base plan again.").classes("text-gray-500")
            return
        with (
            ui.grid(columns="auto auto auto auto auto auto auto")
            .classes("w-full items-center gap-x-4 gap-y-1")
            .props('data-testid="assumptions"')
            .mark("assumptions")
        ):
            for header in ("#", "Kind", "On", "Months", "Change", "Note", ""):
                ui.label(header).classes("font-semibold text-gray-600")
            for record in frame.astype(object).to_dict("records"):
                row = {str(k): v for k, v in record.items()}
                own = row["scenario"] == info.name
                words = describe(row)
                shade = "" if own else "text-gray-500"
                ui.label(str(row["position"])).classes(f"op-num {shade}")
                ui.label(words["kind"]).classes(shade)
                ui.label(words["target"]).classes(shade)
                ui.label(words["months"]).classes(shade)
                ui.label(words["change"]).classes(f"op-num {shade}").mark(
                    f"change-{row['position']}"
                )
                note = str(row["note"] or "") if not pd.isna(row["note"]) else ""
                ui.label(note if own else f"{note} (from {row['scenario']})".strip()).classes(
                    f"text-sm {shade}"
                )
                with ui.row().classes("gap-1"):
                    if own and self.editor:
                        # marked and named by the place shown; the service is told its own
                        shown, own_place = int(row["position"]), int(row["own_position"])
                        ui.button(
                            icon="edit",
                            on_click=lambda _, p=own_place, r=row: self.ask_edit(info, p, r),
                        ).props(f'flat dense round size=sm data-testid="edit-{shown}"').mark(
                            f"edit-{shown}"
                        )
                        ui.button(
                            icon="delete",
                            on_click=lambda _, p=own_place, r=row: self.remove(info, p, r),
                        ).props(
                            f'flat dense round size=sm color=negative data-testid="remove-{shown}"'
                        ).mark(f"remove-{shown}")

    def runs(self, info: ScenarioInfo) -> None:
        if not info.runs:
            return
        ui.label("Runs, newest first").classes("font-medium mt-2")
        for run in info.runs[:5]:
            summary = run.summary
            money = summary.get("finance") or {}
            parts = [
                f"version #{run.version_id}",
                when(run.created_at),
                str(summary.get("status", "")),
            ]
            if "on_time" in summary:
                parts.append(f"on time {100 * float(summary['on_time']):.1f} %")
            if money.get("gross_margin") is not None:
                parts.append(f"gross margin {float(money['gross_margin']):,.0f}")
            ui.label(" · ".join(p for p in parts if p)).classes("text-sm text-gray-700")

    # --- changes to one scenario

    async def after_change(self, done: Any) -> None:
        """Reload and redraw; a stale change has been shown, the page now shows the current."""
        await self.load()
        self.listing.refresh()
        self.detail.refresh()

    async def change(self, action: Any, success: str) -> bool:
        try:
            await action()
        except Stale as error:
            show_problem(error)
            await self.after_change(None)
            return False
        except Exception as error:
            from oneplan.errors import OneplanError

            if not isinstance(error, OneplanError):
                raise
            show_problem(error)
            return False
        await self.after_change(None)  # the page shows the change before it says so
        ui.notify(success, type="positive")
        return True

    async def add(self, info: ScenarioInfo, form: AssumptionForm) -> None:
        from oneplan.services.scenario.service import add_assumption

        try:
            assumption = form.assumption()
        except Exception as error:
            show_problem(error)
            return
        await self.change(
            lambda: self.visitor.call(add_assumption, info.name, assumption, expected=info.version),
            f"Assumption added to {info.name}",
        )

    def ask_edit(self, info: ScenarioInfo, position: int, row: dict[str, Any]) -> None:
        from oneplan.services.scenario.edits import change_assumption

        start = Assumption(
            **{
                k: (None if pd.isna(row[k]) else row[k])
                for k in (
                    "kind",
                    "target_level",
                    "target",
                    "period_from",
                    "period_to",
                    "value",
                    "unit",
                    "note",
                )
            }
        )
        with ui.dialog() as dialog, ui.card().classes("w-[64rem] max-w-full"):
            shown = row["position"]
            ui.label(f"Change assumption {shown} of {info.name}").classes("text-lg")
            form = AssumptionForm(self.choices, "edit", start)

            async def save() -> None:
                try:
                    changed = form.assumption()
                except Exception as error:
                    show_problem(error)
                    return
                dialog.close()
                await self.change(
                    lambda: self.visitor.call(
                        change_assumption, info.name, position, changed, expected=info.version
                    ),
                    f"Assumption {shown} of {info.name} changed",
                )

            with ui.row():
                ui.button("Save", on_click=save).props(
                    'color=primary data-testid="edit-save"'
                ).mark("edit-save")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    async def remove(self, info: ScenarioInfo, position: int, row: dict[str, Any]) -> None:
        from oneplan.services.scenario.edits import remove_assumption

        await self.change(
            lambda: self.visitor.call(
                remove_assumption, info.name, position, expected=info.version
            ),
            f"Assumption {row['position']} removed from {info.name}",
        )

    def ask_branch(self, info: ScenarioInfo) -> None:
        from oneplan.services.scenario.service import create_scenario

        with ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"Branch a scenario from {info.name}").classes("text-lg")
            ui.label("It starts with every assumption of its parent; add its own after.").classes(
                "text-sm text-gray-600"
            )
            name = ui.input("Name of the new scenario").classes("w-full").mark("branch-name")

            async def branch() -> None:
                new = str(name.value or "").strip()
                made = await attempt(
                    lambda: self.visitor.call(create_scenario, new, parent=info.name)
                )
                if made is None:
                    return
                dialog.close()
                await self.load()
                self.listing.refresh()
                await self.open(new)
                ui.notify(f"Scenario {new} branches from {info.name}", type="positive")

            with ui.row():
                ui.button("Branch", on_click=branch).props("color=primary").mark("branch-save")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    def ask_delete(self, info: ScenarioInfo) -> None:
        from oneplan.services.scenario.service import delete_scenario

        with ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"Delete scenario {info.name}?").classes("text-lg")
            ui.label("Its runs stay as plan versions on record.").classes("text-sm text-gray-600")

            async def delete() -> None:
                dialog.close()
                if await self.change(
                    lambda: self.visitor.call(delete_scenario, info.name, expected=info.version),
                    f"Scenario {info.name} deleted",
                ):
                    await self.open(None)

            with ui.row():
                ui.button("Delete", on_click=delete).props("color=negative").mark("delete-confirm")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    # --- running

    async def run(self, info: ScenarioInfo) -> None:
        from oneplan.services.jobs.service import submit_job

        settings = site().settings
        job = await attempt(
            lambda: self.visitor.call(
                submit_job, "scenario", {"name": info.name}, settings=settings
            )
        )
        if job is None:
            return
        ui.notify(f"Scenario {info.name} is queued as job #{job.id}", type="info")
        self.jobs[info.name] = job
        self.listing.refresh()
        self.watch.follow(job)

    async def run_ended(self, job: JobOut) -> None:
        name = str(job.parameters.get("name"))
        if job.state == JobState.succeeded:
            ui.notify(f"Scenario {name} has run", type="positive")
        else:
            ui.notify(f"Scenario {name}: {job.message}", type="negative", multi_line=True)
        await self.reload()

    def compare_one(self, info: ScenarioInfo) -> None:
        self.compare.choose([info.name])


async def scenarios_page(
    request: Request, name: str | None = None, compare: str | None = None
) -> RedirectResponse | None:
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    view = ScenariosView(visitor, name)
    with frame(visitor, request, "Scenarios", "/scenarios"):
        await view.load()
        with ui.row().classes("w-full gap-4 items-start flex-nowrap"):
            with ui.card().classes("w-[34rem] shrink-0"):
                ui.label("Scenarios").classes("text-lg font-semibold")
                view.listing()
            with ui.column().classes("flex-1 min-w-0 gap-4"):
                view.detail()
        if view.editor:
            view.new_form()
        run = [s.name for s in view.scenarios if s.runs]
        wanted = [n.strip() for n in (compare or "").split(",") if n.strip()]
        view.compare = ComparePanel(visitor, run, wanted)
        if wanted:
            await view.compare.show()
    return None


PAGES = [("/scenarios", scenarios_page)]

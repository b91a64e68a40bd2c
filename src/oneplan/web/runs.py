"""Re-plan supply as a job: ask for a supply run, follow its progress while the page stays
usable, and offer the plan it stored when it is done.

The run itself is a job a worker takes (the server's own workers, or ``oneplan worker``); the
page asks for it and polls the job every second. A supply run already under way when the page
opens is followed the same way.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from oneplan.choices import Objective, SupplyLevel
from oneplan.errors import PermissionDenied
from oneplan.services.jobs.schemas import FINISHED, JobOut, JobQuery, JobState
from oneplan.services.permissions import Permission
from oneplan.web.layout import attempt
from oneplan.web.visitor import Visitor, site

#: Seconds between two looks at the job.
POLL_SECONDS = 1.0
#: A link to another version of this page: relative, so the browser keeps the mount path
#: (NiceGUI puts its own prefix before a path that starts with "/").
VERSION_LINK = "supply?version={}"
OBJECTIVES = {Objective.cost.value: "Least cost", Objective.margin.value: "Most margin"}
LEVELS = {SupplyLevel.item.value: "Items", SupplyLevel.family.value: "Families"}


def _submit(session: Any, actor: Any, kind: str, parameters: dict[str, Any]) -> JobOut:
    from oneplan.services.jobs.service import submit_job

    return submit_job(session, actor, kind, parameters, settings=site().settings)


def _under_way(session: Any, actor: Any, kind: str) -> JobOut | None:
    from oneplan.services.jobs.service import list_jobs

    query = JobQuery(states=[JobState.queued, JobState.running], kind=kind, limit=1)
    try:
        found = list_jobs(session, actor, query).items
    except PermissionDenied:  # a grant with a scope sees no company-wide job: none to follow
        return None
    return found[0] if found else None


def _offered(value: Any, choices: dict[str, str], default: str) -> str:
    return str(value) if value in choices else str(default)


def _reused(job: JobOut) -> bool:
    """Whether the run found its plan stored already (the same inputs): it says so in the
    version figure of its step."""
    steps = (job.result or {}).get("steps", [])
    return any(f.get("label") == "unchanged:" for step in steps for f in step.get("figures", []))


class Replan:
    """The re-plan card: options, the button, and the progress of the job it follows.

    A run of another step is the same card with its own job kind, permission, words and link
    (`oneplan.web.demand.rebuild.Rebuild` for the demand plan)."""

    KIND = "supply"
    PERMISSION = Permission.run_supply
    TITLE = "Re-plan supply"
    BUTTON = "Re-plan"
    LINK = VERSION_LINK

    def __init__(self, visitor: Visitor, chosen: dict[str, Any] | None = None) -> None:
        """``chosen``: the options of the plan on show (its run's settings), offered again."""
        self.visitor, self.chosen = visitor, chosen or {}
        self.job: JobOut | None = None
        self.timer: ui.timer | None = None

    async def build(self) -> None:
        may = self.visitor.may(self.PERMISSION)
        running = await self.visitor.call(_under_way, self.KIND)
        if not may and running is None:
            return
        with (
            ui.card().classes("w-full py-2 gap-1").props('data-testid="replan"').mark("replan-card")
        ):
            with ui.row().classes("w-full items-center gap-4"):
                ui.label(self.TITLE).classes("text-lg font-semibold")
                if may:
                    self.controls()
                    self.button = (
                        ui.button(self.BUTTON, icon="play_arrow", on_click=self.submit)
                        .props('color=primary data-testid="replan-button"')
                        .mark("replan")
                    )
                ui.label(
                    "The run is a job: keep working here, the new plan is offered when it is done."
                ).classes("text-sm text-gray-500")
            self.progress = (
                ui.linear_progress(value=0, show_value=False, size="10px")
                .props('data-testid="replan-progress"')
                .mark("replan-progress")
            )
            self.message = ui.label("").props('data-testid="replan-message"').mark("replan-message")
            self.outcome = ui.row().classes("items-center gap-2")
            for hidden in (self.progress, self.message, self.outcome):
                hidden.set_visibility(False)
        if running is not None:
            self.follow(running)

    def controls(self) -> None:
        """The run's options, beside its button."""
        self.objective = ui.select(
            OBJECTIVES,
            value=_offered(self.chosen.get("objective"), OBJECTIVES, Objective.cost),
            label="Objective",
        ).classes("w-40")
        self.level = ui.select(
            LEVELS, value=self.chosen.get("level") or SupplyLevel.item.value, label="Plan"
        ).classes("w-32")

    def parameters(self) -> dict[str, Any]:
        """The job's parameters (`oneplan.services.jobs.schemas`)."""
        return {"options": {"objective": self.objective.value, "level": self.level.value}}

    async def submit(self) -> None:
        parameters = self.parameters()
        job = await attempt(lambda: self.visitor.call(_submit, self.KIND, parameters))
        if job is not None:
            ui.notify(f"{self.KIND.capitalize()} run queued as job #{job.id}", type="positive")
            self.follow(job)

    def follow(self, job: JobOut) -> None:
        self.job = job
        self.outcome.clear()
        for shown in (self.progress, self.message):
            shown.set_visibility(True)
        self.outcome.set_visibility(False)
        if hasattr(self, "button"):
            self.button.disable()
        self.show(job)
        if self.timer is None:
            self.timer = ui.timer(POLL_SECONDS, self.poll)
        else:
            self.timer.activate()

    def show(self, job: JobOut) -> None:
        self.progress.set_value(round(job.progress, 3))
        self.message.set_text(f"Job #{job.id} by {job.owner}: {job.message}")

    async def poll(self) -> None:
        from oneplan.services.jobs.service import show_job

        if self.job is None:
            return
        job = await self.visitor.call(show_job, self.job.id)
        self.job = job
        self.show(job)
        if job.state not in FINISHED:
            return
        if self.timer is not None:
            self.timer.deactivate()
        if hasattr(self, "button"):
            self.button.enable()
        self.progress.set_visibility(False)
        self.outcome.set_visibility(True)
        with self.outcome:
            version = (job.result or {}).get("versions", {}).get(self.KIND)
            if job.state == JobState.succeeded and version is not None:
                ui.icon("check_circle", color="positive")
                if _reused(job):
                    ui.label("Nothing changed in the inputs: the run repeats").classes("text-sm")
                plan = f"{self.KIND} plan #{version}"
                title = plan if _reused(job) else f"new {plan}"
                ui.link(f"Open the {title}", self.LINK.format(version)).props(
                    'data-testid="replan-open"'
                ).mark("replan-open")
            elif job.state == JobState.failed:
                ui.icon("error", color="negative")
                reason = (job.error or {}).get("message", job.message)
                ui.label(f"The run failed: {reason}").classes("text-negative")
            else:
                ui.label(job.message)

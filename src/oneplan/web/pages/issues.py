"""The ranked issues of the pre-S&OP meeting, each sized in money, with the decisions already
recorded on it and a way to record one (it joins the open cycle's agenda)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from nicegui import ui

from oneplan.choices import CommentOn
from oneplan.services.cycle.issues import MeetingIssues
from oneplan.web.comments import Thread
from oneplan.web.format import money, sentence, units, when
from oneplan.web.grid import xlsx_bytes
from oneplan.web.layout import attempt
from oneplan.web.pages.plan_views import period_label
from oneplan.web.visitor import Visitor


def months_of(period: Any, periods: Any) -> str:
    """The run of months an issue spans.

    >>> months_of("2027-03-01", 1), months_of("2027-03-01", 10)
    ('2027-03', '2027-03 to 2027-12')
    """
    start = pd.Timestamp(period)
    if int(periods) <= 1:
        return period_label(start)
    return (
        f"{period_label(start)} to {period_label(start + pd.DateOffset(months=int(periods) - 1))}"
    )


def issue_key(issues: MeetingIssues, issue: Any) -> str | None:
    """How the comment service names an issue: its cycle's month and its rank."""
    return None if issues.month is None else f"{issues.month}/{int(issue.rank)}"


class IssueList:
    """The issue list of one financial plan, redrawn after a decision is recorded."""

    def __init__(self, visitor: Visitor, version_id: int | None) -> None:
        self.visitor, self.version_id = visitor, version_id
        self.issues: MeetingIssues | None = None
        self.threads: dict[str, Thread] = {}

    async def load(self) -> None:
        from oneplan.services.cycle.issues import meeting_issues

        self.issues = await self.visitor.call(meeting_issues, self.version_id)
        self.threads = {}
        for issue in self.issues.issues.itertuples():
            key = issue_key(self.issues, issue)
            if key is not None:
                thread = Thread(self.visitor, CommentOn.issue, key, "Discussion")
                await thread.load()
                self.threads[key] = thread

    async def record(self, rank: int, text: str, owner: str, due: str | None) -> bool:
        from oneplan.services.cycle.issues import decide_on_issue

        due_on = date.fromisoformat(due) if due else None
        done = await attempt(
            lambda: self.visitor.call(
                decide_on_issue, rank, text, owner, version_id=self.version_id, due_on=due_on
            )
        )
        if done is None:
            return False
        ui.notify(f"Decision #{done.id} on issue {rank} is on the {done.agenda} agenda")
        await self.load()
        self.draw.refresh()
        return True

    def ask(self, issue: Any) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-[32rem]"):
            ui.label(f"Decision on issue {issue.rank}: {issue.subject}").classes("text-lg")
            ui.label(sentence(str(issue.decision))).classes("text-sm text-gray-600")
            text = (
                ui.textarea("What was decided", value=sentence(str(issue.decision)))
                .classes("w-full")
                .mark("decision-text")
            )
            owner = ui.input("Who carries it out", value=self.visitor.name).mark("decision-owner")
            due = ui.input("Due date").props("type=date").mark("decision-due")

            async def save() -> None:
                if await self.record(issue.rank, text.value or "", owner.value or "", due.value):
                    dialog.close()

            with ui.row():
                ui.button("Record", on_click=save).props("color=primary").mark("decision-save")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    @ui.refreshable_method
    def draw(self) -> None:
        listed = self.issues
        assert listed is not None
        frame = listed.issues
        currency = str(listed.version.summary.get("currency") or "")
        with ui.row().classes("w-full items-center justify-between"):
            agenda = f"the {listed.month} agenda" if listed.month else "no open cycle"
            ui.label(
                f"{len(frame)} decisions asked of the meeting, largest money first; "
                f"a decision recorded here goes onto {agenda}."
            ).classes("text-sm text-gray-600")
            ui.button(
                "Export to xlsx",
                icon="download",
                on_click=lambda: ui.download.content(xlsx_bytes(frame, "issues"), "issues.xlsx"),
            ).props("flat dense").mark("export-issues")
        if frame.empty:
            ui.label("No issue to decide: the plan meets demand and budget.")
            return
        with (
            ui.grid(columns="auto auto 1fr auto auto")
            .classes("w-full items-start gap-x-4 gap-y-2")
            .props('data-testid="issues"')
            .mark("issues")
        ):
            for header in ("#", "Money", "Decision asked for", "Months", ""):
                ui.label(header).classes("font-semibold text-gray-600")
            issue: Any
            for issue in frame.itertuples(index=False):
                rank = int(issue.rank)
                ui.label(str(rank)).classes("font-semibold")
                ui.label(money(issue.money, currency)).classes("op-num")
                with ui.column().classes("gap-0"):
                    ui.label(sentence(str(issue.decision))).classes("font-medium")
                    ui.label(
                        f"{str(issue.kind).replace('_', ' ')} · {units(issue.units)} "
                        f"{issue.unit} · {issue.cause}"
                    ).classes("text-xs text-gray-500")
                    for decision in listed.decisions.get(rank, []):
                        due = f", due {when(decision.due_on)}" if decision.due_on else ""
                        ui.label(
                            f"Decided (#{decision.id}, {decision.status}): {decision.text} "
                            f"({decision.owner}{due})"
                        ).classes("text-sm text-positive").mark(f"decided-{rank}")
                    key = issue_key(listed, issue)
                    if key in self.threads:
                        self.threads[key].draw()
                ui.label(months_of(issue.period, issue.periods)).classes("text-sm")
                if listed.may_decide and listed.month is not None:
                    ui.button("Decide", icon="gavel", on_click=lambda i=issue: self.ask(i)).props(
                        f'dense flat color=primary data-testid="decide-{rank}"'
                    ).mark(f"decide-{rank}")
                else:
                    ui.label("")

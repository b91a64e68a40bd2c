"""Audit: the trail searched by who, what, which thing, when and any word, a page at a time
(the database does the searching and the paging); an event's detail as before and after; for
administrators, whether the hash chain still holds.

Every field of the search is a query parameter, so a search is a link:
``/app/audit?actor=ada&action=user.&since=2027-01-01``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.errors import InputError, OneplanError
from oneplan.services.audit.schemas import AuditEntry
from oneplan.services.audit.search import AuditPage, AuditSearch
from oneplan.services.permissions import Permission
from oneplan.web.format import when
from oneplan.web.grid import data_grid
from oneplan.web.layout import attempt, frame, require_visitor, show_problem
from oneplan.web.visitor import Visitor

PER_PAGE = 50


def shown(value: Any) -> str:
    """A detail value as text: JSON for lists and mappings, nothing for a missing one.

    >>> shown({"a": 1}), shown(None), shown("open")
    ('{"a": 1}', '', 'open')
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def changes(detail: dict[str, Any]) -> pd.DataFrame:
    """An event's detail as field, before and after: a ``from``/``to`` pair (the event's own,
    or a field's) splits in two; any other value is what the event recorded.

    >>> changes({"from": "draft", "to": "approved", "note": "ok"}).values.tolist()
    [['state', 'draft', 'approved'], ['note', '', 'ok']]
    """
    rows = []
    if "from" in detail or "to" in detail:
        rows.append(("state", shown(detail.get("from")), shown(detail.get("to"))))
    for name, value in detail.items():
        if name in ("from", "to"):
            continue
        if isinstance(value, dict) and ("from" in value or "to" in value):
            rows.append((name, shown(value.get("from")), shown(value.get("to"))))
        else:
            rows.append((name, "", shown(value)))
    return pd.DataFrame(rows, columns=["field", "before", "after"])


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"is {text!r}, need a date like 2027-01-31", table="audit search", column=field
        ) from None


class AuditView:
    def __init__(self, visitor: Visitor, fields: dict[str, str | None], page: int) -> None:
        self.visitor, self.fields, self.page = visitor, fields, max(page, 1)
        self.found: AuditPage | None = None
        self.chosen: AuditEntry | None = None

    def search(self) -> AuditSearch:
        f = {name: value or "" for name, value in self.fields.items()}  # a cleared field: None
        return AuditSearch(
            actor=f.get("actor", ""),
            action=f.get("action", ""),
            subject_type=f.get("subject_type", ""),
            subject_id=f.get("subject_id", ""),
            since=_day(f.get("since"), "since"),
            until=_day(f.get("until"), "until"),
            text=f.get("text", ""),
        )

    async def load(self, page: int | None = None) -> None:
        from oneplan.services.audit.search import search_events

        if page is not None:
            self.page = page
        try:
            wanted = self.search()
            self.found = await self.visitor.call(
                search_events, wanted, page=self.page, per_page=PER_PAGE
            )
        except OneplanError as error:  # a bad date, a refusal: in words
            show_problem(error)
            return
        self.chosen = None
        self.results.refresh()
        self.detail.refresh()

    @ui.refreshable_method
    def results(self) -> None:
        found = self.found
        if found is None:
            return
        first = (found.page - 1) * found.per_page + 1 if found.total else 0
        last = min(found.page * found.per_page, found.total)
        with ui.row().classes("items-center gap-2"):
            ui.label(
                f"{found.total:,} {'event matches' if found.total == 1 else 'events match'}; "
                f"{first:,} to {last:,} shown, newest first "
                f"(page {found.page:,} of {found.pages:,})"
            ).mark("audit-count").props('data-testid="audit-count"')
            ui.button(icon="chevron_left", on_click=lambda: self.load(found.page - 1)).props(
                'flat dense aria-label="Newer" data-testid="audit-newer"'
            ).set_enabled(found.page > 1)
            ui.button(icon="chevron_right", on_click=lambda: self.load(found.page + 1)).props(
                'flat dense aria-label="Older" data-testid="audit-older"'
            ).set_enabled(found.page < found.pages)
        rows = pd.DataFrame(
            {
                "event": [e.id for e in found.entries],
                "when": [when(e.at) for e in found.entries],
                "actor": [e.actor for e in found.entries],
                "action": [e.action for e in found.entries],
                "subject": [f"{e.subject_type} {e.subject_id}" for e in found.entries],
                "detail": [shown(e.detail)[:200] for e in found.entries],
            }
        )
        grid = data_grid(rows, name="audit", height="h-96")
        grid.options["defaultColDef"] = {"minWidth": 90}
        for column in grid.options["columnDefs"]:
            column["flex"] = 3 if column["field"] == "detail" else 1
        grid.on("rowClicked", self.choose, ["data"])  # the rest of the event does not serialise
        ui.label("Click an event to see what it changed.").classes("text-sm text-gray-600")

    def choose(self, event: Any) -> None:
        found = self.found
        number = (event.args or {}).get("data", {}).get("event")
        self.chosen = next((e for e in (found.entries if found else []) if e.id == number), None)
        self.detail.refresh()
        if self.chosen is not None:  # below the grid: bring it into view on a small screen
            ui.run_javascript(
                "document.querySelector('[data-testid=audit-detail]')"
                "?.scrollIntoView({behavior: 'smooth', block: 'nearest'})"
            )

    @ui.refreshable_method
    def detail(self) -> None:
        entry = self.chosen
        if entry is None:
            return
        with ui.card().classes("w-full").props('data-testid="audit-detail"').mark("audit-detail"):
            ui.label(
                f"Event #{entry.id}: {entry.action} on {entry.subject_type} {entry.subject_id}, "
                f"by {entry.actor} at {when(entry.at)}"
            ).classes("font-semibold")
            table = changes(entry.detail)
            if table.empty:
                ui.label("The event recorded no detail.").classes("text-gray-500")
            else:
                data_grid(table, name=f"event-{entry.id}", height="h-48")

    def form(self) -> None:
        with ui.row().classes("w-full items-end gap-2"):
            for field, label, width in (
                ("text", "Any word", "w-48"),
                ("actor", "Actor", "w-32"),
                ("action", "Action (user. for all user.*)", "w-56"),
                ("subject_type", "Subject kind", "w-36"),
                ("subject_id", "Subject id", "w-28"),
            ):
                ui.input(label, value=self.fields.get(field, "")).classes(width).bind_value_to(
                    self.fields, field
                ).props(f'dense clearable data-testid="audit-{field}"').mark(f"audit-{field}").on(
                    "keydown.enter", lambda: self.load(1)
                )
            for field, label in (("since", "From"), ("until", "To")):
                ui.input(label, value=self.fields.get(field, "")).classes("w-40").bind_value_to(
                    self.fields, field
                ).props(f'dense type=date stack-label data-testid="audit-{field}"').mark(
                    f"audit-{field}"
                )
            ui.button("Search", icon="search", on_click=lambda: self.load(1)).props(
                'data-testid="audit-search"'
            ).mark("audit-search")


async def chain_card(visitor: Visitor) -> None:
    from oneplan.services.audit.search import check_chain

    with ui.card().classes("w-full"):
        with ui.row().classes("items-center gap-4"):
            ui.label("Chain of the trail").classes("text-lg font-semibold")
            outcome = ui.label(
                "Each event holds the hash of the one before it: an edited or deleted event "
                "breaks the chain."
            ).classes("text-gray-600")

            async def verify() -> None:
                checked = await attempt(lambda: visitor.call(check_chain))
                if checked is None:
                    return
                if checked.broken is None:
                    outcome.text = (
                        f"The chain holds: {checked.events:,} events, the newest #"
                        f"{checked.last_event_id}, none edited or deleted."
                    )
                    outcome.classes(replace="text-positive font-medium")
                else:
                    outcome.text = f"The chain is broken: {checked.broken.message}."
                    outcome.classes(replace="text-negative font-medium")

            ui.button("Verify the chain", icon="verified", on_click=verify).props(
                'outline dense data-testid="audit-verify"'
            ).mark("audit-verify")
        outcome.mark("audit-chain").props('data-testid="audit-chain"')


async def audit_page(
    request: Request,
    actor: str = "",
    action: str = "",
    subject_type: str = "",
    subject_id: str = "",
    since: str = "",
    until: str = "",
    text: str = "",
    page: int = 1,
) -> RedirectResponse | None:
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    fields: dict[str, str | None] = {
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "since": since,
        "until": until,
        "text": text,
    }
    view = AuditView(visitor, fields, page)
    with frame(visitor, request, "Audit trail", "/audit"):
        if visitor.may(Permission.manage_users):
            await chain_card(visitor)
        with ui.card().classes("w-full"):
            view.form()
            view.results()
        view.detail()
        await view.load()
    return None


PAGES = [("/audit", audit_page)]

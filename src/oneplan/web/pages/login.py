"""The log-in form: a plain form post (oneplan.web.login), so no password passes through the
page's live connection."""

from __future__ import annotations

from html import escape

from nicegui import ui

from oneplan.web.paths import LOGIN, page_url


async def login_page(failed: str = "", next: str = "") -> None:
    ui.page_title("Log in · oneplan")
    with ui.card().classes("absolute-center w-96"):
        ui.label("oneplan").classes("text-2xl font-bold")
        ui.label("Sales & Operations Planning").classes("text-gray-500")
        if failed:
            ui.label(failed).classes("text-negative").props('role="alert"')
        with (
            ui.element("form")
            .props(f'method=post action="{page_url(LOGIN)}"')
            .classes("w-full flex flex-col gap-2")
        ):
            ui.input("Name").props("name=name autofocus autocomplete=username").classes("w-full")
            ui.input("Password", password=True).props(
                "name=password autocomplete=current-password"
            ).classes("w-full")
            ui.html(f'<input type="hidden" name="next" value="{escape(next)}">', sanitize=False)
            ui.button("Log in").props("type=submit color=primary").classes("w-full")


PAGES = [(LOGIN, login_page)]

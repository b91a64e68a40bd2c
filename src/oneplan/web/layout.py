"""The frame every page shares: a header with the month and the visitor, the navigation the
visitor's roles open, and a problem shown in words instead of a stack trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from typing import Any

from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.api.deps import CSRF_COOKIE
from oneplan.errors import OneplanError, Stale
from oneplan.services.permissions import Permission
from oneplan.web.paths import LOGIN, page_url
from oneplan.web.visitor import Visitor, visitor_of


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    icon: str
    needs: Permission | None = None


NAVIGATION = (
    NavItem("Home", "/", "home"),
    NavItem("Data", "/data", "upload_file", Permission.read),
    NavItem("Demand", "/demand", "trending_up", Permission.read),
    NavItem("Supply", "/supply", "factory", Permission.read),
    NavItem("Finance", "/finance", "euro", Permission.read),
    NavItem("Scenarios", "/scenarios", "call_split", Permission.read),
    NavItem("Executive", "/executive", "gavel", Permission.read),
    NavItem("Cycle", "/cycle", "event", Permission.read),
    NavItem("Audit", "/audit", "history", Permission.read),
    NavItem("Admin", "/admin", "admin_panel_settings", Permission.manage_users),
)
#: The pages that exist: an item is shown only once its page is registered.
REGISTERED: set[str] = set()


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{page_url(LOGIN)}?next={target}", status_code=303)


def require_visitor(request: Request) -> Visitor | RedirectResponse:
    """The logged-in visitor, or the redirect to the log-in form that brings them back."""
    visitor = visitor_of(request)
    return visitor if visitor is not None else login_redirect(request)


@contextmanager
def frame(visitor: Visitor, request: Request, title: str, current: str) -> Iterator[None]:
    """Header, navigation and a content column; the page's own content goes inside."""
    ui.page_title(f"{title} · oneplan")
    ui.add_css(".op-num { text-align: right; font-variant-numeric: tabular-nums; }")
    with ui.header(elevated=True).classes("items-center justify-between px-4 py-1 bg-slate-800"):
        with ui.row().classes("items-center gap-4"):
            ui.link("oneplan", "/").classes("text-white text-lg font-bold no-underline")
            with ui.row().classes("gap-1"):
                for item in NAVIGATION:
                    if item.path not in REGISTERED:
                        continue
                    if item.needs is not None and not visitor.may(item.needs):
                        continue
                    chosen = "bg-slate-600" if item.path == current else ""
                    with (
                        ui.link(target=item.path)
                        .classes(f"text-white no-underline px-2 py-1 rounded {chosen}")
                        .props(f'aria-label="{item.label}"')
                    ):
                        ui.icon(item.icon).classes("text-base")
                        ui.label(item.label).classes("inline text-sm ml-1")
        with ui.row().classes("items-center gap-2 text-white text-sm"):
            ui.label(visitor.name).props('data-testid="visitor"')
            with ui.element("form").props(f'method=post action="{page_url("/logout")}"'):
                csrf = request.cookies.get(CSRF_COOKIE, "")
                ui.html(f'<input type="hidden" name="csrf" value="{escape(csrf)}">', sanitize=False)
                ui.button("Log out").props("type=submit flat dense color=white size=sm")
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-4 gap-4"):
        ui.label(title).classes("text-2xl font-semibold")
        yield
        # the page is built: what the benchmark and the browser tests wait for
        ui.element("div").props('data-testid="page-ready"').classes("hidden")


def show_problem(error: Exception) -> None:
    """A refused action in words: the service's message, kept whole."""
    if isinstance(error, Stale):
        ui.notify(f"Someone changed this meanwhile: {error}", type="warning", multi_line=True)
    elif isinstance(error, OneplanError):
        ui.notify(str(error), type="negative", multi_line=True, timeout=10000)
    else:
        raise error


async def attempt(action: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``action``; a refusal (permission, conflict, bad input) is shown, not raised."""
    try:
        return await action()
    except OneplanError as error:
        show_problem(error)
        return None

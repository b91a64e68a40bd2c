"""Admin: users (create with a role and scope, disable, set a password), their grants (give
and take a role over families and locations), their API tokens (made and shown once, revoked,
expiring), the server's settings without secrets and the cycle calendar.

Only for people who manage users: the services refuse everyone else, and the page says so.
A grant or revocation names the user's version as the page showed it: if someone changed the
user meanwhile, it is refused and the page shows the user as they are now."""

from __future__ import annotations

from typing import Any

import pandas as pd
from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.errors import PermissionDenied
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.admin_view import UserAdmin
from oneplan.services.users.schemas import GrantInfo, UserInfo
from oneplan.web.format import when
from oneplan.web.grid import data_grid
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.visitor import Visitor, site

ROLES = {role.value: role.value.replace("_", " ") for role in Role}


def grant_text(grant: GrantInfo) -> str:
    return str(Grant(grant.role, frozenset(grant.families), frozenset(grant.locations)))


def users_frame(users: list[UserInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": [u.name for u in users],
            "full name": [u.full_name for u in users],
            "status": ["active" if u.active else "disabled" for u in users],
            "log-in": ["password" if u.has_password else "tokens only" for u in users],
            "grants": ["; ".join(grant_text(g) for g in u.grants) or "none" for u in users],
            "created": [f"{when(u.created_at)} by {u.created_by}" for u in users],
        }
    )


class ScopeFields:
    """A role and its scope, as a form asks for them."""

    def __init__(self, families: list[str], locations: list[str], prefix: str) -> None:
        self.role = (
            ui.select(ROLES, value=Role.viewer.value, label="Role")
            .classes("w-44")
            .mark(f"{prefix}-role")
        )
        self.families = (
            ui.select(families, multiple=True, label="Families (none: all)")
            .classes("w-56")
            .props("use-chips")
            .mark(f"{prefix}-families")
        )
        self.locations = (
            ui.select(locations, multiple=True, label="Locations (none: all)")
            .classes("w-56")
            .props("use-chips")
            .mark(f"{prefix}-locations")
        )

    def grant(self) -> Grant:
        return Grant(
            Role(self.role.value),
            frozenset(self.families.value or ()),
            frozenset(self.locations.value or ()),
        )


class AdminView:
    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.data: UserAdmin | None = None
        self.chosen: str | None = None
        # Dialogs open from here: a button inside a redrawn panel is gone once it redraws.
        self.anchor: ui.element | None = None

    async def load(self) -> None:
        from oneplan.services.users.admin_view import user_admin

        self.data = await self.visitor.call(user_admin)
        names = [u.name for u in self.data.users]
        if self.chosen not in names:
            self.chosen = names[0] if names else None

    def user(self) -> UserInfo | None:
        users = self.data.users if self.data else []
        return next((u for u in users if u.name == self.chosen), None)

    async def change(self, service: Any, *args: Any, done: str, **kwargs: Any) -> Any:
        """Run a change; on success say ``done``; always show the users as they are now."""
        result = await attempt(lambda: self.visitor.call(service, *args, **kwargs))
        if result is not None:
            ui.notify(done, type="positive")
        await self.load()
        self.users.refresh()
        await self.person.refresh()
        return result

    async def choose(self, name: str | None) -> None:
        self.chosen = name
        await self.person.refresh()

    @ui.refreshable_method
    def users(self) -> None:
        assert self.data is not None
        grid = data_grid(users_frame(self.data.users), name="users", height="h-64")
        grid.on(
            "rowClicked",
            lambda e: self.choose((e.args or {}).get("data", {}).get("user")),
            ["data"],  # the rest of AG Grid's event does not serialise
        )

    def new_user_dialog(self) -> None:
        from oneplan.services.users.service import create_user

        assert self.data is not None
        with ui.dialog() as dialog, ui.card().classes("w-[36rem]"):
            ui.label("New user").classes("text-lg font-semibold")
            with ui.row().classes("gap-2"):
                name = ui.input("User name").classes("w-44").mark("new-name")
                full = ui.input("Full name").classes("w-64").mark("new-full-name")
            password = (
                ui.input(
                    "Password (12 or more characters; empty: API tokens only)",
                    password=True,
                    password_toggle_button=True,
                )
                .classes("w-full")
                .mark("new-password")
            )
            with ui.row().classes("gap-2"):
                scope = ScopeFields(self.data.families, self.data.locations, "new")

            async def create() -> None:
                made = await self.change(
                    create_user,
                    (name.value or "").strip(),
                    password=password.value or None,
                    full_name=full.value or "",
                    grants=[scope.grant()],
                    done=f"User {name.value} created",
                )
                if made is not None:
                    dialog.close()
                    await self.choose(made.name)

            with ui.row():
                ui.button("Create", on_click=create).props("color=primary").mark("create-user")
                ui.button("Cancel", on_click=dialog.close).props("flat")
        dialog.open()

    @ui.refreshable_method
    async def person(self) -> None:
        from oneplan.services.users import service as users
        from oneplan.services.users import tokens
        from oneplan.services.users.admin_view import user_tokens

        user = self.user()
        if user is None or self.data is None:
            return
        state = "active" if user.active else "disabled"
        with ui.row().classes("items-center gap-3"):
            ui.label(f"{user.name}{f' ({user.full_name})' if user.full_name else ''}").classes(
                "text-lg font-semibold"
            )
            ui.badge(state, color="green" if user.active else "grey")
            if user.active:
                ui.button(
                    "Disable",
                    icon="block",
                    on_click=lambda: self.change(
                        users.disable_user, user.name, done=f"{user.name} disabled"
                    ),
                ).props("outline dense color=negative").mark("disable-user")
        with ui.row().classes("w-full items-start gap-6"):
            with ui.column().classes("gap-1"):
                ui.label("Grants").classes("font-semibold text-gray-600")
                if not user.grants:
                    ui.label("None: the user can do nothing.").classes("text-gray-500")
                for number, held in enumerate(user.grants):
                    with ui.row().classes("items-center gap-2"):
                        ui.label(grant_text(held))
                        ui.button(
                            icon="close",
                            on_click=lambda g=held: self.change(
                                users.revoke,
                                user.name,
                                g.role,
                                families=list(g.families),
                                locations=list(g.locations),
                                expected=user.version,
                                done=f"{grant_text(g)} taken from {user.name}",
                            ),
                        ).props(
                            f'flat dense round size=sm aria-label="Revoke {grant_text(held)}"'
                        ).mark(f"revoke-{number}")
                ui.label("Give a role").classes("font-semibold text-gray-600 mt-2")
                with ui.row().classes("items-end gap-2"):
                    scope = ScopeFields(self.data.families, self.data.locations, "give")
                    ui.button(
                        "Give",
                        on_click=lambda: self.change(
                            users.grant,
                            user.name,
                            scope.grant(),
                            expected=user.version,
                            done=f"{scope.grant()} given to {user.name}",
                        ),
                    ).props("color=primary dense").mark("give-grant")
            with ui.column().classes("gap-1"):
                ui.label("Password").classes("font-semibold text-gray-600")
                ui.label(
                    "Set" if user.has_password else "None: the user logs in with tokens only"
                ).classes("text-sm text-gray-600")
                with ui.row().classes("items-end gap-2"):
                    password = (
                        ui.input("New password", password=True).classes("w-56").mark("password")
                    )
                    ui.button(
                        "Set",
                        on_click=lambda: self.change(
                            users.set_password,
                            user.name,
                            password.value or "",
                            done=f"Password of {user.name} set; their log-ins ended",
                        ),
                    ).props("dense").mark("set-password")
        ui.label("API tokens").classes("font-semibold text-gray-600 mt-2")
        found = await attempt(lambda: self.visitor.call(user_tokens, user.name)) or []
        if found:
            rows = pd.DataFrame(
                {
                    "token": [t.id for t in found],
                    "label": [t.label for t in found],
                    "starts with": [t.prefix for t in found],
                    "created": [when(t.created_at) for t in found],
                    "expires": [when(t.expires_at) for t in found],
                    "revoked": [when(t.revoked_at) for t in found],
                    "last used": [when(t.last_used_at) for t in found],
                }
            )
            data_grid(rows, name=f"tokens-{user.name}", height="h-40")
        else:
            ui.label("No tokens.").classes("text-gray-500")
        with ui.row().classes("items-end gap-2"):
            label = (
                ui.input("Token for (e.g. excel on my laptop)").classes("w-64").mark("token-label")
            )
            days = ui.number("Valid days", value=90, min=1, max=366, precision=0).classes("w-28")
            days.mark("token-days")

            async def make() -> None:
                made = await self.change(
                    tokens.create_token,
                    user.name,
                    label.value or "",
                    days=int(days.value or 0),
                    done="Token made",
                )
                if made is not None:
                    self.show_token(made.token)

            ui.button("Make a token", on_click=make).props("dense").mark("create-token")
            live = [t for t in found if t.revoked_at is None]
            if live:
                which = ui.select(
                    {t.id: f"#{t.id} {t.label}" for t in live},
                    value=live[0].id,
                    label="Token to revoke",
                ).classes("w-56")
                ui.button(
                    "Revoke",
                    on_click=lambda: self.change(
                        tokens.revoke_token, user.name, which.value, done="Token revoked"
                    ),
                ).props("dense outline color=negative").mark("revoke-token")

    def show_token(self, token: str) -> None:
        assert self.anchor is not None
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-[36rem]"):
            ui.label("The new token").classes("text-lg font-semibold")
            ui.label(
                "Copy it now: it is shown this once and kept only as a hash. Send it as "
                "'Authorization: Bearer <token>'."
            ).classes("text-gray-600")
            ui.input(value=token).props("readonly").classes("w-full font-mono").mark("new-token")
            with ui.row():
                ui.button("Copy", icon="content_copy", on_click=lambda: ui.clipboard.write(token))
                ui.button("Done", on_click=dialog.close).props("flat")
        dialog.open()


async def settings_tab(visitor: Visitor) -> None:
    from oneplan.services.cycle.calendar_view import cycle_calendar
    from oneplan.services.users.admin_view import settings_shown

    shown = await visitor.call(settings_shown, site().settings)
    ui.label(
        "The settings this server runs with (environment variables, docs/configuration.md); "
        "passwords and secrets are hidden. Change them where the server is started."
    ).classes("text-gray-600")
    data_grid(pd.DataFrame([s.model_dump() for s in shown]), name="settings", height="h-80")
    calendar = await attempt(lambda: visitor.call(cycle_calendar))
    if calendar is None:
        return
    ui.label("Cycle calendar").classes("text-lg font-semibold mt-2")
    ui.label(
        "The working day of the month each step is due, and who moves it: set in the "
        "parameters table (cycle_day_<step>, cycle_owner_<step>) and used when a cycle opens."
    ).classes("text-gray-600")
    steps = pd.DataFrame(
        {
            "step": [s.title for s in calendar],
            "working day": [s.working_day for s in calendar],
            "owner": [s.owner_user or s.owner_role.replace("_", " ") for s in calendar],
            "approvers": [", ".join(a.replace("_", " ") for a in s.approvers) for s in calendar],
            "set by": ["parameters" if s.set_in_parameters else "default" for s in calendar],
        }
    )
    data_grid(steps, name="calendar", formats={"working day": "units"}, height="h-64")


async def admin_page(
    request: Request, tab: str = "users", user: str | None = None
) -> RedirectResponse | None:
    """``tab``: ``users`` or ``settings``; ``user``: the user shown (a link may name both)."""
    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    view = AdminView(visitor)
    view.chosen = user
    with frame(visitor, request, "Admin", "/admin"):
        try:
            await view.load()
        except PermissionDenied as refused:
            ui.label(f"The Admin page is for the people who manage users. {refused}.").classes(
                "text-negative"
            ).mark("admin-refused").props('data-testid="admin-refused"')
            return None
        view.anchor = ui.element()
        with ui.tabs().classes("w-full") as tabs:
            people = ui.tab("Users and tokens").mark("tab-users")
            server = ui.tab("Settings and calendar").mark("tab-settings")
        with ui.tab_panels(tabs, value=server if tab == "settings" else people).classes("w-full"):
            with ui.tab_panel(people).classes("gap-3"):
                with ui.row().classes("w-full justify-between items-center"):
                    ui.label("Click a user to see and change their grants and tokens.").classes(
                        "text-gray-600"
                    )
                    ui.button("New user", icon="person_add", on_click=view.new_user_dialog).props(
                        'color=primary data-testid="new-user"'
                    ).mark("new-user")
                view.users()
                with ui.card().classes("w-full").props('data-testid="user-detail"'):
                    await view.person()
            with ui.tab_panel(server).classes("gap-3"):
                await settings_tab(visitor)
    return None


PAGES = [("/admin", admin_page)]

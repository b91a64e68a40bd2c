"""The web pages without a browser: NiceGUI's simulated user over the test's database.

`web` registers every page on a fresh NiceGUI (as the server does once at start) and gives a
`Browsers` that makes users with the services, logs each in (a log-in session, as the form
does) and opens a simulated browser for them. Tests are ``async`` and run under anyio.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from nicegui import core, ui
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from nicegui.testing.user import User

from oneplan.api.deps import SESSION_COOKIE
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.db.users import User as UserRow
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.users.sessions import LoginPolicy, start_session
from oneplan.web import pages, visitor

ADMIN = Actor.administrator("tester")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Browsers:
    """People of the test database, each with a simulated browser logged in."""

    engine: sa.Engine
    made: list[str] = field(default_factory=list)

    def person(
        self,
        name: str,
        role: Role,
        *,
        families: frozenset[str] = frozenset(),
        locations: frozenset[str] = frozenset(),
    ) -> User:
        """A user with one grant, logged in, with a browser of their own."""
        with unit_of_work(self.engine) as session:
            if not self.made:  # the first user must be an administrator over everything
                create_user(session, ADMIN, "root", grants=[Grant(Role.admin)])
            create_user(session, ADMIN, name, grants=[Grant(role, families, locations)])
            row = session.scalars(sa.select(UserRow).where(UserRow.name == name)).one()
            started = start_session(session, row, "127.0.0.1", LoginPolicy(), datetime.now(UTC))
        self.made.append(name)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(core.app),
            base_url="http://test",
            cookies={SESSION_COOKIE: started.session_id},
        )
        return User(client)

    def stranger(self) -> User:
        """A browser nobody logged in with."""
        return User(
            httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
        )


@pytest.fixture
async def web(engine: sa.Engine, tmp_path: Path) -> AsyncIterator[Browsers]:
    """Every page on a fresh NiceGUI over ``engine``."""
    modules = dict(sys.modules)  # the reset drops the pages' modules: keep one copy of oneplan
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            visitor.configure(engine, Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
            pages.register()
            ui.run(storage_secret="simulated")
            async with core.app.router.lifespan_context(core.app):
                yield Browsers(engine)
        finally:
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate, ui.notify, ui.download = Navigate(), notify, download
    sys.modules.update(modules)

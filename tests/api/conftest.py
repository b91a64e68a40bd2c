"""The API over a real database of each kind, and the people who use it.

`api` is a TestClient over `create_app` on the `engine` fixture (SQLite and PostgreSQL). `people`
creates users with grants directly through the services (as `oneplan user create` does) and
gives each an API token, or logs one in with a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.api.deps import CSRF_HEADER
from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.services.users.tokens import create_token

PASSWORD = "correct horse battery staple"
ADMIN = Actor.administrator("tester")


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        user="tester",
        login_failures_per_account=3,
        login_failures_per_address=6,
    )


@pytest.fixture
def api(engine: sa.Engine, api_settings: Settings) -> Iterator[TestClient]:
    """A client of the API over the test's database (no one logged in)."""
    with TestClient(create_app(api_settings, engine), base_url="http://testserver") as client:
        yield client


@dataclass
class People:
    """Users of the test database: made with the services, used over the API."""

    engine: sa.Engine
    app: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        name: str,
        role: Role,
        *,
        families: frozenset[str] = frozenset(),
        locations: frozenset[str] = frozenset(),
        password: str | None = None,
    ) -> str:
        """A user with one grant and an API token; returns the token."""
        with unit_of_work(self.engine) as session:
            if not self.tokens:  # the first user must be an administrator over everything
                create_user(session, ADMIN, "root", grants=[Grant(Role.admin)])
                self.tokens["root"] = create_token(session, ADMIN, "root", "tests").token
            create_user(
                session,
                ADMIN,
                name,
                password=password,
                grants=[Grant(role, families, locations)],
            )
            self.tokens[name] = create_token(session, ADMIN, name, "tests").token
        return self.tokens[name]

    def as_(self, name: str) -> dict[str, str]:
        """The headers of a request made with ``name``'s token."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def log_in(self, name: str, password: str = PASSWORD) -> tuple[httpx.Response, dict[str, str]]:
        """Log ``name`` in on the shared client; returns the answer and the CSRF header."""
        answer = self.app.post("/auth/login", json={"name": name, "password": password})
        csrf = answer.json().get("csrf_token", "") if answer.status_code == 200 else ""
        return answer, {CSRF_HEADER: csrf}


@pytest.fixture
def people(engine: sa.Engine, api: TestClient) -> People:
    return People(engine, api)

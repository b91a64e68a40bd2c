"""What the admin page reads: users with the codes a grant may name, a user's tokens, and the
server's settings without secrets; all for people who manage users only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.admin_view import settings_shown, user_admin, user_tokens
from oneplan.services.users.service import create_user
from oneplan.services.users.tokens import create_token

ROOT = Actor.administrator("root")
PLANNER = Actor("dana", frozenset({Grant(Role.demand_planner)}))


def test_users_and_their_tokens_for_an_administrator_only(engine: sa.Engine) -> None:
    with unit_of_work(engine) as session:
        create_user(session, ROOT, "ada", grants=[Grant(Role.admin)])
        create_token(session, ROOT, "ada", "excel", days=7)
    with unit_of_work(engine, write=False) as session:
        seen = user_admin(session, ROOT)
        (token,) = user_tokens(session, ROOT, "ada")
        for read in (
            lambda: user_admin(session, PLANNER),
            lambda: user_tokens(session, PLANNER, "ada"),
        ):
            with pytest.raises(PermissionDenied, match="manage_users"):
                read()
    assert ([u.name for u in seen.users], seen.families, seen.locations) == (["ada"], [], [])
    assert token.label == "excel"


def test_the_settings_are_shown_by_variable_with_their_secrets_hidden(engine: sa.Engine) -> None:
    settings = Settings(database_url="postgresql+psycopg://ada:s3cret@db.example/plans")
    with unit_of_work(engine, write=False) as session:
        shown = {s.variable: s for s in settings_shown(session, ROOT, settings)}
        with pytest.raises(PermissionDenied):
            settings_shown(session, PLANNER, settings)
    assert shown["ONEPLAN_DATABASE_URL"].value == "postgresql+psycopg://ada:***@db.example/plans"
    assert "s3cret" not in str([s.value for s in shown.values()])
    assert shown["ONEPLAN_MAX_UPLOAD_BYTES"].value == str(256 * 1024**2)
    assert shown["ONEPLAN_MAX_UPLOAD_BYTES"].meaning.startswith("Largest data package")

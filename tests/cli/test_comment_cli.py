"""Comments and the inbox on the command line, end to end on a SQLite file, with the e-mail
sent to a real SMTP server (aiosmtpd) on this machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from oneplan.cli import comment, inbox
from oneplan.cli.common import database
from oneplan.config import get_settings
from oneplan.db.models import Family
from oneplan.db.session import unit_of_work
from oneplan.services.actor import Actor
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user

runner = CliRunner()
app = typer.Typer(no_args_is_help=True)
comment.register(app)
inbox.register(app)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def act_as(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("ONEPLAN_USER", name)
    get_settings.cache_clear()


@pytest.fixture
def people() -> None:
    """The family HOS; planner (the local user, an administrator) and sal (sales for HOS)."""
    now = datetime.now(UTC)
    with unit_of_work(database()) as session:
        session.add(
            Family(
                code="HOS",
                name="Hoses",
                category="GAR",
                created_at=now,
                created_by="t",
                updated_at=now,
                updated_by="t",
            )
        )
        admin = Actor.administrator("planner")
        create_user(session, admin, "planner", grants=[Grant(Role.admin)])
        create_user(session, admin, "sal", grants=[Grant(Role.sales, frozenset({"HOS"}))])


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    server = Controller(Handler(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield port, received
    finally:
        server.stop()


def test_a_comment_thread_and_the_inbox(people: None, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("comment", "add", "family", "HOS", "@sal is the promotion on?")
    assert (code, "added: comment 1 on family HOS" in out, "told: sal" in out) == (0, True, True)
    code, out = run("comment", "add", "family", "HOS", "@nobody look")
    assert code == 2 and "@nobody is not a user of this database" in out
    assert run("comment", "edit", "1", "@sal is the May promotion on?", "--expect", "1")[0] == 0
    code, out = run("comment", "edit", "1", "overwritten", "--expect", "1")
    assert code == 4 and "is at version 2, not 1" in out
    act_as(monkeypatch, "sal")
    code, out = run("inbox")
    assert code == 0 and "Inbox of sal: 1 unread" in out
    assert "planner mentioned you on the family HOS" in out
    code, out = run("comment", "reply", "1", "yes, from week 19")
    assert code == 0 and "replied: comment 2" in out
    code, out = run("comment", "list", "family", "HOS")
    assert "May promotion" in out and "  yes, from week 19" in out
    assert run("inbox", "read")[1].startswith("ok: 1 notification(s) marked read")
    assert "nothing unread in sal's inbox" in run("inbox", "list", "--unread")[1]
    code, out = run("comment", "add", "family", "SPR", "not mine")
    assert code == 3  # no such family: nothing to see


def test_inbox_send_mails_through_the_configured_server(
    people: None, smtp: tuple[int, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, received = smtp
    code, out = run("inbox", "send")
    assert code == 4 and "e-mail is off" in out
    act_as(monkeypatch, "sal")
    assert run("inbox", "mail", "sal@example.com")[0] == 0
    act_as(monkeypatch, "planner")
    assert run("comment", "add", "family", "HOS", "@sal look at May")[0] == 0
    for name, value in [("HOST", "127.0.0.1"), ("PORT", str(port)), ("FROM", "op@example.com")]:
        monkeypatch.setenv(f"ONEPLAN_SMTP_{name}", value)
    monkeypatch.setenv("ONEPLAN_SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    code, out = run("inbox", "send")
    assert (code, out.strip()) == (0, "mail: 1 sent, 0 failed, 0 digest(s)")
    [envelope] = received
    assert envelope.rcpt_tos == ["sal@example.com"]
    assert b"Subject: [oneplan] planner mentioned you on the family HOS" in envelope.content

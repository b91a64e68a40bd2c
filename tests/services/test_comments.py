"""Comments and the inbox: threads with @mentions, scope, edits named by version, the
notifications the cycle's moves and the job queue write in their own transaction, reminders
from the calendar, and e-mail sent after commit to a real SMTP server (aiosmtpd); every test
runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from oneplan.config import Settings
from oneplan.db.comments import Comment, MailMessage, Notification
from oneplan.db.jobs import Job
from oneplan.db.models import Family, Item, Location
from oneplan.db.session import unit_of_work
from oneplan.errors import Conflict, NotFound, PermissionDenied, Stale, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.comment.service import (
    add_comment,
    edit_comment,
    list_comments,
    reply,
    withdraw_comment,
)
from oneplan.services.cycle.moves import reject_step, submit_step
from oneplan.services.cycle.notices import remind_steps
from oneplan.services.cycle.service import cycle_status, open_cycle
from oneplan.services.inbox.service import mark_read, read_inbox, set_mail
from oneplan.services.jobs.queue import claim_next, finish
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Grant, Role
from oneplan.services.users.service import create_user
from oneplan.worker.mail import send_outbox

T = TypeVar("T")
ANN = Actor.administrator("ann")


def person(name: str, role: Role, families: frozenset[str] = frozenset()) -> Actor:
    return Actor(name, frozenset({Grant(role, families)}))


DORA = person("dora", Role.demand_planner)
SAM = person("sam", Role.supply_planner)
EXA = person("exa", Role.executive)
SAL = person("sal", Role.sales, frozenset({"HOS"}))


def act(engine: sa.Engine, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with unit_of_work(engine) as session:
        return call(session, *args, **kwargs)


def read(engine: sa.Engine, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with unit_of_work(engine, write=False) as session:
        return call(session, *args, **kwargs)


@pytest.fixture
def company(engine: sa.Engine) -> sa.Engine:
    """Two families of one category, two items, a location; ann (admin), dora, sam, exa and
    sal (sales for HOS only) as users."""
    now = datetime.now(UTC)
    who = {"created_at": now, "created_by": "t", "updated_at": now, "updated_by": "t"}
    with unit_of_work(engine) as session:
        session.add(Location(code="DC", name="DC", kind="warehouse", region="EU", **who))
        for family in ("HOS", "SPR"):
            session.add(Family(code=family, name=family, category="GAR", **who))
        session.flush()
        for item, family in (("HOS-1", "HOS"), ("SPR-1", "SPR")):
            session.add(
                Item(
                    code=item,
                    description=item,
                    uom="EA",
                    family=family,
                    lifecycle_status="active",
                    **who,
                )
            )
        create_user(session, ANN, "ann", grants=[Grant(Role.admin)])
        for someone in (DORA, SAM, EXA, SAL):
            create_user(session, ANN, someone.name, grants=list(someone.grants))
    return engine


def inbox_of(engine: sa.Engine, who: Actor) -> list[tuple[str, str]]:
    return [(n.kind.value, n.title) for n in read(engine, read_inbox, who).items]


def count(engine: sa.Engine, model: type[Any]) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- comments -------------------------------------------------------------------------------


def test_a_mention_tells_the_user_and_a_reply_joins_the_thread(company: sa.Engine) -> None:
    first = act(company, add_comment, DORA, "family", "HOS", "@sal is the May promotion on?")
    assert (first.mentions, first.author, first.version) == (["sal"], "dora", 1)
    [(kind, title)] = inbox_of(company, SAL)
    assert (kind, title) == ("mentioned", "dora mentioned you on the family HOS")
    answer = act(company, reply, SAL, first.id, "Yes, from week 19. @dora.")
    assert (answer.parent_id, answer.object_kind, answer.object_key) == (first.id, "family", "HOS")
    thread = read(company, list_comments, EXA, "family", "HOS")
    assert [(c.author, c.parent_id) for c in thread.comments] == [("dora", None), ("sal", first.id)]
    assert inbox_of(company, DORA) == [("mentioned", "sal mentioned you on the family HOS")]
    act(company, reply, SAM, first.id, "agreed")  # the author hears of an answer, once
    assert inbox_of(company, DORA)[0] == ("replied", "sam answered your comment on the family HOS")
    assert len(inbox_of(company, DORA)) == 2
    inbox = read(company, read_inbox, SAL)
    assert inbox.unread == 1
    assert act(company, mark_read, SAL, [inbox.items[0].id]) == 1
    assert read(company, read_inbox, SAL).unread == 0
    with pytest.raises(NotFound, match="not in sal's inbox"):
        act(company, mark_read, SAL, [read(company, read_inbox, DORA).items[0].id])


def test_a_demand_cell_at_any_level_is_named_by_level_member_and_month(company: sa.Engine) -> None:
    for key in ("item/HOS-1/2027-03", "category/GAR/2027-03", "total/2027-03"):
        assert act(company, add_comment, DORA, "demand_cell", key, "too high").object_key == key
    assert act(company, add_comment, DORA, "demand_cell", "item_location/HOS-1|DC/2027-04", "x")
    with pytest.raises(ValidationFailed, match="need level/member/month"):
        act(company, add_comment, DORA, "demand_cell", "family/HOS", "x")
    with pytest.raises(NotFound, match="no family 'XYZ'"):
        act(company, add_comment, DORA, "demand_cell", "family/XYZ/2027-03", "x")
    with pytest.raises(ValidationFailed, match="expected one of demand_cell"):
        act(company, add_comment, DORA, "widget", "1", "x")


def test_an_unknown_name_is_refused_naming_it_and_nothing_is_kept(company: sa.Engine) -> None:
    with pytest.raises(ValidationFailed) as failed:
        act(company, add_comment, DORA, "item", "HOS-1", "@nobody and @sal, and @ghost")
    assert [p.message for p in failed.value.problems] == [
        "@nobody is not a user of this database",
        "@ghost is not a user of this database",
    ]
    assert count(company, Comment) == count(company, Notification) == 0


def test_a_comment_out_of_ones_scope_is_refused(company: sa.Engine) -> None:
    assert act(company, add_comment, SAL, "item", "HOS-1", "fine").author == "sal"
    for kind, key in [
        ("family", "SPR"),
        ("item", "SPR-1"),
        ("demand_cell", "family/SPR/2027-03"),
        ("demand_cell", "category/GAR/2027-03"),
        ("demand_cell", "total/2027-03"),
    ]:
        with pytest.raises(PermissionDenied, match="sal \\(sales for families HOS\\) may not read"):
            act(company, add_comment, SAL, kind, key, "mine?")
        with pytest.raises(PermissionDenied):
            read(company, list_comments, SAL, kind, key)
    # nor may anyone draw sal into what sal cannot see
    with pytest.raises(ValidationFailed, match="@sal may not see the family SPR"):
        act(company, add_comment, DORA, "family", "SPR", "@sal look")
    assert count(company, Comment) == 1


def test_an_edit_names_its_version_and_a_stale_one_is_refused(company: sa.Engine) -> None:
    first = act(company, add_comment, DORA, "item", "HOS-1", "check the price")
    edited = act(company, edit_comment, DORA, first.id, "check the price, @exa", expected_version=1)
    assert (edited.text, edited.version, edited.edited_at is not None) == (
        "check the price, @exa",
        2,
        True,
    )
    assert inbox_of(company, EXA) == [("mentioned", "dora mentioned you on the item HOS-1")]
    with pytest.raises(Stale, match=r"comment \d+ is at version 2, not 1") as stale:
        act(company, edit_comment, DORA, first.id, "overwrite", expected_version=1)
    assert stale.value.current.text == "check the price, @exa"  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied, match="only its author \\(dora\\) may"):
        act(company, edit_comment, SAM, first.id, "mine now")
    withdrawn = act(company, withdraw_comment, DORA, first.id, expected_version=2)
    assert withdrawn.withdrawn
    with pytest.raises(Conflict, match="withdrawn"):
        act(company, edit_comment, DORA, first.id, "again")
    assert read(company, list_comments, DORA, "item", "HOS-1").comments[0].withdrawn


# --- the cycle's moves and the jobs tell people -------------------------------------------


def test_submit_tells_the_approvers_and_reject_tells_the_submitter(company: sa.Engine) -> None:
    act(company, open_cycle, DORA, "2027-03")
    act(company, submit_step, DORA, "gather_data")
    # gather data is approved by the supply planners
    assert inbox_of(company, SAM) == [
        ("approval_requested", "The gather data of 2027-03 waits for your approval")
    ]
    assert inbox_of(company, EXA) == inbox_of(company, DORA) == []
    act(company, reject_step, SAM, "gather_data", "the open orders are a week old")
    [notice] = read(company, read_inbox, DORA).items
    assert notice.kind == "step_rejected"
    assert notice.body == "Reason: the open orders are a week old"
    assert (notice.object_kind, notice.object_key) == ("cycle_step", "2027-03/gather_data")
    # a comment on the step reaches those the step concerns
    act(company, add_comment, DORA, "cycle_step", "2027-03/gather_data", "@sam reloaded")
    assert inbox_of(company, SAM)[0] == (
        "mentioned",
        "dora mentioned you on the cycle step 2027-03/gather_data",
    )


def test_the_calendar_reminds_owners_once_when_due_and_once_when_overdue(
    company: sa.Engine,
) -> None:
    act(company, open_cycle, DORA, "2027-03")
    due = {s.name: s.due_on for s in read(company, cycle_status, ANN).steps}["gather_data"]
    written = act(company, remind_steps, ANN, today=due - timedelta(days=1), days_before=2)
    assert [(n.kind.value, n.title) for n in written] == [
        ("step_due", "The gather data of 2027-03 is due 2027-03-03")
    ]
    assert act(company, remind_steps, ANN, today=due - timedelta(days=1)) == []
    late = act(company, remind_steps, ANN, today=due + timedelta(days=1), days_before=0)
    assert [n.kind.value for n in late] == ["step_overdue"]
    assert [k for k, _ in inbox_of(company, DORA)] == ["step_overdue", "step_due"]


def test_a_job_that_ends_tells_its_owner(company: sa.Engine) -> None:
    with unit_of_work(company) as session:
        for _ in range(2):
            session.add(
                Job(
                    kind="supply",
                    parameters={},
                    owner="sam",
                    state="queued",
                    progress=0.0,
                    message="",
                    stored=False,
                    created_at=datetime.now(UTC),
                    attempts=0,
                    cancel_requested=False,
                    version=1,
                )
            )
    for state in (JobState.succeeded, JobState.failed):
        job = act(company, claim_next, "w1")
        assert job is not None
        act(company, finish, job.id, "w1", state, message=f"{state.value}: done")
    assert [k for k, _ in inbox_of(company, SAM)] == ["job_failed", "job_succeeded"]


# --- e-mail ---------------------------------------------------------------------------------


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    """An SMTP server on 127.0.0.1, on a port free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = Inbox()
    server = Controller(received, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield port, received
    finally:
        server.stop()


def mail_settings(port: int) -> Settings:
    return Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_from="oneplan@example.com", smtp_starttls=False
    )


def test_a_rolled_back_event_sends_no_mail(company: sa.Engine, smtp: tuple[int, Inbox]) -> None:
    port, received = smtp
    act(company, set_mail, SAM, "sam@example.com", "each")
    act(company, open_cycle, DORA, "2027-03")
    with pytest.raises(RuntimeError), unit_of_work(company) as session:
        submit_step(session, DORA, "gather_data")
        raise RuntimeError("the request failed after the move")
    assert count(company, MailMessage) == count(company, Notification) == 0
    report = send_outbox(company, mail_settings(port))
    assert (report.sent, received.messages) == (0, [])


def test_mail_reaches_the_smtp_server_after_commit(
    company: sa.Engine, smtp: tuple[int, Inbox]
) -> None:
    port, received = smtp
    act(company, set_mail, SAM, "sam@example.com", "each")
    act(company, set_mail, EXA, "exa@example.com", "daily")
    act(company, open_cycle, DORA, "2027-03")
    act(company, submit_step, DORA, "gather_data")
    act(company, add_comment, DORA, "family", "HOS", "@exa @sam see the promotion")
    report = send_outbox(company, mail_settings(port), now=datetime(2027, 3, 2, 6, tzinfo=UTC))
    assert (report.sent, report.failed, report.digests) == (2, 0, 0)  # before the digest hour
    [(to, first), (_, second)] = received.messages
    assert to == ["sam@example.com"]
    assert first["Subject"] == "[oneplan] The gather data of 2027-03 waits for your approval"
    assert first["From"] == "oneplan@example.com"
    assert "Submitted by dora" in first.get_payload()
    assert second["Subject"] == "[oneplan] dora mentioned you on the family HOS"
    # the daily digest: once a day from the digest hour, with what was not mailed yet
    at_eight = datetime(2027, 3, 2, 8, tzinfo=UTC)
    report = send_outbox(company, mail_settings(port), now=at_eight)
    assert (report.sent, report.digests) == (1, 1)
    to, digest = received.messages[-1]
    assert to == ["exa@example.com"]
    assert digest["Subject"] == "[oneplan] 1 notification(s), 2027-03-02"
    assert "dora mentioned you on the family HOS" in digest.get_payload()
    again = send_outbox(company, mail_settings(port), now=at_eight + timedelta(hours=1))
    assert (again.sent, again.digests) == (0, 0)


def test_mail_is_off_by_default_and_a_bad_address_is_refused(company: sa.Engine) -> None:
    with pytest.raises(Conflict, match="e-mail is off"):
        send_outbox(company, Settings())
    with pytest.raises(ValidationFailed, match="need an e-mail address"):
        act(company, set_mail, SAM, "sam at example")
    with pytest.raises(PermissionDenied):
        act(company, set_mail, SAM, "x@example.com", user="exa")


def test_a_failed_send_keeps_the_message_and_the_job_workers_send_it(
    company: sa.Engine, smtp: tuple[int, Inbox]
) -> None:
    from oneplan.worker.loop import Worker

    port, received = smtp
    act(company, set_mail, SAM, "sam@example.com", "each")
    act(company, open_cycle, DORA, "2027-03")
    act(company, submit_step, DORA, "gather_data")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    report = send_outbox(company, mail_settings(closed))
    assert (report.sent, report.failed) == (0, 1)
    assert report.errors[0].startswith(f"cannot reach the SMTP server 127.0.0.1:{closed}")
    with unit_of_work(company, write=False) as session:
        [waiting] = session.scalars(sa.select(MailMessage)).all()
    assert (waiting.sent_at, waiting.attempts) == (None, 1)
    # an idle job worker sends the outbox while e-mail is on
    Worker(company, mail_settings(port)).send_mail()
    assert [to for to, _ in received.messages] == [["sam@example.com"]]

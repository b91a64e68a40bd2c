"""Comments on the things of the S&OP month: add, list, reply, edit, withdraw (docs/cycle.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from oneplan.choices import CommentOn
from oneplan.cli.common import console, database, handle_errors, local_actor, say
from oneplan.cli.render import table, when

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from oneplan.services.comment.schemas import CommentInfo

T = TypeVar("T")

Kind = Annotated[CommentOn, typer.Argument(help="What the comment is about.")]
Key = Annotated[
    str,
    typer.Argument(
        help="Which one: an item, family or resource code, a scenario's name, a plan version "
        "or decision id, 2027-03/demand_review (a step), 2027-03/2 (an issue), "
        "family/HOS/2027-03 (a demand plan cell; total/2027-03 for the total)."
    ),
]
Text = Annotated[str, typer.Argument(help="What you say; @name tells that user.")]
CommentId = Annotated[int, typer.Argument(help="The comment's id, as `comment list` shows it.")]
Expect = Annotated[
    int | None,
    typer.Option("--expect", help="The version you saw (`comment list`): refused if it changed."),
]


def _write(call: Callable[[Session], T]) -> T:
    from oneplan.db.session import unit_of_work

    with unit_of_work(database()) as session:
        return call(session)


def _said(comment: CommentInfo, verb: str) -> None:
    say(f"comment {comment.id} on {comment.object_kind.value} {comment.object_key}", f"{verb}:")
    if comment.mentions:
        say(f"told: {', '.join(comment.mentions)}")


@handle_errors
def add(kind: Kind, key: Key, text: Text) -> None:
    """Comment on an object; everyone @mentioned finds it in their inbox."""
    from oneplan.services.comment.service import add_comment

    _said(_write(lambda session: add_comment(session, local_actor(), kind, key, text)), "added")


@handle_errors
def reply_command(comment_id: CommentId, text: Text) -> None:
    """Answer a comment, on the same object."""
    from oneplan.services.comment.service import reply

    _said(_write(lambda session: reply(session, local_actor(), comment_id, text)), "replied")


@handle_errors
def edit(comment_id: CommentId, text: Text, expect: Expect = None) -> None:
    """Change the text of your own comment (the record keeps every text it had)."""
    from oneplan.services.comment.service import edit_comment

    edited = _write(
        lambda session: edit_comment(
            session, local_actor(), comment_id, text, expected_version=expect
        )
    )
    _said(edited, "edited")


@handle_errors
def withdraw(comment_id: CommentId, expect: Expect = None) -> None:
    """Take your own comment back: it stays, marked withdrawn."""
    from oneplan.services.comment.service import withdraw_comment

    done = _write(
        lambda session: withdraw_comment(
            session, local_actor(), comment_id, expected_version=expect
        )
    )
    _said(done, "withdrawn")


@handle_errors
def list_command(kind: Kind, key: Key) -> None:
    """The comments on an object, oldest first; a reply is indented under what it answers."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.comment.service import list_comments

    with unit_of_work(database(), write=False) as session:
        thread = list_comments(session, local_actor(), kind, key)
    depth: dict[int, int] = {}
    rows = []
    for c in thread.comments:
        depth[c.id] = 0 if c.parent_id is None else depth.get(c.parent_id, 0) + 1
        text = "(withdrawn) " + c.text if c.withdrawn else c.text
        edited = " (edited)" if c.edited_at is not None else ""
        rows.append(
            (c.id, "  " * depth[c.id] + text, c.author, when(c.created_at) + edited, c.version)
        )
    title = f"Comments on {thread.kind.value} {thread.key}"
    if not rows:
        say(f"no comments on {thread.kind.value} {thread.key} yet")
        return
    columns = ["id", "comment", "by", "at", "version"]
    console.print(table(title, columns, rows, right=["id", "version"]))


def register(app: typer.Typer) -> None:
    """Add ``comment ...`` to the ``oneplan`` command."""
    comment_app = typer.Typer(
        help="Comments on the month's plans, steps and decisions, with @mentions.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    comment_app.command("add")(add)
    comment_app.command("list")(list_command)
    comment_app.command("reply")(reply_command)
    comment_app.command("edit")(edit)
    comment_app.command("withdraw")(withdraw)
    app.add_typer(comment_app, name="comment")

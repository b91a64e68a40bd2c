"""Comments: add one on an object, reply to one, edit or withdraw one's own, list an object's
thread. Every function takes a Session and an Actor and only flushes; the caller commits.

A person comments on, and reads the comments of, only what their scope lets them see
(`oneplan.services.comment.objects`). ``@name`` mentions a user: each one named must be an
active user who may see the object (else the comment is refused, naming them), and is told in
their inbox in the comment's own transaction. A comment is never deleted: its author may edit
it (naming the version they edited, so an edit on a text someone changed since is refused) or
withdraw it, and the audit trail keeps every text it had.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.choices import CommentOn, NoticeKind
from oneplan.db.comments import Comment
from oneplan.db.users import User
from oneplan.errors import (
    Conflict,
    InputError,
    NotFound,
    PermissionDenied,
    Problem,
    ValidationFailed,
)
from oneplan.services.actor import Actor
from oneplan.services.audit.service import record
from oneplan.services.comment.objects import Subject, resolve
from oneplan.services.comment.schemas import TEXT_LENGTH, CommentInfo, CommentThread
from oneplan.services.inbox.service import notify
from oneplan.services.permissions import Permission, allowed, require, require_some
from oneplan.services.users.actors import actor_of
from oneplan.services.versioning import check_version

SUBJECT = "comment"
#: ``@name``: not inside a word or an address (ann@example.com mentions nobody); a name may hold
#: letters, digits and ``_ . -``, and a full stop or hyphen ending a sentence is not part of it.
MENTION = re.compile(r"(?<![\w@.])@([\w][\w.\-]*)")


def mentions_in(text: str) -> list[str]:
    """The user names ``text`` mentions, each once, in the order they appear.

    >>> mentions_in("@ann please check, cc @bob.smith. Mail: sam@example.com, @ann again")
    ['ann', 'bob.smith']
    """
    return list(dict.fromkeys(name.rstrip(".-") for name in MENTION.findall(text)))


def _see(actor: Actor, subject: Subject) -> None:
    """The actor may read, over every family and location the object reaches."""
    require_some(actor, Permission.read)
    if subject.targets:
        require(actor, Permission.read, subject.targets)


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InputError("is empty: say something", table="comment", column="text")
    if len(text) > TEXT_LENGTH:
        raise InputError(
            f"has {len(text)} characters; at most {TEXT_LENGTH} are kept",
            table="comment",
            column="text",
        )
    return text


def _may_see(user: User, subject: Subject) -> bool:
    grants = actor_of(user).grants
    return bool(grants) and all(
        allowed(grants, Permission.read, family=family, location=location)
        for family, location in subject.targets
    )


def _mentioned(session: Session, text: str, subject: Subject) -> list[str]:
    """The names mentioned, once each checked to be an active user who may see ``subject``;
    every name that is not is reported at once."""
    names = mentions_in(text)
    if not names:
        return []
    users = {u.name: u for u in session.scalars(sa.select(User).where(User.name.in_(names)))}
    problems = []
    for name in names:
        user = users.get(name)
        if user is None:
            problem = f"@{name} is not a user of this database"
        elif not user.active:
            problem = f"@{name} is disabled"
        elif not _may_see(user, subject):
            problem = f"@{name} may not see the {subject}: their scope does not reach it"
        else:
            continue
        problems.append(Problem("comment", None, "text", problem))
    if problems:
        raise ValidationFailed(problems)
    return names


def _tell(
    session: Session, actor: Actor, comment: Comment, names: list[str], subject: Subject
) -> None:
    others = [n for n in names if n != actor.name]
    if not others:
        return
    notify(
        session,
        others,
        NoticeKind.mentioned,
        f"{actor.name} mentioned you on the {subject}",
        caused_by=actor.name,
        body=comment.text,
        about=(subject.kind.value, subject.key),
        at=comment.edited_at or comment.created_at,
    )


def add_comment(
    session: Session,
    actor: Actor,
    kind: CommentOn | str,
    key: str,
    text: str,
    *,
    reply_to: int | None = None,
) -> CommentInfo:
    """Comment on the object ``kind`` ``key`` (or, with ``reply_to``, answer that comment on
    its object; ``kind`` and ``key`` are then the parent's). Everyone @mentioned is told in
    their inbox. The caller commits."""
    parent = None
    if reply_to is not None:
        parent = _get(session, reply_to)
        kind, key = parent.object_kind, parent.object_key
    subject = resolve(session, kind, key)
    _see(actor, subject)
    text = _text(text)
    names = _mentioned(session, text, subject)
    now = datetime.now(UTC)
    comment = Comment(
        object_kind=subject.kind.value,
        object_key=subject.key,
        parent_id=None if parent is None else parent.id,
        text=text,
        mentions=names,
        author=actor.name,
        created_at=now,
        withdrawn=False,
    )
    session.add(comment)
    session.flush()
    detail = {
        "kind": subject.kind.value,
        "key": subject.key,
        "reply_to": comment.parent_id,
        "text": text,
        "mentions": names,
    }
    record(session, actor, "comment.add", SUBJECT, comment.id, detail, at=now)
    _tell(session, actor, comment, names, subject)
    if parent is not None:
        _tell_author(session, actor, parent, comment, names, subject)
    return CommentInfo.model_validate(comment)


def _tell_author(
    session: Session,
    actor: Actor,
    parent: Comment,
    answer: Comment,
    told: list[str],
    subject: Subject,
) -> None:
    """The author of the comment answered hears of it (unless they answered themselves, were
    just told of a mention, or may no longer see the object)."""
    if parent.author == actor.name or parent.author in told:
        return
    author = session.scalars(sa.select(User).where(User.name == parent.author)).first()
    if author is not None and (not author.active or not _may_see(author, subject)):
        return
    notify(
        session,
        [parent.author],
        NoticeKind.replied,
        f"{actor.name} answered your comment on the {subject}",
        caused_by=actor.name,
        body=answer.text,
        about=(subject.kind.value, subject.key),
        at=answer.created_at,
    )


def reply(session: Session, actor: Actor, comment_id: int, text: str) -> CommentInfo:
    """Answer comment ``comment_id``, on the same object. The caller commits."""
    return add_comment(session, actor, "", "", text, reply_to=comment_id)


def _get(session: Session, comment_id: int, *, lock: bool = False) -> Comment:
    query = sa.select(Comment).where(Comment.id == comment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(query).one_or_none()
    if found is None:
        raise NotFound(f"there is no comment {comment_id}")
    return found


def _own(
    session: Session, actor: Actor, comment_id: int, verb: str, expected: int | None
) -> tuple[Comment, Subject]:
    comment = _get(session, comment_id, lock=True)
    subject = resolve(session, comment.object_kind, comment.object_key)
    _see(actor, subject)
    if comment.author != actor.name:
        raise PermissionDenied(
            f"{actor.name} may not {verb} comment {comment_id}: only its author "
            f"({comment.author}) may"
        )
    check_version(
        f"comment {comment_id}",
        comment.version,
        expected,
        lambda: CommentInfo.model_validate(comment),
    )
    if comment.withdrawn:
        raise Conflict(f"comment {comment_id} is withdrawn: it is kept as it was")
    return comment, subject


def edit_comment(
    session: Session,
    actor: Actor,
    comment_id: int,
    text: str,
    *,
    expected_version: int | None = None,
) -> CommentInfo:
    """Change the text of one's own comment, as of ``expected_version`` (`Stale` when it has
    moved on since; None: the command line's "as it is now"). Those newly @mentioned are told.
    The caller commits."""
    comment, subject = _own(session, actor, comment_id, "edit", expected_version)
    text = _text(text)
    names = _mentioned(session, text, subject)
    before, known = comment.text, set(comment.mentions)
    now = datetime.now(UTC)
    comment.text, comment.mentions, comment.edited_at = text, names, now
    session.flush()
    detail = {"from": before, "to": text, "version": comment.version}
    record(session, actor, "comment.edit", SUBJECT, comment.id, detail, at=now)
    _tell(session, actor, comment, [n for n in names if n not in known], subject)
    return CommentInfo.model_validate(comment)


def withdraw_comment(
    session: Session, actor: Actor, comment_id: int, *, expected_version: int | None = None
) -> CommentInfo:
    """Take one's own comment back: it stays, marked withdrawn. The caller commits."""
    comment, _ = _own(session, actor, comment_id, "withdraw", expected_version)
    now = datetime.now(UTC)
    comment.withdrawn, comment.edited_at = True, now
    session.flush()
    record(session, actor, "comment.withdraw", SUBJECT, comment.id, {}, at=now)
    return CommentInfo.model_validate(comment)


def show_comment(session: Session, actor: Actor, comment_id: int) -> CommentInfo:
    """One comment, if the actor may see its object."""
    comment = _get(session, comment_id)
    _see(actor, resolve(session, comment.object_kind, comment.object_key))
    return CommentInfo.model_validate(comment)


def list_comments(session: Session, actor: Actor, kind: CommentOn | str, key: str) -> CommentThread:
    """Every comment on the object, oldest first (replies name their parent)."""
    subject = resolve(session, kind, key)
    _see(actor, subject)
    rows = session.scalars(
        sa.select(Comment)
        .where(Comment.object_kind == subject.kind.value, Comment.object_key == subject.key)
        .order_by(Comment.id)
    )
    return CommentThread(
        kind=subject.kind, key=subject.key, comments=[CommentInfo.model_validate(c) for c in rows]
    )

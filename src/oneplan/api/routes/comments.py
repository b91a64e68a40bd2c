"""Comments on the things of the S&OP month, with replies and @mentions (docs/cycle.md).

A comment's ETag is its version: an edit or a withdrawal names the version it was made on in
If-Match, so an edit on a text its author changed since (in another window) is refused with 412
and the comment as it is now.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from oneplan.api.deps import CurrentActor, IfMatch, SessionDep, etag
from oneplan.choices import CommentOn
from oneplan.services.comment.schemas import TEXT_LENGTH, CommentIn, CommentInfo, CommentThread

router = APIRouter(prefix="/comments", tags=["comments"])
CommentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The comment's id")]
EDITS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not the comment's author, or out of their scope"},
    404: {"description": "No such comment"},
    409: {"description": "The comment is withdrawn"},
    412: {"description": "The comment changed since it was read; the current comment"},
    422: {"description": "An empty text, or an @mention of nobody the object may be shown to"},
    428: {"description": "No If-Match header"},
}


class Text(BaseModel):
    text: str = Field(min_length=1, max_length=TEXT_LENGTH, description="@name mentions a user")


def _tagged(found: CommentInfo, response: Response) -> CommentInfo:
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("", responses={403: {}, 404: {}, 422: {}})
def list_comments(
    kind: Annotated[CommentOn, Query(description="What the comments are about")],
    key: Annotated[str, Query(min_length=1, max_length=300, description="Which one")],
    session: SessionDep,
    actor: CurrentActor,
) -> CommentThread:
    """Every comment on one object, oldest first; a reply names the comment it answers."""
    from oneplan.services.comment.service import list_comments

    return list_comments(session, actor, kind, key)


@router.post("", status_code=201, responses={403: {}, 404: {}, 422: {}})
def add_comment(
    body: CommentIn, response: Response, session: SessionDep, actor: CurrentActor
) -> CommentInfo:
    """Comment on an object (docs/cycle.md lists the kinds and their keys); everyone
    @mentioned finds it in their inbox."""
    from oneplan.services.comment.service import add_comment

    return _tagged(add_comment(session, actor, body.kind, body.key, body.text), response)


@router.get("/{comment_id}", responses={403: {}, 404: {}})
def show_comment(
    comment_id: CommentId, response: Response, session: SessionDep, actor: CurrentActor
) -> CommentInfo:
    """One comment; its ETag is what an edit sends in If-Match."""
    from oneplan.services.comment.service import show_comment

    return _tagged(show_comment(session, actor, comment_id), response)


@router.post("/{comment_id}/replies", status_code=201, responses={403: {}, 404: {}, 422: {}})
def reply_to_comment(
    comment_id: CommentId, body: Text, response: Response, session: SessionDep, actor: CurrentActor
) -> CommentInfo:
    """Answer a comment, on the same object."""
    from oneplan.services.comment.service import reply

    return _tagged(reply(session, actor, comment_id, body.text), response)


@router.patch("/{comment_id}", responses=EDITS)
def edit_comment(
    comment_id: CommentId,
    body: Text,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> CommentInfo:
    """Change the text of one's own comment; those newly @mentioned are told."""
    from oneplan.services.comment.service import edit_comment

    found = edit_comment(session, actor, comment_id, body.text, expected_version=expected)
    return _tagged(found, response)


@router.post("/{comment_id}/withdraw", responses=EDITS)
def withdraw_comment(
    comment_id: CommentId,
    expected: IfMatch,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> CommentInfo:
    """Take one's own comment back: it stays, marked withdrawn."""
    from oneplan.services.comment.service import withdraw_comment

    found = withdraw_comment(session, actor, comment_id, expected_version=expected)
    return _tagged(found, response)

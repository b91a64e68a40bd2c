"""What the comment services take and return. The kinds of object a comment is about are one
choice list (`CommentOn`, from `oneplan.choices`); each kind is named by a key:

- demand_cell: level/member/month (the total: total/month), e.g. family/HOS/2027-03
- item, family, resource: the code, e.g. HOS-0001
- scenario: its name
- issue: cycle month/rank on the meeting list, e.g. 2027-03/2
- plan_version, decision: the id, e.g. 12
- cycle_step: cycle month/step, e.g. 2027-03/demand_review
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oneplan.choices import CommentOn
from oneplan.services.moments import Moment

__all__ = ["CommentIn", "CommentInfo", "CommentOn", "CommentThread"]

#: The longest comment kept.
TEXT_LENGTH = 10_000


class CommentIn(BaseModel):
    """A new comment on an object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: CommentOn
    key: str = Field(min_length=1, max_length=300, description="The object's key (docs/cycle.md)")
    text: str = Field(min_length=1, max_length=TEXT_LENGTH, description="@name mentions a user")


class CommentInfo(BaseModel):
    """A comment as stored; ``version`` is what an edit names (HTTP: its ETag)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    object_kind: CommentOn
    object_key: str
    parent_id: int | None
    text: str
    mentions: list[str]
    author: str
    created_at: Moment
    edited_at: Moment | None
    withdrawn: bool
    version: int


class CommentThread(BaseModel):
    """Every comment on one object, oldest first; a reply names the comment it answers."""

    model_config = ConfigDict(frozen=True)

    kind: CommentOn
    key: str
    comments: list[CommentInfo]

"""A comment thread on any object (a demand cell, a family, a scenario, an issue, a step...):
what was said, oldest first with replies under the comment they answer, and a box to add one.

``@name`` mentions a person, who finds it in their inbox; the comment service checks that the
visitor may see the object and that everyone mentioned may too."""

from __future__ import annotations

from nicegui import ui

from oneplan.choices import CommentOn
from oneplan.services.comment.schemas import CommentInfo, CommentThread
from oneplan.web.format import when
from oneplan.web.layout import attempt
from oneplan.web.visitor import Visitor


class Thread:
    """The comments on one object, in an expansion that says how many there are."""

    def __init__(self, visitor: Visitor, kind: CommentOn, key: str, title: str = "") -> None:
        self.visitor, self.kind, self.key = visitor, kind, key
        self.title = title or "Comments"
        self.thread: CommentThread | None = None

    async def load(self) -> CommentThread:
        from oneplan.services.comment.service import list_comments

        self.thread = await self.visitor.call(list_comments, self.kind, self.key)
        return self.thread

    async def add(self, text: str, reply_to: int | None = None) -> None:
        from oneplan.services.comment.service import add_comment

        done = await attempt(
            lambda: self.visitor.call(add_comment, self.kind, self.key, text, reply_to=reply_to)
        )
        if done is not None:
            await self.load()
            self.draw.refresh()

    def _comment(self, comment: CommentInfo, depth: int) -> None:
        with ui.column().classes(f"gap-0 ml-{4 * depth} border-l-2 pl-2"):
            said = "(withdrawn)" if comment.withdrawn else comment.text
            edited = " (edited)" if comment.edited_at else ""
            ui.label(f"{comment.author}, {when(comment.created_at)}{edited}").classes(
                "text-xs text-gray-500"
            )
            ui.label(said).classes("text-sm whitespace-pre-wrap").mark(f"comment-{comment.id}")

    @ui.refreshable_method
    def draw(self) -> None:
        comments = self.thread.comments if self.thread is not None else []
        children: dict[int | None, list[CommentInfo]] = {}
        for comment in comments:
            children.setdefault(comment.parent_id, []).append(comment)

        def under(parent: int | None, depth: int) -> None:
            for comment in children.get(parent, []):
                self._comment(comment, depth)
                under(comment.id, min(depth + 1, 3))

        with (
            ui.expansion(f"{self.title} ({len(comments)})", icon="forum")
            .classes("w-full")
            .mark(f"thread-{self.kind}-{self.key}")
        ):
            under(None, 0)
            box = (
                ui.textarea(placeholder="Write a comment; @name tells a person")
                .classes("w-full")
                .props("dense autogrow")
                .mark(f"comment-box-{self.kind}-{self.key}")
            )
            latest = comments[-1].id if comments else None

            async def send(reply: bool = False) -> None:
                if (box.value or "").strip():
                    await self.add(box.value, reply_to=latest if reply else None)

            with ui.row().classes("gap-2"):
                ui.button("Comment", on_click=lambda: send(False)).props("dense").mark(
                    f"comment-send-{self.kind}-{self.key}"
                )
                if latest is not None:
                    ui.button("Reply to the last", on_click=lambda: send(True)).props("dense flat")


async def comment_thread(visitor: Visitor, kind: CommentOn, key: str, title: str = "") -> Thread:
    """Draw the thread on ``kind`` ``key`` where the caller is."""
    thread = Thread(visitor, kind, key, title)
    if await attempt(thread.load) is not None:
        thread.draw()
    return thread


def thread_here(visitor: Visitor, kind: CommentOn, key: str, title: str = "") -> None:
    """Draw the thread on ``kind`` ``key`` where the caller is, read just after (for a part of
    a page drawn without waiting: a refreshed panel, a row)."""
    place = ui.column().classes("w-full gap-0")

    async def fill() -> None:
        thread = Thread(visitor, kind, key, title)
        if await attempt(thread.load) is not None:
            with place:
                thread.draw()

    ui.timer(0.01, fill, once=True)

"""What people see of plan versions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from oneplan.choices import PlanAction, PlanKind, PlanState
from oneplan.services.moments import Moment

if TYPE_CHECKING:  # frames are loaded only where a diff is made: listings start fast
    import pandas as pd

    from oneplan.engines.diff import FrameDiff

__all__ = [
    "DiffRows",
    "DiffRowsPage",
    "FrameDiffSummary",
    "PlanAction",
    "PlanDiff",
    "PlanDiffView",
    "PlanKind",
    "PlanState",
    "Transition",
    "VersionInfo",
    "VersionPage",
]


class VersionInfo(BaseModel):
    """One plan version, without its frames."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    cycle: str
    kind: str
    name: str
    state: PlanState
    content_hash: str
    settings: dict[str, Any]
    summary: dict[str, Any]
    created_at: Moment
    created_by: str
    state_changed_at: Moment | None = None
    state_changed_by: str | None = None
    frame_rows: dict[str, int] = {}
    """Row count of each stored frame, by name (filled by `show_version` only)."""
    version: int = 1
    """Raised by every state move: a move names the version it was asked on."""


class VersionPage(BaseModel):
    """One page of plan versions, newest first, and how many match in all."""

    model_config = ConfigDict(frozen=True)

    items: list[VersionInfo]
    total: int
    limit: int
    offset: int


class Transition(BaseModel):
    """A version moved to a new state, and the versions that move superseded."""

    model_config = ConfigDict(frozen=True)

    version: VersionInfo
    superseded: list[int] = []


@dataclass(frozen=True)
class PlanDiff:
    """Two versions compared: headline figures side by side (``figure, a, b, change``) and,
    per frame, the rows added, removed and changed from ``a`` to ``b``."""

    a: VersionInfo
    b: VersionInfo
    headline: pd.DataFrame
    frames: dict[str, FrameDiff] = field(default_factory=dict)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready records: months as ISO dates, an empty or infinite number
    (days of supply with no demand ahead) as null."""
    found: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return found


class ColumnTotal(BaseModel):
    """A column that adds up, summed over version a's rows and b's."""

    column: str
    a: float | None
    b: float | None
    change: float | None


class FrameDiffSummary(BaseModel):
    """What changed in one frame from version a to b: rows added, removed, changed, unchanged
    (matched on ``keys``), and the totals of the columns that add up (over ``totals_over``, the
    top level of a roll-up, else every row). ``only_in_a``/``only_in_b``: one version lacks it."""

    name: str
    keys: list[str]
    added: int
    removed: int
    changed: int
    unchanged: int
    totals: list[ColumnTotal]
    totals_over: str = ""
    only_in_a: bool = False
    only_in_b: bool = False

    @classmethod
    def of(cls, found: FrameDiff) -> FrameDiffSummary:
        return cls(
            name=found.name,
            keys=list(found.keys),
            added=len(found.added),
            removed=len(found.removed),
            changed=len(found.changed),
            unchanged=found.unchanged,
            totals=[ColumnTotal.model_validate(row) for row in records(found.totals)],
            totals_over=found.totals_over,
            only_in_a=found.only_in_a,
            only_in_b=found.only_in_b,
        )


class HeadlineFigure(BaseModel):
    """One headline figure of two versions: ``change`` is b - a; ``kind`` says how to read it
    (``share``: a share of one, its change in points; ``number``; ``text``)."""

    figure: str
    a: Any
    b: Any
    change: float | None
    kind: str


class PlanDiffView(BaseModel):
    """Two versions compared as the API returns it: the headline and each frame's summary; the
    rows themselves come a page at a time (`DiffRowsPage`)."""

    a: VersionInfo
    b: VersionInfo
    headline: list[HeadlineFigure]
    frames: list[FrameDiffSummary]

    @classmethod
    def of(cls, found: PlanDiff) -> PlanDiffView:
        return cls(
            a=found.a,
            b=found.b,
            headline=[HeadlineFigure.model_validate(r) for r in records(found.headline)],
            frames=[FrameDiffSummary.of(d) for d in found.frames.values()],
        )


class DiffRows(StrEnum):
    """Which rows of a frame's diff: those only b has, only a has, or both with a change."""

    added = "added"
    removed = "removed"
    changed = "changed"


class DiffRowsPage(BaseModel):
    """One page of a frame's added, removed or changed rows, in the diff's order, and how many
    there are in all. A changed row holds the keys and, per value column, ``<col>_a``,
    ``<col>_b`` and (numbers) ``<col>_change``."""

    frame: str
    rows: DiffRows
    keys: list[str]
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]

    @classmethod
    def of(cls, found: FrameDiff, rows: DiffRows, offset: int, limit: int) -> DiffRowsPage:
        frame: pd.DataFrame = getattr(found, rows.value)
        return cls(
            frame=found.name,
            rows=rows,
            keys=list(found.keys),
            total=len(frame),
            offset=offset,
            limit=limit,
            items=records(frame.iloc[offset : offset + limit]),
        )

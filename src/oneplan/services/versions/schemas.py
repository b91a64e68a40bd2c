"""What people see of plan versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from oneplan.choices import PlanAction, PlanKind, PlanState
from oneplan.services.moments import Moment

if TYPE_CHECKING:  # frames are loaded only where a diff is made: listings start fast
    import pandas as pd

    from oneplan.engines.diff import FrameDiff

__all__ = [
    "PlanAction",
    "PlanDiff",
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

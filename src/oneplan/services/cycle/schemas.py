"""What a step of the cycle reports: named figures with their kind, for any front end to show."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FigureKind = Literal["version", "count", "units", "money", "percent", "text", "file"]


class Figure(BaseModel):
    """One figure a step reports: ``money`` carries its currency in ``unit``; ``percent`` is a
    share (0.973 is 97.3 %); ``version`` a plan version id; ``file`` a path written."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: float | int | str | None
    kind: FigureKind
    unit: str = ""


class StepOutcome(BaseModel):
    """A step that ran: its name, how long it took and what it reports."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    seconds: float
    figures: list[Figure]

"""Requests and answers of the job domain, and the parameters of each kind of job."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oneplan.choices import Reconciliation
from oneplan.services.supply.schemas import SupplyOptions


class JobState(StrEnum):
    """Where a job is: waiting for a worker, running, or finished one of three ways."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


#: The states a job never leaves.
FINISHED = frozenset({JobState.succeeded, JobState.failed, JobState.cancelled})


class NoParameters(BaseModel):
    """A kind that takes no parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DemandJob(NoParameters):
    """The demand step's options (``oneplan demand run``)."""

    horizon: int | None = Field(None, ge=1, description="Months to plan; default horizon_periods.")
    fresh: bool = Field(False, description="Forecast again even if the history is unchanged.")
    reconcile: Reconciliation = Reconciliation.none


class SupplyJob(NoParameters):
    """The supply step's options (``oneplan supply run``)."""

    options: SupplyOptions = SupplyOptions()


class ScenarioJob(NoParameters):
    """A scenario to run (``oneplan scenario run``)."""

    name: str = Field(min_length=1, max_length=100)
    options: SupplyOptions = SupplyOptions()


class ReportJob(NoParameters):
    """Where the executive pack is written, on the worker's machine."""

    report_dir: str = "reports"


class CycleJob(NoParameters):
    """The cycle's steps (``oneplan cycle run``): a data package to import first (a path on
    the worker's machine), only some steps, and where the pack is written."""

    data_path: str | None = None
    steps: list[str] | None = None
    report_dir: str = "reports"


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite keeps no zone: every time oneplan writes is UTC
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class JobOut(BaseModel):
    """A job as stored: what it is, who asked, where it is, and what it made or why it failed.

    ``result`` holds ``steps`` (each step's name, title, seconds and figures) and ``versions``
    (the plan version each step stored, by step); ``error`` holds ``kind``, ``message`` and
    ``problems`` (each with ``file``, ``row``, ``column`` and ``message``).
    """

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    kind: str
    parameters: dict[str, Any]
    owner: str
    state: JobState
    progress: float
    message: str
    step: str | None
    phase: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    heartbeat_at: datetime | None
    attempts: int
    cancel_requested: bool
    version: int

    _zone = field_validator("created_at", "started_at", "finished_at", "heartbeat_at")(_utc)


class JobQuery(BaseModel):
    """Which jobs to list: filters (all optional) and one page, newest first."""

    model_config = ConfigDict(frozen=True)

    states: list[JobState] | None = None
    kind: str | None = None
    owner: str | None = None
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


class JobPage(BaseModel):
    """One page of jobs and how many match in all."""

    model_config = ConfigDict(frozen=True)

    items: list[JobOut]
    total: int
    offset: int
    limit: int


class JobLogOut(BaseModel):
    """One line of a job's log; ``id`` grows, so a follower asks for the lines after the last."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    at: datetime
    line: str

    _zone = field_validator("at")(_utc)


class ClaimedJob(BaseModel):
    """What a worker needs of the job it claimed."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    parameters: dict[str, Any]
    owner: str
    attempts: int

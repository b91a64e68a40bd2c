"""Write the master production schedule input of a supply plan, and plan frames as files.

What the MPS holds and how months split into ISO weeks: `oneplan.engines.supply.mps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from oneplan.datapack import ColumnSchema, PackageSchema, TableSchema, write_package
from oneplan.engines.supply.mps import schedule_frames
from oneplan.errors import InputError, NotFound
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require
from oneplan.services.supply.service import KIND, supply_version
from oneplan.services.versions.lifecycle import SUPPLY_PLANS
from oneplan.services.versions.schemas import VersionInfo
from oneplan.services.versions.service import released_supply_plan
from oneplan.services.versions.store import get_version, load_frames

_COLUMN_TYPES = {
    "floating": "number",
    "mixed-integer-float": "number",
    "integer": "integer",
    "boolean": "boolean",
    "datetime64": "date",
    "datetime": "date",
    "date": "date",
}


def frame_schema(name: str, frame: pd.DataFrame) -> TableSchema:
    """A package table schema for an output frame, column types read from its values."""
    columns = []
    for column in frame.columns:
        kind: Any = _COLUMN_TYPES.get(pd.api.types.infer_dtype(frame[column]), "string")
        if kind == "integer" and frame[column].dtype == object:
            kind = "number"
        columns.append(ColumnSchema(str(column), kind))
    return TableSchema(name, "", tuple(columns), ())


def write_plan_tables(frames: dict[str, pd.DataFrame], path: Path, fmt: str) -> list[Path]:
    """Write plan frames with the data-package writer (formula-safe text, exact numbers).

    csv and parquet: ``path`` is a folder with one file per frame; xlsx: ``path`` is a
    workbook with one sheet per frame. Infinite numbers (days of supply with no demand
    ahead) are written as empty cells in csv and xlsx.
    """
    if fmt not in ("csv", "xlsx", "parquet"):
        raise InputError(f"expected csv, xlsx or parquet, not {fmt!r}", table="format")
    if fmt != "parquet":
        frames = {name: frame.replace([np.inf, -np.inf], np.nan) for name, frame in frames.items()}
    schema = PackageSchema(tuple(frame_schema(name, f) for name, f in frames.items()))
    return write_package(frames, path, format=fmt, schema=schema)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MpsExport:
    version_id: int
    files: list[Path]
    rows: dict[str, int]
    quantity: float
    note: str | None = None
    """Set when no supply plan is released and the newest draft was written instead."""
    kind: str = KIND
    """``supply`` (the base plan) or ``scenario`` (an adopted or released scenario run)."""
    name: str = ""


def _supply_plan(
    session: Session, actor: Actor, version_id: int | None
) -> tuple[VersionInfo, pd.DataFrame]:
    """The version's supply plan frame: a supply version or a scenario run (which plans supply
    too); without an id, the newest supply version."""
    if version_id is None:
        version, frames = supply_version(session, actor, None, ["supply_plan"])
        return version, frames["supply_plan"]
    stored = get_version(session, version_id)
    if stored.kind not in SUPPLY_PLANS:
        raise NotFound(
            f"plan version {version_id} is a {stored.kind} plan, not a supply plan or scenario"
        )
    frames = load_frames(session, stored.id, ["supply_plan"])
    if "supply_plan" not in frames:
        raise NotFound(f"plan version {version_id} holds no supply_plan frame")
    return VersionInfo.model_validate(stored), frames["supply_plan"]


def export_mps(
    session: Session,
    actor: Actor,
    path: Path,
    *,
    version_id: int | None = None,
    fmt: str | None = None,
    grain: str = "both",
    lot_size: int = 1,
    minimum: int = 0,
) -> MpsExport:
    """Write the MPS input of a supply plan. Without an id: the released supply plan (the
    base plan, or the scenario run adopted or released in its place; the newest cycle's), or
    when none is released the newest supply version (``note`` then says so). With an id: that
    supply or scenario version.

    Quantities are whole lots of ``lot_size`` units (1: whole units), each month at least
    ``minimum`` units, and the weeks of a month add up to the month (the rounding rule of
    `oneplan.engines.supply.mps`). The data package has no lot size per item yet: one lot size
    and minimum apply to every item.

    ``fmt`` defaults to xlsx when ``path`` ends in ``.xlsx``, else csv (a folder).
    """
    require(actor, Permission.export_mps)
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"expected csv or xlsx, not {fmt!r}", table="format")
    note = None
    if version_id is None:
        released = released_supply_plan(session, actor)
        version_id = released.id if released is not None else None
    version, plan = _supply_plan(session, actor, version_id)
    if version_id is None:  # asked for the plan in force, and none is released
        note = (
            f"no supply plan is released yet: wrote the newest, version #{version.id} "
            f"({version.state})"
        )
    schedule = schedule_frames(plan, grain, lot_size=lot_size, minimum=minimum)
    files = write_plan_tables(schedule, path, fmt)
    total = next(iter(schedule.values()))["quantity"].sum() if schedule else 0.0
    rows = {name: len(f) for name, f in schedule.items()}
    return MpsExport(version.id, files, rows, float(total), note, version.kind, version.name)

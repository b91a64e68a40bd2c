"""Overrides of the demand plan: checked against the master data, then applied in order.

An override names a node of the hierarchy (an item, a family, a region, one item at one
location, the total...) and a month, and either sets the node's total (``absolute``) or changes
it by a percentage (``relative``); it is split to item x location in proportion to the plan as
it stands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from oneplan.choices import OverrideKind, OverrideLevel, values
from oneplan.engines.frames import ID_SEPARATOR, LARGEST_AMOUNT, did_you_mean, parse_month
from oneplan.errors import Problem

#: An override as the demand step reads it.
OVERRIDE_COLUMNS = [
    "id",
    "sequence",
    "level",
    "member",
    "period",
    "kind",
    "value",
    "reason",
    "author",
    "created_at",
]
#: The log of applying a cycle's overrides (frame ``overrides_applied``).
APPLIED_COLUMNS = [
    "override_id",
    "sequence",
    "level",
    "member",
    "period",
    "kind",
    "value",
    "reason",
    "author",
    "created_at",
    "before",
    "after",
    "change",
    "cells",
    "status",
]
REASON_LENGTH = 500
#: The largest month total an override may set, and the largest percent change: far above any
#: real plan, so that a typing slip (or 1e308) is refused instead of planned.
MAX_UNITS = LARGEST_AMOUNT
MAX_PERCENT = 10_000.0


def override_members(tables: Mapping[str, pd.DataFrame]) -> dict[str, set[str]]:
    """The codes an override may name at each level, from items, families and locations."""
    items, families, locations = tables["items"], tables["families"], tables["locations"]
    return {
        "item": set(items["code"]),
        "family": set(families["code"]),
        "category": set(families["category"]),
        "region": set(locations["region"]),
        "location": set(locations["code"]),
    }


def check_override(
    override: Mapping[str, Any],
    members: dict[str, set[str]],
    months: pd.DatetimeIndex,
    source: str,
    row: int | None,
) -> tuple[list[Problem], dict[str, Any]]:
    """Problems of one override (level, member, period, kind, value, reason), and its fields
    normalised; ``source`` and ``row`` locate the problems."""
    problems: list[Problem] = []

    def fail(column: str, message: str) -> None:
        problems.append(Problem(source, row, column, message))

    level = str(override.get("level") or "").strip()
    member = str(override.get("member") or "").strip()
    if level not in values(OverrideLevel):
        fail("level", f"{level!r} is not one of {', '.join(values(OverrideLevel))}")
    elif level == "total":
        if member not in ("", "total"):
            fail("member", f"must be empty for level total, got {member!r}")
        member = ""
    elif level == "item_location":
        item, _, location = member.partition(ID_SEPARATOR)
        if not location:
            fail("member", f"{member!r} is not ITEM{ID_SEPARATOR}LOCATION")
        elif item not in members["item"]:
            hint = did_you_mean(item, members["item"])
            fail("member", f"item {item!r} is not in items{hint}")
        elif location not in members["location"]:
            hint = did_you_mean(location, members["location"])
            fail("member", f"location {location!r} is not in locations{hint}")
    elif member not in members[level]:
        fail("member", f"{member!r} is not a known {level}{did_you_mean(member, members[level])}")
    period = parse_month(override.get("period"))
    if period is None:
        fail("period", f"{override.get('period')!r} is not a month like 2027-03")
    elif period not in months:
        fail(
            "period",
            f"{period:%Y-%m} is outside the plan ({months[0]:%Y-%m} to {months[-1]:%Y-%m})",
        )
    kind = str(override.get("kind") or "").strip()
    try:
        value = float(override.get("value"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if kind not in values(OverrideKind):
        fail("kind", f"{kind!r} is not one of {', '.join(values(OverrideKind))}")
    elif not math.isfinite(value):
        fail("value", f"{override.get('value')!r} is not a number")
    elif kind == "absolute" and value < 0:
        fail("value", f"{value:g} is negative; a plan cannot be set below zero units")
    elif kind == "absolute" and value > MAX_UNITS:
        fail("value", f"{value:g} units is above the largest month total, {MAX_UNITS:g}")
    elif kind == "relative" and value < -100:
        fail("value", f"{value:g}% is below -100%")
    elif kind == "relative" and value > MAX_PERCENT:
        fail("value", f"{value:g}% is above the largest change, +{MAX_PERCENT:g}%")
    reason = str(override.get("reason") or "").strip()
    if not reason:
        fail("reason", "is required: say why the plan changes")
    clean = {"level": level, "member": member, "period": period, "kind": kind, "value": value}
    return problems, {**clean, "reason": reason[:REASON_LENGTH]}


def apply_overrides(
    cells: pd.DataFrame, overrides: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Apply overrides in ``sequence`` order; returns each cell's override_adjustment and a log.

    ``cells`` [unique_id, item, location, family, category, region, ds, open, current] where
    ``current`` is the plan before overrides. An absolute override sets the node's month total:
    the difference is split over its cells in proportion to the plan as it stands (evenly over
    the open cells when the node is at zero). A relative one moves every cell by the percent,
    which is the same proportional split.
    """
    current = cells["current"].to_numpy(dtype="float64").copy()
    adjustment = np.zeros(len(cells))
    open_cell = cells["open"].to_numpy(dtype=bool)
    months = cells["ds"].to_numpy()
    log = []
    records: list[dict[Any, Any]] = overrides.sort_values("sequence").to_dict("records")
    for row in records:
        period = pd.Timestamp(row["period"]).to_datetime64()
        node = _node_mask(cells, str(row["level"]), str(row["member"])) & (months == period)
        before = float(current[node].sum())
        change = np.zeros(node.sum())
        if node.any():
            weights = current[node]
            if row["kind"] == "relative":
                change = weights * float(row["value"]) / 100.0
            else:
                total = weights.sum()
                if total <= 0:
                    weights = open_cell[node].astype(float)
                    weights = weights if weights.sum() > 0 else np.ones(node.sum())
                    total = weights.sum()
                change = (float(row["value"]) - before) * weights / total
            current[node] += change
            adjustment[node] += change
        status = "applied" if node.any() else "no demand at this node and month; nothing changed"
        log.append(
            {
                "override_id": row["id"],
                **{key: row[key] for key in APPLIED_COLUMNS[1:10]},
                "before": before,
                "after": float(current[node].sum()),
                "change": float(change.sum()),
                "cells": int(node.sum()),
                "status": status,
            }
        )
    applied = pd.DataFrame(log, columns=APPLIED_COLUMNS)
    return adjustment, applied


def _node_mask(cells: pd.DataFrame, level: str, member: str) -> np.ndarray:
    if level == "total":
        return np.ones(len(cells), dtype=bool)
    column = "unique_id" if level == "item_location" else level
    return (cells[column] == member).to_numpy(dtype=bool)

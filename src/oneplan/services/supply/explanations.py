"""Why a stored supply plan looks the way it does, read a page at a time within the reader's
scope: utilisation per resource and month, the binding constraints with their shadow prices,
unmet demand with its cause, and the workforce of each labour pool.

A row is about an item's family and/or a location (a resource is about its location, a
constraint about both its item and its place): a person sees the rows one of their grants
covers (`oneplan.services.scope.readable`); a resource is about no family, so a grant limited
to families does not reach it.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from oneplan.errors import NotFound
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.paging import in_months, page_records
from oneplan.services.scope import item_families, readable, resource_locations
from oneplan.services.supply.schemas import (
    BindingConstraintRow,
    ExplanationPage,
    UnmetDemandRow,
    UtilisationRow,
    WorkforceRow,
)
from oneplan.services.versions.store import get_version, load_frames

KIND = "supply"


def _frame(
    session: Session, version_id: int | None, name: str
) -> tuple[int, str, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The version (default: the newest supply plan; a scenario run holds the same frames),
    its currency, the frame ``name`` and the master data rows are placed with."""
    version = get_version(session, version_id, KIND if version_id is None else None)
    frames = load_frames(session, version.id, [name])
    if name not in frames:
        raise NotFound(f"plan version {version.id} (a {version.kind} plan) holds no {name}")
    tables = read_tables(session, ["items", "resources"])
    currency = str((version.summary or {}).get("currency") or "")
    return version.id, currency, frames[name], tables


def _page(
    version_id: int,
    currency: str,
    rows: pd.DataFrame,
    model: type[BaseModel],
    limit: int,
    offset: int,
) -> ExplanationPage:  # type: ignore[type-arg]
    items = [model.model_validate(r) for r in page_records(rows, limit, offset)]
    page: type[ExplanationPage] = ExplanationPage[model]  # type: ignore[valid-type,type-arg]
    return page(
        version_id=version_id,
        currency=currency,
        items=items,
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def utilisation(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    resource: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ExplanationPage[UtilisationRow]:
    """Each resource and month: capacity, hours used, overtime, relaxation, utilisation and
    shadow price, by resource and month."""
    found, currency, frame, tables = _frame(session, version_id, "capacity_plan")
    frame = frame.assign(location=resource_locations(tables["resources"], frame["resource"]))
    frame = frame[readable(actor, None, frame["location"])]
    if resource is not None:
        frame = frame[frame["resource"] == resource]
    rows = in_months(frame, start, end).sort_values(["resource", "period"], ignore_index=True)
    return _page(found, currency, rows, UtilisationRow, limit, offset)


def binding_constraints(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    resource: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ExplanationPage[BindingConstraintRow]:
    """The limits the plan runs into, the costliest first, each with its shadow price in money
    and what it means."""
    found, currency, frame, tables = _frame(session, version_id, "binding_constraints")
    places = frame["location"].fillna(resource_locations(tables["resources"], frame["resource"]))
    families = item_families(tables["items"], frame["item"])
    frame = frame[readable(actor, families, places)]
    if resource is not None:
        frame = frame[frame["resource"] == resource]
    dated = frame[frame["period"].notna()]
    rows = pd.concat([in_months(dated, start, end), frame[frame["period"].isna()]])
    rows = rows.loc[rows.index.sort_values()].reset_index(drop=True)  # the stored order
    return _page(found, currency, rows, BindingConstraintRow, limit, offset)


def unmet_demand(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    item: str | None = None,
    location: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ExplanationPage[UnmetDemandRow]:
    """Demand not met on time (backlog, lost sales) with its cause, the largest first."""
    found, currency, frame, tables = _frame(session, version_id, "unmet_demand")
    frame = frame[readable(actor, item_families(tables["items"], frame["item"]), frame["location"])]
    for column, wanted in (("item", item), ("location", location)):
        if wanted is not None:
            frame = frame[frame[column] == wanted]
    rows = in_months(frame, start, end)
    units = rows["backlog"] + rows["lost_sales"]
    rows = rows.assign(units=units).sort_values(
        ["units", "item", "location", "period"], ascending=[False, True, True, True]
    )
    return _page(found, currency, rows.drop(columns="units"), UnmetDemandRow, limit, offset)


def workforce(
    session: Session,
    actor: Actor,
    *,
    version_id: int | None = None,
    resource: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ExplanationPage[WorkforceRow]:
    """Each labour pool and month: workers, hires, lay-offs, regular and overtime hours."""
    found, currency, frame, tables = _frame(session, version_id, "workforce_plan")
    frame = frame.assign(location=resource_locations(tables["resources"], frame["resource"]))
    frame = frame[readable(actor, None, frame["location"])]
    if resource is not None:
        frame = frame[frame["resource"] == resource]
    rows = in_months(frame, start, end).sort_values(["resource", "period"], ignore_index=True)
    return _page(found, currency, rows, WorkforceRow, limit, offset)

"""The read-only parts of the demand page: forecast accuracy and value added, the node's
launches, phase-outs and events, and the overrides that change it."""

from __future__ import annotations

import pandas as pd
from nicegui import ui

from oneplan.engines.pipeline.accuracy import DemandAccuracy
from oneplan.services.demand.node_lists import NodeLists
from oneplan.web.grid import data_grid

ACCURACY_LEVELS = {"total": "Total", "family": "Family", "item": "Item x location"}


def accuracy_panel(measured: DemandAccuracy, level: str) -> None:
    """Accuracy by layer and lag, and the value each layer and author added, at ``level``."""
    accuracy = measured.accuracy
    through = measured.sales_through or "none yet"
    ui.label(
        f"Each cycle's plan against the sales that arrived since (sales through {through}). "
        "WAPE: the error as a share of sales; bias: above zero, the plan was too high; value "
        "added: how much a layer or author took off the error of the step before."
    ).classes("text-sm text-gray-600")
    if accuracy.empty or not accuracy["points"].any():
        ui.label(
            "No planned month has sales yet: accuracy is measured once the sales of a planned "
            "month are imported."
        ).mark("accuracy-empty")
        return
    shown = accuracy[accuracy["level"] == level].drop(columns="level")
    data_grid(
        shown,
        name=f"accuracy-{level}",
        formats={"wape": "share", "bias": "share", "mape": "share", "points": "units"}
        | {"actual": "units", "pending": "units"},
        height="h-48",
    )
    added = measured.value_added
    if len(added):
        ui.label("Forecast value added, per layer and per author").classes("font-semibold")
        data_grid(
            added[added["level"] == level].drop(columns="level"),
            name=f"value-added-{level}",
            formats={
                "error_before": "share",
                "error_after": "share",
                "error_change": "share",
                "value_added": "share",
            },
            height="h-48",
        )


def lists_panel(lists: NodeLists) -> None:
    """Launches and phase-outs of the node's items."""
    ui.label("Launches (the new item's forecast ramps up from its like item)").classes(
        "font-semibold"
    )
    if lists.launches.empty:
        ui.label("No launch under this node.")
    else:
        data_grid(lists.launches, name="launches", height="h-40")
    ui.label("Phase-outs (demand stops after the end date)").classes("font-semibold")
    if lists.phase_outs.empty:
        ui.label("No phase-out under this node.")
    else:
        data_grid(lists.phase_outs, name="phase-outs", height="h-40")


def events_panel(events: pd.DataFrame) -> None:
    """Promotions and one-time events on the node's items and locations."""
    ui.label(
        "Past events are cleaned out of the history the forecast learns from; future ones add "
        "their uplift (the Events row)."
    ).classes("text-sm text-gray-600")
    if events.empty:
        ui.label("No event under this node.")
        return
    data_grid(
        events,
        name="events",
        formats={"uplift_pct": "decimal", "uplift_quantity": "units"},
        height="h-64",
    )


def overrides_panel(overrides: pd.DataFrame) -> None:
    """The cycle's overrides that change the node, newest first."""
    if overrides.empty:
        ui.label("No override changes this node.").mark("no-overrides")
        return
    shown = pd.DataFrame(
        {
            "id": overrides["id"],
            "number": overrides["sequence"],
            "node": overrides["level"].str.replace("_", " x ")
            + " "
            + overrides["member"].str.replace("|", " at "),
            "month": pd.to_datetime(overrides["period"]).dt.strftime("%Y-%m"),
            "change": [
                f"= {v:,.0f}" if k == "absolute" else f"{v:+g}%"
                for k, v in zip(overrides["kind"], overrides["value"], strict=True)
            ],
            "reason": overrides["reason"],
            "author": overrides["author"],
            "at": pd.to_datetime(overrides["created_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    data_grid(shown, name="overrides", height="h-64")

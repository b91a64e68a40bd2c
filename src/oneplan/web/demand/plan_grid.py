"""The node's plan as a grid: one row per layer, one column per month; the consensus row takes
a typed number ("1200": set the month to 1,200 units) or percent ("+10%"), which becomes an
override with a reason asked for in a dialog. AG Grid's keyboard navigation is kept: arrows
move, Enter or typing edits, Escape cancels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pandas as pd
from nicegui import ui

from oneplan.errors import Stale
from oneplan.services.demand.nodes import NodePlan
from oneplan.web.format import units
from oneplan.web.grid import NUMBER_FORMATS, records, xlsx_bytes

EDITABLE_LAYER = "consensus"


def _month_title(month: str) -> str:
    return f"{pd.Timestamp(f'{month}-01'):%b %y}"


def grid_options(plan: NodePlan, editable: bool) -> dict[str, Any]:
    """AG Grid options: the layer titles pinned left, months right-aligned in whole units."""
    # a typed entry ("+10%") shows as typed until it is saved or put back
    formatter = (
        "params => { const value = params.value; if (typeof value === 'string') return value; "
        f"return {NUMBER_FORMATS['units']}; }}"
    )
    editable_rule = f"params => params.data.layer === '{EDITABLE_LAYER}'" if editable else None
    columns: list[dict[str, Any]] = [
        {"field": "layer", "hide": True},
        {"field": "title", "headerName": "Layer", "pinned": "left", "width": 210},
    ]
    for month in plan.months:
        column: dict[str, Any] = {
            "field": month,
            "headerName": _month_title(month),
            "type": "rightAligned",
            "width": 84,
            # text, not a number editor: a planner types "+10%" as well as "1200"
            "cellDataType": False,
            "cellEditor": "agTextCellEditor",
            ":valueFormatter": formatter,
        }
        if editable_rule is not None:
            column[":editable"] = editable_rule
        columns.append(column)
    columns.append(
        {
            "field": "all_months",
            "headerName": "All months",
            "type": "rightAligned",
            "width": 110,
            ":valueFormatter": formatter,
        }
    )
    return {
        "columnDefs": columns,
        "rowData": rows_of(plan),
        "animateRows": False,
        "singleClickEdit": False,
        "stopEditingWhenCellsLoseFocus": True,
        ":getRowClass": f"params => params.data.layer === '{EDITABLE_LAYER}' "
        "? 'op-consensus' : undefined",
    }


def rows_of(plan: NodePlan) -> list[dict[str, object]]:
    frame = plan.layers.copy()
    frame["all_months"] = frame[plan.months].sum(axis=1)
    value = frame["layer"] == "consensus_value"
    frame.loc[value, "title"] = f"Consensus value {plan.currency}".strip()
    return records(frame)


def export_frame(plan: NodePlan) -> pd.DataFrame:
    """The grid as the xlsx file has it: the layer titles and the months."""
    frame = plan.layers.drop(columns="layer").rename(columns={"title": "layer"})
    frame["all months"] = frame[plan.months].sum(axis=1)
    value = frame["layer"] == "Consensus value"
    frame.loc[value, "layer"] = f"Consensus value {plan.currency}".strip()
    return frame


class PlanGrid:
    """The grid of one node; ``save`` records a change and returns the plan to show next."""

    def __init__(
        self,
        plan: NodePlan,
        editable: bool,
        save: Callable[[str, str, str, float], Awaitable[NodePlan | None]],
    ) -> None:
        self.plan, self.editable, self.save = plan, editable, save
        name = f"demand-{plan.level}-{plan.member or 'total'}".replace("|", "-")
        with ui.row().classes("w-full items-center justify-between"):
            if editable:
                ui.label(
                    "Type a number (units for the month) or a percent (+10%) in the consensus "
                    "row; Enter saves after you give a reason."
                ).classes("text-sm text-gray-600")
            else:
                ui.label(
                    "Read only: changing the plan needs the demand planner or sales role."
                ).classes("text-sm text-gray-600").mark("read-only")
            ui.button(
                "Export to xlsx",
                icon="download",
                on_click=lambda: ui.download.content(
                    xlsx_bytes(export_frame(self.plan), "demand"), f"{name}.xlsx"
                ),
            ).props("flat dense").mark("export-plan")
        ui.add_css(".ag-row.op-consensus { font-weight: 600; background: #f0fdf4; }")
        self.grid = (
            ui.aggrid(grid_options(plan, editable), theme="balham", auto_size_columns=False)
            .classes("w-full")
            .style(f"height: {40 + 29 * len(plan.layers)}px")
            .mark("grid-plan")
            .props('data-testid="grid-plan"')
        )
        if editable:
            self.grid.on("cellValueChanged", self._changed)

    def show(self, plan: NodePlan) -> None:
        """Show ``plan`` (after a change, or to put back a cell whose change was cancelled)."""
        self.plan = plan
        self.grid.options["rowData"] = rows_of(plan)
        self.grid.style(f"height: {40 + 29 * len(plan.layers)}px")
        self.grid.update()

    def _changed(self, event: Any) -> None:
        args = event.args or {}
        month = str(args.get("colId") or "")
        data = args.get("data") or {}
        if data.get("layer") != EDITABLE_LAYER or month not in self.plan.months:
            return
        entry = str(args.get("newValue") if args.get("newValue") is not None else "").strip()
        if not entry:
            self.show(self.plan)
            return
        self.ask_reason(month, entry)

    def ask_reason(self, month: str, entry: str) -> None:
        plan = self.plan
        row = plan.layers.set_index("layer").loc[EDITABLE_LAYER]
        seen = float(row[month])
        with ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"Change {plan.title}, {_month_title(month)}").classes("text-lg")
            ui.label(f"From {units(seen)} units to {entry}").classes("text-gray-600")
            reason = (
                ui.textarea("Reason (required, kept with the override)")
                .classes("w-full")
                .mark("override-reason")
                .props('data-testid="override-reason" autofocus')
            )

            async def send() -> None:
                dialog.close()
                shown = await self.save(month, entry, str(reason.value or ""), seen)
                self.show(shown or self.plan)

            def cancel() -> None:
                dialog.close()
                self.show(self.plan)

            with ui.row():
                ui.button("Save override", on_click=send).props(
                    'color=primary data-testid="save-override"'
                ).mark("save-override")
                ui.button("Cancel", on_click=cancel).props("flat").mark("cancel-override")
        dialog.props("persistent")  # only Save or Cancel close it: the typed cell is put back
        dialog.open()


def stale_words(error: Stale) -> str:
    """The other person's figure, in words, for a change refused as stale."""
    current = error.current if isinstance(error.current, dict) else {}
    who = ", ".join(current.get("changed_by") or []) or "someone"
    return f"Changed meanwhile by {who}: now {units(current.get('consensus'))} units."

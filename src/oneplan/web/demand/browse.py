"""The nodes of a level within the node shown, biggest first, a page at a time: the server
filters and pages, so a level of 20,000 items at locations sends the browser 50 rows."""

from __future__ import annotations

from html import escape

from nicegui import ui

from oneplan.services.demand.nodes import NodePage, level_choices, list_nodes
from oneplan.web.demand import node_href
from oneplan.web.grid import NUMBER_FORMATS, records
from oneplan.web.visitor import Visitor

PAGE_ROWS = 50


class NodeBrowser:
    """A level picker, a search box and one page of members, each a link to its own node."""

    def __init__(
        self, visitor: Visitor, level: str, member: str, title: str, child: str, currency: str
    ) -> None:
        self.visitor, self.currency = visitor, currency
        self.within = None if level == "total" else (level, member)
        self.title = title
        self.offset = 0
        with ui.row().classes("w-full items-end gap-4"):
            self.level = (
                ui.select(level_choices(), value=child, label="Level", on_change=self._restart)
                .classes("w-48")
                .mark("browse-level")
            )
            self.search = (
                ui.input("Search code or name", on_change=self._restart)
                .props("clearable debounce=400")
                .classes("w-64")
                .mark("browse-search")
            )
            self.where = ui.label().classes("text-sm text-gray-600")
        self.grid = (
            ui.aggrid(
                {
                    "columnDefs": [],
                    "rowData": [],
                    "defaultColDef": {"flex": 1, "minWidth": 90, "sortable": False},
                    "animateRows": False,
                },
                theme="balham",
                html_columns=[0],
            )
            .classes("w-full")
            .style("height: 330px")
            .mark("grid-nodes")
        )
        with ui.row().classes("items-center gap-2"):
            self.previous = ui.button("Previous", icon="chevron_left", on_click=self._back)
            self.previous.props("flat dense").mark("nodes-previous")
            self.counter = ui.label().mark("nodes-count")
            self.next = ui.button("Next", icon="chevron_right", on_click=self._forward)
            self.next.props("flat dense").mark("nodes-next")

    async def load(self) -> None:
        level = str(self.level.value)
        found: NodePage = await self.visitor.call(
            list_nodes,
            level,
            within=self.within,
            search=str(self.search.value or ""),
            limit=PAGE_ROWS,
            offset=self.offset,
        )
        self.show(found)

    def show(self, found: NodePage) -> None:
        rows = found.rows.copy()
        rows.insert(
            0,
            "node",
            [
                f'<a class="text-primary" href="{escape(node_href(found.level, m))}">'
                f"{escape(m.replace('|', ' at ') or 'total')}</a>"
                for m in rows["member"]
            ],
        )
        rows = rows.drop(columns=["member", "item", "location"], errors="ignore")
        formatter = f"params => {{ const value = params.value; return {NUMBER_FORMATS['units']}; }}"
        titles = {"node": "Node", "name": "Name", "units": "Units, all months"}
        titles["value"] = f"Value {self.currency}".strip()
        columns: list[dict[str, object]] = [
            {"field": name, "headerName": titles[name]} for name in rows.columns
        ]
        for column in columns:
            if column["field"] in ("units", "value"):
                column |= {"type": "rightAligned", ":valueFormatter": formatter}
        self.grid.options["columnDefs"] = columns
        self.grid.options["rowData"] = records(rows)
        self.grid.update()
        level_words = level_choices()[found.level]
        self.where.text = f"{level_words} within {self.title}" if self.within else level_words
        first = found.offset + 1 if found.total else 0
        last = min(found.offset + found.limit, found.total)
        self.counter.text = f"{first:,} to {last:,} of {found.total:,}"
        self.previous.enabled = found.offset > 0
        self.next.enabled = last < found.total

    async def _restart(self) -> None:
        self.offset = 0
        await self.load()

    async def _back(self) -> None:
        self.offset = max(0, self.offset - PAGE_ROWS)
        await self.load()

    async def _forward(self) -> None:
        self.offset += PAGE_ROWS
        await self.load()

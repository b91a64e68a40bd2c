"""Supply: one supply plan version (``?version=N``; default the newest of the open cycle).

The plan against demand by month (chart and time-phased grid), the capacity heatmap, the
binding limits with their value in money and in words, unmet demand with its cause, the
workforce, and re-planning as a job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.engines.supply.overview import amount_of_money
from oneplan.services.supply.overview import SupplyOverview
from oneplan.web.format import money, share, units
from oneplan.web.grid import data_grid
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.pages.plan_views import (
    WHOLE,
    by_month,
    figure,
    heatmap,
    period_label,
    phased_grid,
    time_phased,
    widen,
)
from oneplan.web.runs import VERSION_LINK, Replan

#: The rows of the plan-against-demand grid, in reading order.
BALANCE_ROWS = {
    "demand": "Demand",
    "production": "Production",
    "subcontract": "Subcontracting",
    "end_inventory": "Ending inventory",
    "safety_stock": "Safety stock",
    "backlog": "Backlog",
    "lost_sales": "Lost sales",
}
#: The rows of the workforce grid, per labour pool.
WORKFORCE_ROWS = {
    "workforce": "workers",
    "hires": "hires",
    "layoffs": "layoffs",
    "regular_hours": "regular hours",
    "overtime_hours": "overtime hours",
}
#: Limits shown in words above the grid of every binding limit.
WORDS_SHOWN = 10


def _headline(view: SupplyOverview) -> None:
    summary, currency = view.version.summary, view.currency
    with ui.row().classes("w-full items-end gap-5"):
        choices = {v.id: f"#{v.id} {v.name} ({v.state})" for v in view.plans}
        ui.select(
            choices,
            value=view.version.id,
            label=f"Supply plan of {view.version.cycle}",
            on_change=lambda e: ui.navigate.to(VERSION_LINK.format(e.value)),
        ).classes("w-80").props('data-testid="version"').mark("version")
        figure("Solver", str(summary.get("status", "")))
        figure("Total cost", money(summary.get("total_cost"), currency), "total-cost")
        figure("Demand met on time", share(summary.get("service_level")))
        figure("Units short", units(summary.get("unmet_units")))
        neck = summary.get("top_bottleneck") or {}
        if neck:
            where = f"{neck.get('resource')} {neck.get('period')}"
            worth = neck.get("shadow_price") or 0.0
            unit = "/unit" if neck.get("kind") == "supplier" else "/h"
            value = f", {amount_of_money(worth, currency)}{unit}" if worth > 0 else ""
            figure("Top bottleneck", f"{where} ({share(neck.get('utilisation'))}{value})")
    ui.label(
        f"{str(summary.get('objective_label', '')).capitalize()} plan by "
        f"{view.version.created_by}, serving "
        f"{summary.get('demand_source', 'the demand plan')}."
    ).classes("text-sm text-gray-500")


def _balance(view: SupplyOverview) -> None:
    balance = view.balance
    months = [period_label(p) for p in balance["period"]]

    def series(name: str, kind: str, colour: str, **extra: object) -> dict[str, object]:
        return {
            "name": BALANCE_ROWS[name],
            "type": kind,
            "data": [round(v) for v in balance[name]],
            "itemStyle": {"color": colour},
            **extra,
        }

    options = {
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 30},
        "tooltip": {"trigger": "axis", ":valueFormatter": WHOLE},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "axisLabel": {":formatter": WHOLE}},
        "series": [
            series("production", "bar", "#3b82f6", stack="supply"),
            series("subcontract", "bar", "#93c5fd", stack="supply"),
            series("backlog", "bar", "#f97316"),
            series("lost_sales", "bar", "#b91c1c"),
            series("demand", "line", "#111827", symbolSize=6),
            series("end_inventory", "line", "#16a34a"),
            series("safety_stock", "line", "#16a34a", lineStyle={"type": "dashed"}, symbol="none"),
        ],
    }
    ui.echart(options).classes("w-full h-72").props('data-testid="balance-chart"').mark(
        "balance-chart"
    )
    phased_grid(time_phased(balance, BALANCE_ROWS), name="supply_plan_by_month", corner="units")


def _capacity(view: SupplyOverview) -> None:
    if view.utilisation.empty:
        ui.label("This plan uses no resource with a capacity.").classes("text-gray-500")
        return
    ui.label(
        "Hours used over regular hours available, per resource and month: over 100 % is "
        "overtime, or a limit that had to give."
    ).classes("text-sm text-gray-600")
    heatmap(view.utilisation, testid="capacity-heatmap")
    data_grid(
        by_month(view.utilisation),
        name="capacity_utilisation",
        formats={"capacity": "units", "used": "units", "utilisation": "share"},
        height="h-64",
    )


def _constraints(view: SupplyOverview) -> None:
    binding, currency = view.binding, view.currency
    if binding.empty:
        ui.label("No limit is binding: no extra hour or unit would make the plan better.")
    else:
        ui.label(
            "What one more unit of a limit is worth, in its dearest month (capacity first, "
            "then by value)"
        ).classes("text-lg font-semibold")
        with (
            ui.column().classes("gap-1").props('data-testid="binding-words"').mark("binding-words")
        ):
            row: Any
            for row in view.strongest.itertuples(index=False):
                with ui.row().classes("items-center gap-2 no-wrap"):
                    ui.icon("bolt", color="orange" if row.capacity else "grey")
                    ui.label(str(row.words))
                    if row.months > 1:
                        ui.label(f"binding in {row.months} months").classes("text-xs text-gray-500")
        ui.label(f"Every binding limit by month ({len(binding):,})").classes("font-semibold")
        shown = binding[["constraint", "resource", "item", "location", "period"]].assign(
            constraint=binding["constraint"].str.replace("_", " "),
            shadow_price=binding["shadow_price"],
            meaning=binding["words"],
        )
        grid = data_grid(
            by_month(shown),
            name="binding_constraints",
            formats={"shadow_price": "decimal"},
            titles={"shadow_price": f"shadow price ({currency})".replace(" ()", "")},
            height="h-64",
        )
        widen(grid, meaning=4)
    relaxed = view.relaxations
    if len(relaxed):
        ui.label("Limits that had to give").classes("text-lg font-semibold text-negative")
        data_grid(
            by_month(relaxed),
            name="relaxations",
            formats={"limit": "units", "relaxed_by": "decimal", "penalty_cost": "money"},
            height="h-48",
        )
    else:
        ui.label("No hard limit had to give: the plan keeps every limit.").classes(
            "text-sm text-gray-600"
        )


def _unmet(view: SupplyOverview) -> None:
    unmet = view.unmet
    if unmet.empty:
        ui.label("All demand is met on time.").props('data-testid="unmet"').mark("unmet")
        return
    short = unmet.assign(units=unmet["backlog"] + unmet["lost_sales"])
    by_cause = short.groupby("cause")["units"].agg(["sum", "count"])
    with ui.row().classes("gap-2").props('data-testid="unmet"').mark("unmet"):
        for cause, row in by_cause.sort_values("sum", ascending=False).iterrows():
            ui.chip(f"{cause}: {units(row['sum'])} units on {int(row['count'])} rows").props(
                "outline"
            )
    columns = ["item", "location", "period", "backlog", "lost_sales", "cause", "resource"]
    shown = short.sort_values(["period", "units"], ascending=[True, False])
    shown = shown[[*columns, "shortage_cost", "detail"]]
    grid = data_grid(
        by_month(shown),
        name="unmet_demand",
        formats={"backlog": "units", "lost_sales": "units", "shortage_cost": "decimal"},
        titles={"shortage_cost": f"cost per unit short ({view.currency})"},
        height="h-80",
    )
    widen(grid, detail=4)


def _workforce(view: SupplyOverview) -> None:
    work = view.workforce
    if work.empty:
        ui.label("This plan has no labour pools.").classes("text-gray-500")
        return
    with ui.row().classes("gap-6"):
        figure("Hires", f"{work['hires'].sum():,.1f}", "hires")
        figure("Layoffs", f"{work['layoffs'].sum():,.1f}", "layoffs")
        figure("Overtime hours", units(work["overtime_hours"].sum()), "overtime")
    rows = []
    for resource, pool in work.groupby("resource", sort=True):
        for name, title in WORKFORCE_ROWS.items():
            phased = time_phased(pool, {name: f"{resource}: {title}"})
            rows.append(phased)
    table = pd.concat(rows, ignore_index=True)
    kinds = {m: "units" for m in table["measure"] if m.endswith("hours")}
    phased_grid(table, name="workforce_plan", kind="decimal", by_row=kinds, corner="workers, hours")


class LazyTabs:
    """Each tab drawn the first time it is shown: the page is usable once the first is drawn,
    not after every grid and chart of the plan (the binding limits alone are thousands of
    rows on a company's plan)."""

    def __init__(
        self,
        view: SupplyOverview,
        drawers: Mapping[ui.tab, Callable[[SupplyOverview], None]],
        panels: dict[ui.tab, ui.tab_panel],
    ) -> None:
        self.view, self.drawers, self.panels = view, drawers, panels
        self.drawn: set[str] = set()

    def show(self, chosen: object) -> None:
        for tab, panel in self.panels.items():
            name = str(tab.props.get("name"))
            if (chosen is tab or chosen == name) and name not in self.drawn:
                self.drawn.add(name)
                with panel:
                    self.drawers[tab](self.view)

    def start(self, tabs: ui.tabs, first: ui.tab) -> None:
        self.show(first)
        tabs.on_value_change(lambda event: self.show(event.value))


async def supply_page(request: Request, version: int | None = None) -> RedirectResponse | None:
    from oneplan.services.supply.overview import supply_overview

    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    with frame(visitor, request, "Supply plan", "/supply"):
        view = await attempt(lambda: visitor.call(supply_overview, version))
        if view is not None:
            _headline(view)
        await Replan(visitor, view.version.settings if view else None).build()
        if view is None:
            ui.label("No supply plan to show: re-plan, or run the supply step.").classes(
                "text-gray-600"
            )
            return None
        with ui.tabs().classes("w-full") as tabs:
            plan_tab = ui.tab("Plan against demand")
            capacity_tab = ui.tab("Capacity")
            limits_tab = ui.tab("Binding limits")
            unmet_tab = ui.tab("Unmet demand")
            work_tab = ui.tab("Workforce")
        drawers = {
            plan_tab: _balance,
            capacity_tab: _capacity,
            limits_tab: _constraints,
            unmet_tab: _unmet,
            work_tab: _workforce,
        }
        with ui.tab_panels(tabs, value=plan_tab).classes("w-full"):
            panels = {tab: ui.tab_panel(tab).classes("p-0 gap-2") for tab in drawers}
        LazyTabs(view, drawers, panels).start(tabs, plan_tab)
    return None


PAGES = [("/supply", supply_page)]

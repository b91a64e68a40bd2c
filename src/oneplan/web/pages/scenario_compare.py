"""Scenarios compared with the base plan: the KPIs side by side (money, service, capacity),
the supply plan's changed records of each scenario, and the change in each KPI broken down by
assumption (each assumption credited with what it changed when applied in order)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from nicegui import run, ui

from oneplan.engines.diff import FrameDiff
from oneplan.services.scenario.compare import Comparison
from oneplan.web.grid import data_grid
from oneplan.web.layout import attempt
from oneplan.web.pages.assumption_form import KIND_TITLES
from oneplan.web.pages.side_by_side import kpi_grid, wrap_headers
from oneplan.web.visitor import Visitor, site

#: The supply plan's columns a planner reads in a changed record, before and after.
DIFF_COLUMNS = ("production", "subcontract", "end_inventory", "backlog", "lost_sales")
ON_TIME = "service level on time"
#: The KPIs the breakdown by assumption gives, and how each reads.
ATTRIBUTION_FORMATS = {
    "total cost": "money",
    "revenue": "money",
    "gross margin": "money",
    ON_TIME: "decimal",
    f"{ON_TIME}, points": "decimal",
    "unmet units": "units",
}


def changed_records(diff: FrameDiff) -> pd.DataFrame:
    """The changed rows of a supply plan diff: keys, then base, scenario and change of the
    columns planners read (`DIFF_COLUMNS`), biggest production change first."""
    changed = diff.changed
    keep = list(diff.keys)
    for column in DIFF_COLUMNS:
        pair = [f"{column}_a", f"{column}_b", f"{column}_change"]
        if pair[2] in changed and changed[pair[:2]].abs().to_numpy().sum() > 0:
            keep += pair  # a column at zero in both plans says nothing
    table = changed[keep].rename(
        columns=lambda c: (
            c.replace("_a", " base").replace("_b", " scenario").replace("_change", " change")
            if c.endswith(("_a", "_b", "_change"))
            else c
        )
    )
    if "production change" in table:
        table = table.reindex(table["production change"].abs().sort_values(ascending=False).index)
    if "period" in table:
        table["period"] = pd.to_datetime(table["period"]).dt.strftime("%Y-%m")
    return table.reset_index(drop=True)


def by_assumption(attribution: pd.DataFrame) -> pd.DataFrame:
    """One row per assumption (in the order applied) and a column per KPI's change, then a row
    with the whole scenario's change (what the rows add up to)."""
    titles = {str(k): KIND_TITLES[k].split(" (")[0] for k in KIND_TITLES}
    rows = attribution.assign(
        assumption=attribution["position"].astype(str)
        + ". "
        + attribution["kind"].astype(str).map(titles).fillna(attribution["kind"].astype(str))
        + " "
        + attribution["target"].astype(str)
    )
    table = rows.pivot_table(
        index=["position", "assumption"], columns="kpi", values="change", aggfunc="sum", sort=False
    ).reset_index()
    table.columns.name = None
    kpis = [k for k in ATTRIBUTION_FORMATS if k in table]
    total = {"position": None, "assumption": "all assumptions"} | {k: table[k].sum() for k in kpis}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    if ON_TIME in table:  # a share's change reads in points
        table[ON_TIME] = 100 * table[ON_TIME].astype(float)
        table = table.rename(columns={ON_TIME: f"{ON_TIME}, points"})
        kpis = [f"{k}, points" if k == ON_TIME else k for k in kpis]
    return table[["assumption", *kpis]]


async def explain(visitor: Visitor, name: str) -> pd.DataFrame:
    """The KPI change by assumption: n + 1 solves, in a worker thread (nothing is stored)."""
    from oneplan.runner import run_phased
    from oneplan.services.scenario.service import explain_run

    actor = await visitor.call(lambda session, actor: actor)  # as of now, not the page's load
    result = await run.io_bound(run_phased, site().engine, explain_run(actor, name))
    assert result is not None  # io_bound gives None only when the app is shutting down
    return result


class ComparePanel:
    """The scenarios chosen to compare, and what comparing them shows."""

    def __init__(self, visitor: Visitor, run: list[str], chosen: list[str]) -> None:
        self.visitor = visitor
        self.comparison: Comparison | None = None
        with ui.card().classes("w-full").props('data-testid="compare"').mark("compare"):
            ui.label("Compare with the base plan").classes("text-lg font-semibold")
            with ui.row().classes("w-full items-end gap-2"):
                self.select = (
                    ui.select(
                        run,
                        multiple=True,
                        label="Scenarios that have run",
                        value=[n for n in chosen if n in run],
                    )
                    .classes("min-w-96")
                    .props('use-chips dense data-testid="compare-choice"')
                    .mark("compare-choice")
                )
                ui.button("Compare", icon="compare_arrows", on_click=self.show).props(
                    'color=primary dense data-testid="compare-go"'
                ).mark("compare-go")
            if not run:
                ui.label("No scenario has run yet: run one to compare it.").classes("text-gray-500")
            self.result()

    def choices_changed(self, run: list[str]) -> None:
        self.select.set_options(run, value=[n for n in (self.select.value or []) if n in run])

    def choose(self, names: list[str]) -> None:
        self.select.value = names
        ui.timer(0.01, self.show, once=True)

    async def show(self) -> None:
        from oneplan.services.scenario.compare import compare_scenarios

        names = list(self.select.value or [])
        found = await attempt(lambda: self.visitor.call(compare_scenarios, names))
        if found is None:
            return
        self.comparison = found
        self.result.refresh()

    @ui.refreshable_method
    def result(self) -> None:
        found = self.comparison
        if found is None:
            return
        plans = ", ".join(f"{k} #{v}" for k, v in found.versions.items())
        ui.label(f"Plan versions compared: {plans}").classes("text-sm text-gray-600")
        kpi_grid(found.kpis, name="scenario-kpis")
        if not found.diffs:
            return
        with ui.tabs().classes("w-full") as tabs:
            for name in found.diffs:
                ui.tab(name)
        with ui.tab_panels(tabs, value=next(iter(found.diffs))).classes("w-full"):
            for name, diff in found.diffs.items():
                with ui.tab_panel(name):
                    self.changes(name, diff)

    def changes(self, name: str, diff: FrameDiff) -> None:
        ui.label(
            f"Supply plan records against the base: {len(diff.changed):,} changed, "
            f"{len(diff.added):,} added, {len(diff.removed):,} removed, "
            f"{diff.unchanged:,} unchanged"
        ).classes("text-sm").mark(f"diff-summary-{name}")
        table = changed_records(diff)
        formats = {c: "units" for c in table.columns if c not in diff.keys}
        grid = data_grid(
            table, name=f"changes-{name}", formats=formats, pinned=diff.keys, height="h-72"
        )
        for column in grid.options["columnDefs"]:
            if column["field"] in diff.keys:  # codes and months are short: room for the numbers
                column |= {"flex": 0, "width": 120}
        wrap_headers(grid).update()
        holder = ui.column().classes("w-full")

        async def break_down() -> None:
            holder.clear()
            with holder:
                spinner = ui.row().classes("items-center gap-2")
                with spinner:
                    ui.spinner()
                    ui.label("Re-planning once per assumption...").classes("text-sm")
            found: Any = await attempt(lambda: explain(self.visitor, name))
            holder.clear()
            if found is None:
                return
            with holder:
                table = by_assumption(found)
                ui.label(
                    "Each assumption is credited with what it changed when applied after the ones "
                    "above it; the last row is the whole scenario against the base."
                ).classes("text-sm text-gray-600")
                grid = data_grid(
                    table, name=f"by-assumption-{name}", formats=ATTRIBUTION_FORMATS, height="h-40"
                )
                wrap_headers(grid).update()

        ui.button(
            "Break the change down by assumption", icon="account_tree", on_click=break_down
        ).props(f'outline dense data-testid="explain-{name}"').mark(f"explain-{name}")
